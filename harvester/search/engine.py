"""One search: full text + filters → a page of datasets, a total, facet counts, a cursor.

Costs stay bounded on huge result sets (DESIGN §4):

* candidates are selected with the full-text index and indexed filter columns only;
* relevance is *not* a text-rank function computed on every match: it is an integer,
  ``100 × (the query matches a title) + richness`` (how well described, 0–99), so ordering
  needs no document text and the keyset ``(score, pk)`` is stable while harvests write;
* the total is exact up to ``count_limit`` matches, then reported as a lower bound;
* facet counts read the ``dataset_facet`` index (with no query and no filter, the index
  alone, through its ``visible`` column); on SQLite a sample of matches is counted from
  its packed facet sets (:mod:`harvester.search.facet_sets`).

Pagination is keyset, on ``(sort key, pk)``: rows written while a client pages through
cannot shift the pages it has not read yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any, Generic, Literal, Protocol, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlmodel import col

from harvester.search import cursor as cursors
from harvester.search import facet_counts, ranked, record_cache
from harvester.search.backend import search_backend
from harvester.search.facet_counts import cached_dense, cached_facets, cached_total
from harvester.search.facets import FacetCounts, count_facets, facet_condition
from harvester.search.filters import Filters, conditions
from harvester.search.planning import plan_for_values
from harvester.search.query import ParsedQuery, parse_query
from harvester.search.tables import dataset_facet
from harvester.search.version import CatalogVersion, catalog_version
from harvester.store.db import database_id, dialect_name
from harvester.store.indexed import VisibleNewestFirst
from harvester.store.sqlite_inline import read_rows
from harvester.store.sqlite_shaped import read_shaped
from harvester.store.tables import Dataset
from harvester.store.types import sqlite_utc

Sort = Literal["relevance", "modified", "title", "pk"]
SORTS: tuple[Sort, ...] = ("relevance", "modified", "title", "pk")
TITLE_BONUS = 100


@dataclass(slots=True)
class SearchRequest:
    """What to search; ``cursor`` (from a previous page) and ``offset`` are exclusive."""

    q: str | None = None
    filters: Filters = field(default_factory=Filters)
    sort: Sort = "relevance"
    limit: int = 20
    cursor: str | None = None
    offset: int = 0
    facets: Sequence[str] = ()
    facet_limit: int = 10
    count_limit: int = 10_000
    count: bool = True
    facet_sample: int = 1_000


class PageRow(Protocol):
    """What a page's cursor needs of its rows."""

    @property
    def pk(self) -> int | None: ...

    @property
    def modified(self) -> datetime | None: ...

    @property
    def title_sort(self) -> str: ...


RowT = TypeVar("RowT", bound=PageRow)
Load = Callable[[AsyncSession, list[int]], Awaitable[dict[int | None, RowT]]]
"""Reads the rows of a page's pks, by pk."""


async def load_datasets(session: AsyncSession, pks: list[int]) -> dict[int | None, Dataset]:
    """Whole ``Dataset`` rows."""
    statement = sa.select(Dataset).where(col(Dataset.pk).in_(pks))
    return {row.pk: row for row in await session.scalars(statement)}


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """The columns of a dataset that a search result shows (and its cursor needs): a
    quarter cheaper to read than a whole ``Dataset`` (no ORM state, no other dates).
    ``record`` may be shared through :mod:`.record_cache`: do not modify it; its
    ``provenance.harvested_at`` may be older than the stored one. ``derived`` holds what
    readers compute from ``record`` alone, kept as long as the record is."""

    pk: int
    id: str
    source_id: str
    publisher_name: str | None
    modified: datetime | None
    title_sort: str
    record: dict[str, Any]
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


_dataset_columns = Dataset.__table__.c  # type: ignore[attr-defined]
_NOT_COLUMNS = ("record", "derived")
_pks_in = _dataset_columns.pk.in_(sa.bindparam("pks", expanding=True))
_SUMMARY_HEADS = sa.select(
    *(_dataset_columns[f.name] for f in fields(SummaryRow) if f.name not in _NOT_COLUMNS),
    _dataset_columns.content_hash,
).where(_pks_in)
_SUMMARY_RECORDS = sa.select(
    _dataset_columns.pk, _dataset_columns.content_hash, _dataset_columns.record
).where(_pks_in)
"""Built once and run on the session's Core connection: building them per page and going
through the ORM's execution cost ~0.5 ms of a 1.1 ms read of 20 rows."""
_PKS_MARK = "__[POSTCOMPILE_pks]"
_SQLITE_HEADS, _SQLITE_RECORDS = (
    str(statement.compile(dialect=sqlite.dialect()))
    for statement in (_SUMMARY_HEADS, _SUMMARY_RECORDS)
)
"""Their SQL on SQLite, run past SQLAlchemy's execution (:func:`read_rows`), ``pks`` to
be expanded."""


