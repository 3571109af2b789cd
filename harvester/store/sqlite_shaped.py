"""Statements built per request, run on SQLite as SQL text made once per shape.

A filtered search builds its statements from the request: on SQLite, building one,
finding its compiled form and processing its rows cost 0.3–0.5 ms, where its SQL takes
tens of microseconds. :func:`read_shaped` builds and compiles a statement the first time
its *shape* is asked for — whatever decides its SQL and the values it keeps — and
afterwards runs the kept text (:func:`~harvester.store.sqlite_inline.read_rows`) with the
values that change within the shape, given by the names of their bind parameters.

A shape must name everything ``build`` reads but those named values: a statement kept
under too coarse a shape would answer another request's question. Callers therefore key
shapes with the request's own identity (its filters' key, the facets probed, ...) and
tests compare the result with the statement run through SQLAlchemy.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from harvester.store.sqlite_inline import read_rows

SHAPES = 512
"""Shapes kept (least recently used go first); each is a few hundred bytes of SQL."""
_shapes: OrderedDict[Hashable, ShapedSql] = OrderedDict()
stats = {"built": 0, "reused": 0}


@dataclass(frozen=True, slots=True)
class ShapedSql:
    """A statement's SQL text, its positional parameters' names and their values as bound
    at compile time (type processing applied)."""

    sql: str
    names: tuple[str, ...]
    values: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> ShapedSql:
        """``statement`` compiled for ``dialect`` (expanding ``IN`` lists rendered for the
        values it holds)."""
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        state = compiled.construct_expanded_state()
        processors = {  # the expanded lists' own are in the state's
            name: process
            for name, bind in compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        processors.update(state.processors)
        values = {
            name: processors[name](value) if name in processors else value
            for name, value in state.parameters.items()
        }
        return cls(state.statement, tuple(state.positiontup or ()), values, processors)

    def parameters(self, changed: Mapping[str, Any]) -> list[Any]:
        """The positional parameters, with the (scalar) bind parameters named in
        ``changed`` set to its values; a name the statement lacks raises KeyError (its
        shape was keyed wrongly)."""
        unknown = changed.keys() - self.values.keys()
        if unknown:
            raise KeyError(f"not parameters of the statement: {sorted(unknown)}")
        bound = dict(self.values)
        for name, value in changed.items():
            process = self.processors.get(name)
            bound[name] = value if process is None else process(value)
        return [bound[name] for name in self.names]


def shaped(shape: Hashable, build: Callable[[], ClauseElement], dialect: Dialect) -> ShapedSql:
    """The kept SQL of ``shape``, ``build()`` compiled the first time."""
    found = _shapes.get(shape)
    if found is not None:
        _shapes.move_to_end(shape)
        stats["reused"] += 1
        return found
    found = ShapedSql.of(build(), dialect)
    stats["built"] += 1
    _shapes[shape] = found
    while len(_shapes) > SHAPES:
        _shapes.popitem(last=False)
    return found


async def read_shaped(
    session: AsyncSession,
    shape: Hashable,
    build: Callable[[], ClauseElement],
    changed: Mapping[str, Any] | None = None,
) -> list[Any]:
    """The rows of the ``SELECT`` ``build()`` makes (SQLite), built and compiled once per
    ``shape``; ``changed``: the values of its named bind parameters for this call. Values
    come back as sqlite3 gives them, as from ``read_rows``."""
    found = shaped(shape, build, session.get_bind().dialect)
    return await read_rows(session, found.sql, found.parameters(changed or {}))


def clear() -> None:
    """Forget every kept shape, and the counts (tests)."""
    _shapes.clear()
    stats.update(built=0, reused=0)
