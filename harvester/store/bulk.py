"""Bulk writes through the driver, for a harvest's hottest statements on SQLite.

SQLAlchemy binds every row of an ``executemany`` in Python, through generic machinery: for
a dataset row of ~25 columns ~40 µs, about a tenth of the harvesting process's CPU.
:class:`BulkStatement` compiles a statement once per dialect and turns each row into a
tuple, each value converted by the bind processor SQLAlchemy itself would apply (so the
stored values are the same), then executes it through the driver (``exec_driver_sql``).
PostgreSQL keeps SQLAlchemy's path for its upserts (there the server's work dominates), but
takes the rows a batch knows to be new, and its facet rows, by ``COPY``
(:func:`copy_new_rows`, :func:`copy_rows`; :func:`copy_text` for search vectors).

JSON values (a dataset's record, a raw payload: ~5 KB each) go to the driver as the UTF-8
bytes orjson writes: on SQLite cast to text in the statement (``CAST(? AS TEXT)``), on
PostgreSQL to its JSON codecs, which take bytes as they are
(:func:`harvester.store.db.create_engine`). The stored text is the same as the ``str`` the
column's serializer returns, without decoding the bytes to a ``str`` that the driver
encodes back to UTF-8 (~10 µs a value with any character beyond Latin-1).
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from harvester.store.db import json_text

T = TypeVar("T")


def slices(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size`` (the last shorter): a bounded ``IN (…)``
    or statement each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(
    dialect: str,
    table: sa.Table,
    keys: Sequence[str],
    updated: Sequence[str],
    *,
    inserted: Mapping[str, Any] | None = None,
) -> Any:
    """``INSERT`` into ``table`` (SQLite's or PostgreSQL's dialect) that, on a conflict of
    the unique ``keys``, sets the ``updated`` columns to the values proposed for insertion;
    ``inserted`` adds values (literals or SQL) to the inserted row only."""
    statement = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
    excluded = statement.excluded
    if inserted:
        statement = statement.values(**inserted)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={column: excluded[column] for column in updated}
    )


class BulkStatement:
    """``statement`` compiled for ``dialect`` with these row ``keys``; :meth:`execute` runs
    it once per row. Parameters that are not row keys take the value bound in the
    statement (literals) or their column's scalar default."""

    def __init__(self, statement: ClauseElement, keys: Sequence[str], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        if not compiled.positional:
            raise ValueError(f"{dialect.name} binds by name; bulk rows need positions")
        table = getattr(statement, "table", None)
        self.names: list[str] = []
        """The parameters' keys (an ``INSERT``'s columns), in order."""
        columns: list[_Column] = []
        self._processors: list[tuple[Callable[[Any], Any], bool]] = []
        """The processors of the row values that have one, in order, and whether their
        values repeat across rows."""
        cast_as_text: list[bool] = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            self.names.append(bind.key)
            processor: Callable[[Any], Any] | None
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            as_utf8 = bind.key in keys and _json_as_utf8(bind, dialect)
            cast_as_text.append(as_utf8 and dialect.name == "sqlite")
            if as_utf8:
                processor = orjson.dumps
            if bind.key in keys:
                columns.append(_Column(bind.key, None, processor is not None))
                if processor is not None:
                    repeating = bind.type._type_affinity in _REPEATING_TYPES
                    self._processors.append((processor, repeating))
            else:
                value = _fixed_value(bind, table)
                columns.append(_Column(None, processor(value) if processor else value, False))
        self._build = _row_builder(columns)
        self.sql = _with_casts(compiled.string, cast_as_text)

    def tuples(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them."""
        processors = [
            _remembering(processor) if repeating else processor
            for processor, repeating in self._processors
        ]
        return self._build(rows, *processors)

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per row, in this session's transaction."""
        if rows:
            connection = await session.connection()
            await connection.exec_driver_sql(self.sql, self.tuples(rows))


def _json_as_utf8(bind: sa.BindParameter[Any], dialect: Dialect) -> bool:
    """Whether ``bind`` is a JSON value the driver takes as orjson's UTF-8 bytes: the
    column's serializer is :func:`~harvester.store.db.json_text` (those bytes decoded), on
    SQLite (cast to text in the statement) or PostgreSQL (whose codecs take bytes)."""
    return (
        dialect.name in ("sqlite", "postgresql")
        and isinstance(bind.type.dialect_impl(dialect), sa.JSON)
        and getattr(dialect, "_json_serializer", None) is json_text
    )


def _with_casts(sql: str, cast_as_text: list[bool]) -> str:
    """``sql`` with its positional parameters marked in ``cast_as_text`` cast to text (a
    ``?`` that is not a parameter, in a literal, refuses the casts)."""
    if not any(cast_as_text):
        return sql
    pieces = sql.split("?")
    if len(pieces) != len(cast_as_text) + 1:
        raise ValueError(f"{len(pieces) - 1} '?' in SQL with {len(cast_as_text)} parameters")
    marked = (
        ("CAST(? AS TEXT)" if cast else "?") + piece
        for cast, piece in zip(cast_as_text, pieces[1:], strict=True)
    )
    return pieces[0] + "".join(marked)


class _Column(NamedTuple):
    """One parameter of a bulk statement: a row's value (``key``, converted when
    ``processed``) or a ``constant``."""

    key: str | None
    constant: Any
    processed: bool


def _row_builder(columns: Sequence[_Column]) -> Callable[..., list[tuple[Any, ...]]]:
    """A function ``(rows, *processors)`` returning the rows' tuples, written out for these
    columns: one comprehension that reads each key and calls each processor by name, where
    walking a plan of the columns for every value cost ~0.4 µs a value (a dataset row of 25
    columns: ~19 → ~15 µs, the rest being the processors). Keys enter the source as string
    literals (``repr``), constants and processors as names bound to their objects."""
    names: dict[str, Any] = {}
    parameters: list[str] = []
    values: list[str] = []
    for position, column in enumerate(columns):
        if column.key is None:
            names[f"c{position}"] = column.constant
            values.append(f"c{position}")
        elif column.processed:
            parameters.append(f"p{position}")
            values.append(f"p{position}(row[{column.key!r}])")
        else:
            values.append(f"row[{column.key!r}]")
    source = (
        f"def build(rows, {''.join(p + ', ' for p in parameters)}):\n"
        f"    return [({''.join(v + ', ' for v in values)}) for row in rows]\n"
    )
    exec(source, names)  # the source above: column keys as literals, names bound here
    build: Callable[..., list[tuple[Any, ...]]] = names["build"]
    return build


_REPEATING_TYPES = (sa.DateTime, sa.Date)
"""Types whose values repeat across a batch's rows (the run's time in three columns of
every row, absent dates) and whose bind processing is Python (``UTCDateTime``: converted
to UTC, then written as text): ~3 µs a value, a few tenths of a second per 10 k rows."""


def _remembering(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``processor`` remembering its result per value for one call of
    :meth:`BulkStatement.tuples`: equal datetimes are the same instant (same result), except
    a time repeated by a DST change, equal to its earlier twin in its own zone whatever its
    ``fold``; a second one (``fold=1``) is converted alone."""
    done: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        if getattr(value, "fold", 0):
            return processor(value)
        try:
            return done[value]
        except KeyError:
            result = done[value] = processor(value)
            return result

    return process


def _fixed_value(bind: sa.BindParameter[Any], table: Any) -> Any:
    if bind.value is not None or bind.callable is not None:
        return bind.effective_value
    column = table.c.get(bind.key) if table is not None else None
    default = getattr(column, "default", None)
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg
    raise KeyError(f"no value for {bind.key!r}: put it in every row")


DRIVER_ROWS = True
"""Whether SQLite's bulk writes go through the driver (tests compare with SQLAlchemy's)."""

_compiled: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], BulkStatement]]
_compiled = weakref.WeakKeyDictionary()


async def execute_many(
    session: AsyncSession,
    name: str,
    rows: Sequence[Mapping[str, Any]],
    build: Callable[[], ClauseElement],
) -> None:
    """``session.execute(build(), rows)``; on SQLite through the driver, ``build()``
    compiled once per dialect and ``name`` (with the keys of the first row, which every
    row has)."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite" or not DRIVER_ROWS:
        await session.execute(build(), rows)  # type: ignore[call-overload]
        return
    await _statement(dialect, name, rows, build).execute(session, rows)


def _statement(
    dialect: Dialect,
    name: str,
    rows: Sequence[Mapping[str, Any]],
    build: Callable[[], ClauseElement],
) -> BulkStatement:
    """``build()`` as a :class:`BulkStatement` for the keys of ``rows[0]``, compiled once
    per dialect, ``name`` and keys."""
    keys = tuple(rows[0])
    statements = _compiled.setdefault(dialect, {})
    statement = statements.get((name, keys))
    if statement is None:
        statement = statements[(name, keys)] = BulkStatement(build(), keys, dialect)
    return statement


COPY_NEW_ROWS = True
"""Whether PostgreSQL takes rows known to be new by ``COPY`` (tests compare with the
upsert)."""


def copies_new_rows(dialect_name: str) -> bool:
    """Whether rows a batch knows to be new go by ``COPY`` on ``dialect_name``."""
    return dialect_name == "postgresql" and COPY_NEW_ROWS


async def copy_new_rows(
    session: AsyncSession, name: str, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> bool:
    """On PostgreSQL, insert ``rows`` (each with the first row's keys) into ``table`` by
    ``COPY``, every value converted by the bind processor an ``INSERT`` would apply, and
    return True; False elsewhere (the caller upserts them). For rows the batch's
    stored-state read found absent, under the run's hold on its source: an upsert's
    ``ON CONFLICT`` would never fire, and its statement per row cost the server and the
    driver ~1.8 s per 10 k dataset rows against ~1.3 s."""
    dialect = session.get_bind().dialect
    if not copies_new_rows(dialect.name) or not rows:
        return False
    statement = _statement(dialect, name, rows, partial(postgresql.insert, table))
    await copy_rows(session, table.name, statement.names, statement.tuples(rows))
    return True


async def copied_new(
    session: AsyncSession,
    name: str,
    table: sa.Table,
    rows: list[dict[str, Any]],
    new: Collection[Any],
    key: str,
) -> list[dict[str, Any]]:
    """Copy the ``rows`` whose ``key`` value is in ``new`` (:func:`copy_new_rows`,
    PostgreSQL); the rows left to upsert (all of them when none went by ``COPY``)."""
    fresh = [row for row in rows if row[key] in new]
    if not await copy_new_rows(session, name, table, fresh):
        return rows
    return [row for row in rows if row[key] not in new]


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``records`` into ``table`` with PostgreSQL's binary ``COPY`` (asyncpg), in
    this session's transaction: no statement to parse or plan per thousand rows, and no
    parameter list built for it (a batch's facet rows: 170 k per 10 k datasets)."""
    if not records:
        return
    driver = await _driver_in_transaction(session)
    await driver.copy_records_to_table(table, records=records, columns=list(columns))


async def copy_text(session: AsyncSession, table: str, columns: Sequence[str], data: str) -> None:
    """Insert the rows of ``data`` into ``table`` with PostgreSQL's text ``COPY``, in this
    session's transaction: for a column whose type asyncpg has no binary codec for
    (``tsvector``). ``data`` is one line per row, fields in the order of ``columns`` split
    by tabs, written by the caller as the format wants them (a backslash, tab, newline or
    carriage return inside a value escaped, ``\\N`` for NULL)."""
    if not data:
        return
    driver = await _driver_in_transaction(session)
    encoded = data.encode()

    async def source() -> AsyncIterator[bytes]:  # read as it is (a file would go to a thread)
        yield encoded

    await driver.copy_to_table(table, source=source(), columns=list(columns), format="text")


async def _driver_in_transaction(session: AsyncSession) -> Any:
    """The asyncpg connection under ``session``, its transaction begun: ``COPY`` goes around
    SQLAlchemy."""
    connection = await session.connection()
    await connection.exec_driver_sql("SELECT 1")
    raw = await connection.get_raw_connection()
    return raw.driver_connection