def _with_pks(sql: str, pks: list[int]) -> str:
    """``sql`` (:data:`_SQLITE_HEADS` or :data:`_SQLITE_RECORDS`) for ``len(pks)`` pks."""
    return sql.replace(_PKS_MARK, ",".join("?" * len(pks)))


async def _summary_heads(session: AsyncSession, pks: list[int]) -> list[tuple[Any, ...]]:
    """(pk, the other columns of :class:`SummaryRow` but its record, content hash)."""
    if dialect_name(session) == "sqlite":
        return [
            (pk, id_, source, publisher, sqlite_utc(modified), title_sort, content_hash)
            for pk, id_, source, publisher, modified, title_sort, content_hash in await read_rows(
                session, _with_pks(_SQLITE_HEADS, pks), pks
            )
        ]
    connection = await session.connection()
    return [tuple(row) for row in await connection.execute(_SUMMARY_HEADS, {"pks": pks})]


async def _summary_records(session: AsyncSession, pks: list[int]) -> list[tuple[Any, ...]]:
    """(pk, content hash, record)."""
    if dialect_name(session) == "sqlite":
        return [
            (pk, content_hash, orjson.loads(record))
            for pk, content_hash, record in await read_rows(
                session, _with_pks(_SQLITE_RECORDS, pks), pks
            )
        ]
    connection = await session.connection()
    return [tuple(row) for row in await connection.execute(_SUMMARY_RECORDS, {"pks": pks})]


async def load_summary_rows(session: AsyncSession, pks: list[int]) -> dict[int | None, SummaryRow]:
    """:class:`SummaryRow` rows, their records from :mod:`.record_cache` where kept (read
    with their content hash otherwise, and kept)."""
    url = database_id(session)
    heads = await _summary_heads(session, pks)
    records: dict[int, record_cache.Kept] = {}
    missing: list[int] = []
    for head in heads:
        found = record_cache.get((url, head[0], head[-1]))
        if found is None:
            missing.append(head[0])
        else:
            records[head[0]] = found
    if missing:
        for pk, content_hash, record in await _summary_records(session, missing):
            records[pk] = record_cache.put((url, pk, content_hash), record)
    return {
        pk: SummaryRow(pk, id_, source, publisher, modified, title_sort, kept.record, kept.derived)
        for pk, id_, source, publisher, modified, title_sort, _ in heads
        if (kept := records.get(pk)) is not None
    }


@dataclass(slots=True)
class SearchResult(Generic[RowT]):
    total: int
    total_exact: bool
    datasets: list[RowT]
    next_cursor: str | None
    facets: FacetCounts
    query: ParsedQuery
    sort: Sort
    facets_exact: bool = True


@dataclass(slots=True)
class _Plan:
    sort: Sort
    score: sa.ColumnElement[int] | None
    narrowed: bool  # anything beyond "visible"?
    fingerprint: int
    ranked: bool = False  # served by the early-stopping relevance path (rank keys)?
    dense: frozenset[str] = frozenset()  # facets tested by probes where reads stop early
    walk: bool = False  # may a page walk the newest-first index (:func:`_walked`)?
    facets_only: dict[str, list[str]] | None = None  # no text, facet filters alone
    textless: bool = False  # no text query: the plan's statements are the filters' alone
    conditions: Callable[[], list[sa.ColumnElement[bool]]] = list
    _where: list[sa.ColumnElement[bool]] | None = None

    @property
    def where(self) -> list[sa.ColumnElement[bool]]:
        """The matches' conditions on ``dataset``, built on first use: a walked page, or
        counts already cached, need none (building them cost ~0.3 ms of a filtered page)."""
        if self._where is None:
            self._where = self.conditions()
        return self._where


def _plan(
    request: SearchRequest, parsed: ParsedQuery, dialect: str, dense: frozenset[str]
) -> _Plan:
    backend = search_backend(dialect)
    sort: Sort = request.sort
    if sort == "relevance" and not parsed.must:  # no positive part: nothing to rank by
        sort = "modified"
    fingerprint = cursors.fingerprint(request.q or "", request.filters.key(), sort)
    if sort == "relevance" and not request.offset and ranked.applies(request.filters):
        # a query with a positive part: narrowed; its statements are built by :mod:`ranked`
        return _Plan(sort, None, True, fingerprint, ranked=True)
    title = backend.matches(parsed, "title")[0] if sort == "relevance" else None
    positive, negative = backend.matches(parsed)
    pk = col(Dataset.pk)

    def where() -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = [col(Dataset.withdrawn_at).is_(None)]
        if positive is not None:
            found.append(pk.in_(positive))
        if negative is not None:
            found.append(pk.not_in(negative))
        return found + conditions(request.filters)

    score = None
    if title is not None:
        bonus = sa.case((pk.in_(title), TITLE_BONUS), else_=0)
        score = (bonus + col(Dataset.richness)).label("score")
    filters = request.filters
    # no text, and facets whose values many datasets hold: the newest matches are near
    walk = (
        dialect == "sqlite"
        and sort == "modified"
        and parsed.empty
        and bool(filters.facets)
        and set(filters.facets) <= dense
    )
    facets_only = (
        filters.facets if parsed.empty and filters.facets and filters.empty_but_facets else None
    )
    return _Plan(
        sort,
        score,
        positive is not None or negative is not None or not filters.empty,
        fingerprint,
        dense=dense,
        walk=walk,
        facets_only=facets_only,
        textless=parsed.empty,
        conditions=where,
    )


def _order(plan: _Plan) -> list[Any]:
    pk = col(Dataset.pk)
    if plan.sort == "relevance" and plan.score is not None:
        return [sa.desc(plan.score), pk]
    if plan.sort == "modified":
        return [col(Dataset.modified).desc().nulls_last(), pk]
    if plan.sort == "title":
        return [col(Dataset.title_sort), pk]
    return [pk]


def _position(plan: _Plan, key: Sequence[Any]) -> dict[str, Any]:
    """A cursor's ``key`` as the named parameters of :func:`_after`: ``after_pk``, and
    ``after_key`` (the sort key) but for the pk order; raises
    :class:`~harvester.search.cursor.CursorError` if it does not fit the plan's order."""
    try:
        position: dict[str, Any] = {"after_pk": int(key[-1])}
        if plan.sort == "relevance" and plan.score is not None:
            position["after_key"] = int(key[0])
        elif plan.sort == "modified":
            position["after_key"] = None if key[0] is None else datetime.fromisoformat(key[0])
        elif plan.sort == "title":
            position["after_key"] = str(key[0])
        return position
    except (IndexError, ValueError, TypeError):
        raise cursors.CursorError("the cursor's position is malformed") from None


def _after(
    plan: _Plan, position: dict[str, Any], table: sa.FromClause | None = None
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``position`` (:func:`_position`) in the plan's order (of
    ``table``, an alias of ``dataset``, if given), as named bind parameters."""
    c = (table if table is not None else Dataset.__table__).c  # type: ignore[attr-defined]
    pk = c.pk
    last = sa.bindparam("after_pk", position["after_pk"], type_=sa.Integer)
    if "after_key" not in position:
        return pk > last
    value = position["after_key"]
    if plan.sort == "relevance" and plan.score is not None:
        score = sa.bindparam("after_key", value, type_=sa.Integer)
        return sa.or_(plan.score < score, sa.and_(plan.score == score, pk > last))
    if plan.sort == "modified":
        modified = c.modified
        if value is None:
            return sa.and_(modified.is_(None), pk > last)
        moment = sa.bindparam("after_key", value, type_=modified.type)  # the column's UTC
        return sa.or_(modified < moment, sa.and_(modified == moment, pk > last), modified.is_(None))
    title = c.title_sort
    key = sa.bindparam("after_key", value, type_=title.type)
    return sa.or_(title > key, sa.and_(title == key, pk > last))


def _key(plan: _Plan, row: PageRow, score: int | None) -> tuple[Any, ...]:
    if plan.sort == "relevance":
        return (score, row.pk)
    if plan.sort == "modified":
        return (row.modified.isoformat() if row.modified else None, row.pk)
    if plan.sort == "title":
        return (row.title_sort, row.pk)
    return (row.pk,)


async def _total(session: AsyncSession, plan: _Plan, limit: int) -> tuple[int, bool]:
    capped = candidates(plan).limit(limit + 1).subquery()
    total = int(await session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)
    return (limit, False) if total > limit else (total, True)


def candidates(plan: _Plan) -> Select[Any]:
    """The pks of the plan's matches, in no particular order."""
    if plan.facets_only:
        return _facet_matches(plan.facets_only, plan.dense)
    return sa.select(col(Dataset.pk)).where(*plan.where)


def _sample(
    plan: _Plan, query: ranked.AnyRankedQuery | None, limit: int | None
) -> Callable[[], Select[Any]]:
    """Builds the matches a facet count reads (the first ``limit``, or all): only when the
    counts are not cached (building it cost ~0.4 ms of a filtered page)."""
    if query is not None:
        return lambda: ranked.sample(query, limit)
    return lambda: candidates(plan) if limit is None else candidates(plan).limit(limit)


def _facet_matches(chosen: dict[str, list[str]], dense: frozenset[str]) -> Select[Any]:
    """Visible datasets having every facet of ``chosen``, read from the facet index: the
    first facet's ``(facet, value, visible, dataset_pk)`` entries, the others probed. A
    capped total or a facet sample then reads only as many entries as it keeps, where
    testing ``dataset`` rows made SQLite build the whole list of each facet's pks first (a
    value of 65 k datasets: ~30 ms per count)."""
    (first, values), *others = sorted(chosen.items())
    f = dataset_facet.alias("driver")
    statement = sa.select(f.c.dataset_pk.label("pk")).where(
        f.c.facet == first, f.c.value.in_(values), f.c.visible.is_(True)
    )
    for facet, accepted in others:
        statement = statement.where(
            facet_condition(f.c.dataset_pk, facet, accepted, probe=facet in dense)
        )
    return statement.distinct() if len(values) > 1 else statement


async def _page(
    session: AsyncSession,
    plan: _Plan,
    request: SearchRequest,
    load: Load[RowT],
    version: CatalogVersion | None,
) -> tuple[list[tuple[RowT, int | None]], bool]:
    """The page's rows (and scores), and whether more follow. Ordering runs on the narrow
    ``(pk, score)`` pairs; only the page's rows are read whole."""
    position = None
    if request.cursor:
        cursor = cursors.decode(request.cursor, sort=plan.sort, expected=plan.fingerprint)
        position = _position(plan, cursor.key)
    walked = None
    if plan.walk and not request.offset:
        walked = await _walked(session, plan, request, position, version)
    if walked is not None:
        found: list[tuple[int, int | None]] = [(pk, None) for pk in walked]
    else:

        def build() -> Select[Any]:
            keys: Select[Any] = sa.select(col(Dataset.pk))
            if plan.score is not None:
                keys = keys.add_columns(plan.score)
            keys = keys.where(*plan.where).order_by(*_order(plan))
            keys = keys.limit(sa.bindparam("limit", request.limit + 1))
            if position is not None:
                return keys.where(_after(plan, position))
            if request.offset:
                return keys.offset(sa.bindparam("offset", request.offset))
            return keys

        scored = plan.score is not None
        if plan.textless and dialect_name(session) == "sqlite":
            # the catalogue's own pages (filtered or not), kept as SQL text per shape
            shape = (
                "page",
                plan.sort,
                orjson.dumps(request.filters.key()),
                _position_kind(position),
                bool(request.offset),
            )
            changed = _bound_values(request.limit + 1, position)
            if request.offset and position is None:
                changed["offset"] = request.offset
            rows = await read_shaped(session, shape, build, changed)
        else:
            connection = await session.connection()  # Core: the ORM's path costs more
            rows = list(await connection.execute(build()))
        found = [(row[0], row[1] if scored else None) for row in rows]
    return await _rows(session, found, request.limit, load)


WALK_WINDOW = 8_000
"""Visible datasets a filtered page walks newest first before it sorts the matches."""


@cache
def _newest_first(name: str) -> VisibleNewestFirst:
    """``dataset`` as ``name`` through its newest-first index, built once: an alias fills
    its column collection on first use, ~0.5 ms of a filtered page when built per call."""
    return VisibleNewestFirst.of(Dataset.__table__, name)  # type: ignore[attr-defined,return-value]


def _position_kind(position: dict[str, Any] | None) -> str | None:
    """What of a cursor's ``position`` shapes the SQL of :func:`_after`: none, a sort key
    or a missing one (a dataset without ``modified``; the pk order has none either)."""
    if position is None:
        return None
    return "null" if position.get("after_key") is None else "key"


def _bound_values(limit: int, position: dict[str, Any] | None) -> dict[str, Any]:
    """The values bound per call of a kept page statement: its limit and position."""
    values: dict[str, Any] = {"limit": limit}
    if position is not None:
        values.update((name, value) for name, value in position.items() if value is not None)
    return values


def _window_edge(*after: sa.ColumnElement[bool]) -> Select[Any]:
    """``modified`` of the :data:`WALK_WINDOW`-th newest visible dataset (of those the
    conditions ``after`` keep, on ``_newest_first("edge")``): where a walk stops."""
    edge = _newest_first("edge")
    return (
        sa.select(edge.c.modified)
        .where(edge.c.withdrawn_at.is_(None), *after)
        .order_by(edge.c.modified.desc(), edge.c.pk)
        .offset(WALK_WINDOW - 1)
        .limit(1)
    )


async def _first_window_edge(
    session: AsyncSession, version: CatalogVersion | None
) -> datetime | None:
    """:func:`_window_edge` of a first page (None if there are fewer visible datasets, or
    it has no date), read once per catalogue version: finding it took 0.3 ms of each
    filtered first page's 0.4 ms of SQL at 100 k datasets."""

    async def read() -> list[datetime | None]:
        rows = await read_shaped(session, ("window edge", WALK_WINDOW), _window_edge)
        return [sqlite_utc(rows[0][0]) if rows else None]

    key = ["window edge", WALK_WINDOW]
    (edge,) = await facet_counts.cached_value(session, key, read, version=version)
    return edge


async def _walked(
    session: AsyncSession,
    plan: _Plan,
    request: SearchRequest,
    after: dict[str, Any] | None,
    version: CatalogVersion | None,
) -> list[int] | None:
    """The page's pks (one more than the page), walking the visible datasets newest first
    (``ix_dataset_visible_modified``) and testing the filters on each by probes, over the
    next :data:`WALK_WINDOW` of them at most; None if fewer matches are there. ``after``: a
    cursor's position (:func:`_position`).

    For facet values held by many datasets (SQLite): sorting their every match to keep the
    newest 21 took 20–200 ms at 100 k datasets; the walk meets 21 within a few hundred rows.
    The window bounds it when the matches are rarer than their totals say, or all old.
    The statement is SQL text kept per filters, probes and kind of position (building it
    and running it through SQLAlchemy cost ~1 ms per page); a first page's window edge is
    read once per catalogue ``version``, a later page's relative to its position."""
    first_edge = None
    if after is None:
        first_edge = await _first_window_edge(session, version)
        if first_edge is None:  # fewer visible datasets than a window (or undated): no walk
            return None

    def build() -> Select[Any]:
        d = _newest_first("d")
        visible: list[sa.ColumnElement[bool]] = [d.c.withdrawn_at.is_(None)]
        bound: sa.ColumnElement[Any]
        if after is None:
            bound = sa.bindparam("edge", first_edge, type_=d.c.modified.type)
        else:
            visible.append(_after(plan, after, d))
            bound = _window_edge(_after(plan, after, _newest_first("edge"))).scalar_subquery()
        return (
            sa.select(d.c.pk)
            .where(*visible, d.c.modified >= bound)
            .where(*conditions(request.filters, plan.dense, d))
            .order_by(d.c.modified.desc(), d.c.pk)
            .limit(sa.bindparam("limit", request.limit + 1))
        )

    shape = (
        "walked",
        plan.sort,
        WALK_WINDOW,
        orjson.dumps(request.filters.key()),
        tuple(sorted(plan.dense)),
        _position_kind(after),
    )
    changed = _bound_values(request.limit + 1, after)
    if first_edge is not None:
        changed["edge"] = first_edge
    rows = await read_shaped(session, shape, build, changed)
    found = [pk for (pk,) in rows]
    return found if len(found) > request.limit else None


async def _ranked_page(
    session: AsyncSession,
    query: ranked.AnyRankedQuery,
    plan: _Plan,
    request: SearchRequest,
    load: Load[RowT],
) -> tuple[list[tuple[RowT, int | None]], bool]:
    found = await ranked.page(session, query, _cursor_key(plan, request), request.limit + 1)
    return await _rows(session, found, request.limit, load)


def _cursor_key(plan: _Plan, request: SearchRequest) -> tuple[int, int] | None:
    """The ``(score, pk)`` of a relevance cursor (None without one)."""
    if not request.cursor:
        return None
    cursor = cursors.decode(request.cursor, sort=plan.sort, expected=plan.fingerprint)
    try:
        return (int(cursor.key[0]), int(cursor.key[-1]))
    except (IndexError, ValueError, TypeError):
        raise cursors.CursorError("the cursor's position is malformed") from None


async def _rows(
    session: AsyncSession, found: Sequence[tuple[int, int | None]], limit: int, load: Load[RowT]
) -> tuple[list[tuple[RowT, int | None]], bool]:
    """The rows of the first ``limit`` (pk, score) pairs, and whether more follow."""
    wanted = [pk for pk, _ in found[:limit]]
    scores = dict(found)
    loaded = await load(session, wanted)
    return [(loaded[key], scores[key]) for key in wanted if key in loaded], len(found) > len(wanted)


@dataclass(frozen=True, slots=True)
class Counts:
    """A text query's capped total, whether it is exact, and its facet counts."""

    total: int
    exact: bool
    facets: FacetCounts


def _text_key(
    parsed: ParsedQuery, plan: _Plan, request: SearchRequest, what: str, *extra: Any
) -> Any:
    """The cache key of what a text query counts (``what``: its ``total``, its ``facets``
    or both at once, ``compound``), JSON-able: the analysed query, the sort (a facet sample
    is the first matches in its order), the filters, the cap, and for facets the sample,
    the facets asked for and their limit."""
    key = ["text", what, *extra, parsed, plan.sort, request.filters.key(), request.count_limit]
    if what != "total":
        key += [request.facet_sample, list(request.facets), request.facet_limit]
    return key


async def _postgres_ranked(
    session: AsyncSession,
    query: ranked.PostgresRankedQuery,
    plan: _Plan,
    request: SearchRequest,
    load: Load[RowT],
    version: CatalogVersion | None,
) -> SearchResult[RowT]:
    """The whole search in one statement (:func:`ranked.read_once`), reading every match
    once when an upper bound of the matches says that costs less than walking each tier
    (:func:`ranked.materializes`). Same page, total and facets as the separate statements
    below (SQLite's). The total and facets are cached per catalogue ``version`` (read by
    the caller when they are asked for): the next page, or the same query again, reads
    the page alone."""
    after = _cursor_key(plan, request)  # a bad cursor fails before any statement
    sample = bool(request.facets)  # a ranked query always narrows: facets are sampled
    count = request.count or sample  # as below: a total is read for either
    counts_key, counts = None, None
    if count:
        assert version is not None
        counts_key = facet_counts.cache_key(
            session, _text_key(query.parsed, plan, request, "compound"), version
        )
        counts = facet_counts.cached(counts_key, text=True, counter="total_")
    compound = ranked.compound(query.parsed)
    bound = await ranked.estimated_bound(session, query.parsed)
    # whether to read the matches once depends on the counts asked for, cached or not
    materialize = ranked.materializes(
        bound, count=count, sample=sample, compound=compound, limit=request.count_limit
    )
    if counts is not None:
        count = sample = False
    while True:
        found = await ranked.read_once(
            session,
            query,
            after,
            request.limit + 1,
            materialize=materialize,
            count_limit=request.count_limit if count else None,
            facets=request.facets if sample else (),
            facet_sample=request.facet_sample,
            facet_limit=request.facet_limit,
        )
        if found.complete:
            break
        materialize = False  # far more matches than the statistics said: walk
    if count:
        counts = Counts(found.total, found.exact, found.facets)
        facet_counts.store(counts_key, counts, text=True)
    if counts is not None:  # the cached counts, copied: the caller may change its result
        found.total, found.exact = counts.total, counts.exact
        found.facets = {name: list(values) for name, values in counts.facets.items()}
    page, more = await _rows(session, found.page, request.limit, load)
    next_cursor = None
    if more and page:
        last, score = page[-1]
        key = _key(plan, last, score)
        next_cursor = cursors.encode(cursors.Cursor(plan.sort, key, plan.fingerprint))
    return SearchResult(
        total=found.total if request.count else 0,
        total_exact=found.exact if request.count else False,
        datasets=[row for row, _ in page],
        next_cursor=next_cursor,
        facets=found.facets,
        query=query.parsed,
        sort=plan.sort,
        facets_exact=found.exact and found.total <= request.facet_sample,
    )


async def search(session: AsyncSession, request: SearchRequest) -> SearchResult[Dataset]:
    """Run ``request`` (see :func:`search_rows`), reading whole ``Dataset`` rows."""
    return await search_rows(session, request, load_datasets)


async def search_rows(
    session: AsyncSession,
    request: SearchRequest,
    load: Load[RowT],
    *,
    version: CatalogVersion | None = None,
) -> SearchResult[RowT]:
    """Run ``request``, reading the page's rows with ``load``; raises
    :class:`~harvester.search.cursor.CursorError` for a bad cursor. ``version``: the
    catalogue version, if the caller has just read it.

    Facet counts are exact while the matches are few (at most ``facet_sample``, and within
    ``count_limit``); beyond, they are counted on the first ``facet_sample`` matches and
    ``facets_exact`` is False. Counts over the whole catalogue are read from the stored
    totals (after a write, until they are recounted, as approximate: ``facets_exact`` is
    False), and counts over filters alone are cached, per catalogue version
    (:mod:`harvester.search.facet_counts`)."""
    parsed = parse_query(request.q or "")
    dialect = dialect_name(session)
    dense = await cached_dense(session, request.filters.facets, version)
    plan = _plan(request, parsed, dialect, dense)
    await plan_for_values(session)
    query = ranked.ranked_query(parsed, request.filters, dialect, dense) if plan.ranked else None
    if not parsed.empty and version is None and (request.count or request.facets):
        version = await catalog_version(session)  # text counts are cached by version
    if isinstance(query, ranked.PostgresRankedQuery):
        assert version is not None or not (request.count or request.facets)
        return await _postgres_ranked(session, query, plan, request, load, version)
    if query is not None:
        page, more = await _ranked_page(session, query, plan, request, load)
    else:
        page, more = await _page(session, plan, request, load, version)
    next_cursor = None
    if more and page:
        last, score = page[-1]
        key = _key(plan, last, score)
        next_cursor = cursors.encode(cursors.Cursor(plan.sort, key, plan.fingerprint))
    total, exact = (0, False)
    if request.count or (request.facets and plan.narrowed):
        if not (more or request.cursor or request.offset):  # the page holds every match
            total, exact = len(page), True
        elif not parsed.empty:  # ranked, or on the plain path (another sort, an offset...)

            async def count() -> tuple[int, bool]:
                if query is not None:
                    return await ranked.total(session, query, request.count_limit)
                return await _total(session, plan, request.count_limit)

            total, exact = await cached_total(
                session,
                _text_key(parsed, plan, request, "total"),
                count,
                version=version,
                text=True,
            )
        else:
            total, exact = await cached_total(
                session,
                (request.filters.key(), request.count_limit),
                lambda: _total(session, plan, request.count_limit),
                version=version,
            )
    facets_exact = exact and total <= request.facet_sample
    sample: Callable[[], Select[Any]] | None = None
    if plan.narrowed and request.facets:  # the sample is only read to count facets
        sample = _sample(plan, query, None if facets_exact else request.facet_sample)
    facets_current = True
    if request.facets and parsed.empty:
        facets, facets_current = await cached_facets(
            session,
            (request.filters.key(), request.facet_sample, facets_exact, request.count_limit),
            request.facets,
            sample,
            limit=request.facet_limit,
            version=version,
        )
    elif request.facets and sample is not None:  # a text query's sample
        facets, _ = await cached_facets(
            session,
            _text_key(parsed, plan, request, "facets", facets_exact),
            request.facets,
            sample,
            limit=request.facet_limit,
            version=version,
            text=True,
        )
    else:
        facets = await count_facets(
            session, request.facets, sample() if sample else None, limit=request.facet_limit
        )
    return SearchResult(
        total=total if request.count else 0,
        total_exact=exact if request.count else False,
        datasets=[row for row, _ in page],
        next_cursor=next_cursor,
        facets=facets,
        query=parsed,
        sort=plan.sort,
        facets_exact=(facets_exact or not plan.narrowed) and facets_current,
    )
