"""Relevance pages that stop early, read in rank-key order (SQLite FTS5 rowids,
PostgreSQL ``search_doc.rank_key``).

Relevance is two tiers — datasets whose title matches the query (score ``100 + richness``),
then the other matches (score ``richness``) — each ordered by ``(richness desc, pk)``.
Full-text rowids are rank keys (:mod:`harvester.search.rank`), so each tier is one FTS5
query in rowid order with a ``LIMIT``: the title tier in ``search_title``, the rest as
``all NOT title`` in ``search_fts``. A common term costs the page's rows, not its matches.
The total counts at most ``count_limit + 1`` matches, and sampled facets take the first
matches in that same order. The index holds visible datasets only (withdrawal removes
them), so no row of ``dataset`` is read before the page's own.

PostgreSQL (:class:`PostgresRankedQuery`, migration 0008) runs the same tiers on
``search_doc``: ``title_vector @@ title`` for the first, ``vector @@ all AND NOT
title_vector @@ title`` for the rest, each ``ORDER BY rank_key LIMIT n``. The planner picks
per query between walking the ``rank_key`` btree with the ``@@`` filter (a common term: it
stops after the page's rows) and a GIN bitmap then a top-N sort (a rare term: its few
matches), from the tsvector statistics of ``ANALYZE``. The capped total is unordered (a
scan may stop at the cap wherever the matches lie).

On PostgreSQL a search is one statement (:func:`read_once`): the tiers, the capped total
and the facet counts of the sample, as ``UNION ALL`` arms, each planned on its own. The rest
tier runs only if the title tier falls short of the page (a constant condition, checked
before the walk): a term found in titles wherever it is found ("pompier", 1 M datasets:
24,560 matches, all in titles) has no other match, and the walk of the rest tier read every
rank key looking for one (1.4 s).

Queries with few matches read them once instead (:func:`materializes`). The planner
estimates an AND of words or a phrase as the product of their frequencies ("pistes
cyclables", 1 M datasets: 147 title matches estimated, 11,965 real), so it read and sorted
every match for each tier where a rank-key walk would stop early, then again for the capped
total and for the facet sample. An upper bound of the matches from each word's own
statistics (:func:`match_bound`: the rarest group of an AND, a sum for an OR; one
``EXPLAIN`` of one scan per word, :func:`estimated_bound`) decides: up to
:data:`MATERIALIZE_MATCHES`, the statement reads every match once (a GIN bitmap, keeping its
rank key and whether its title matches, ``MATERIALIZED``) and takes from it both tiers of
the page, the capped total and the facet counts of the first ``facet_sample`` matches in
rank-key order — the same rows, total and sample as the walks, since a title match is always
a match of the whole document (``title_vector`` is a prefix of ``vector``: same lexemes,
weights and positions).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from harvester.search import facet_tokens
from harvester.search.facets import (
    FacetCounts,
    facet_condition,
    facet_statement,
    read_facets,
)
from harvester.search.filters import Filters
from harvester.search.query import ParsedQuery
from harvester.search.rank import PK_MASK, rank_key, split
from harvester.search.render import fts5_match, tsquery
from harvester.store.sqlite_shaped import read_shaped

TITLE_BONUS = 100
_TABLES = {
    name: sa.table(name, sa.column("rowid", sa.BigInteger))
    for name in ("search_fts", "search_title")
}
_MASK: sa.ColumnElement[int] = sa.literal_column(str(PK_MASK))


def applies(filters: Filters) -> bool:
    """Whether these filters can be applied on rank keys alone (facet filters only)."""
    return filters.empty_but_facets


class RankedQuery:
    """FTS5 statements for one parsed query with a positive part and facet-only filters."""

    def __init__(self, parsed: ParsedQuery, filters: Filters, dense: Collection[str] = ()) -> None:
        everything, negative = fts5_match(parsed, "all")
        title, _ = fts5_match(parsed, "title")
        if everything is None or title is None:
            raise ValueError("a ranked query needs a positive part")
        self.negative = negative
        self.title = title
        self.others = f"(({everything}) NOT ({title}))"
        self.everything = f"({everything})"
        if negative is not None:
            self.others = f"({self.others} NOT ({negative}))"
            self.everything = f"({self.everything} NOT ({negative}))"
        self.filters = filters
        self.facet_match = facet_tokens.match(filters.facets)
        """The facet filters as phrases of ``search_fts``'s facet tokens."""
        self.dense = dense
        """Facets tested by probes, not by their list of pks (``facet_condition``), where a
        table has no facet tokens."""

    def _select(self, table: str, expression: str, *, pks: bool = False) -> Select[Any]:
        """Rank keys (or pks) of the rows of ``table`` matching ``expression``, in rank
        order, under the facet filters: on ``search_fts``, phrases of its facet tokens in
        the ``MATCH`` (:mod:`.facet_tokens`, FTS5 intersects the lists); on
        ``search_title``, which has none, conditions on ``dataset_facet``, the dense facets
        tested by probes (the title tier stops after a page's matches)."""
        fts = _TABLES[table]
        key = fts.c.rowid
        pk = key.op("&")(_MASK)
        tested = {} if table == "search_fts" else self.filters.facets
        expression = self._with_facets(table, expression)
        match = sa.text(f"{table} MATCH :match_{table}").bindparams(
            **{f"match_{table}": expression}
        )
        statement = sa.select(pk.label("pk") if pks else key.label("key"))
        statement = statement.select_from(fts).where(match)
        for facet, values in sorted(tested.items()):
            statement = statement.where(
                facet_condition(pk, facet, values, probe=facet in self.dense)
            )
        return statement.order_by(key)

    def _with_facets(self, table: str, expression: str) -> str:
        """``expression`` on ``table``, and the facet filters on ``search_fts``."""
        if table != "search_fts" or self.facet_match is None:
            return expression
        return f"({expression}) AND {self.facet_match}"

    def keys(self, tier: int, after: int | None, limit: int) -> Select[Any]:
        """Rank keys of tier 1 (title matches) or 2 (the rest), after ``after``."""
        table = "search_title" if tier == 1 else "search_fts"
        key = _TABLES[table].c.rowid
        statement = self._select(table, self.title if tier == 1 else self.others)
        if tier == 1 and self.negative is not None:
            fts = _TABLES["search_fts"]
            excluded = (
                sa.select(fts.c.rowid.op("&")(_MASK))
                .select_from(fts)
                .where(sa.text("search_fts MATCH :unwanted").bindparams(unwanted=self.negative))
            )
            statement = statement.where(key.op("&")(_MASK).not_in(excluded))
        if after is not None:
            statement = statement.where(key > sa.bindparam("after", after))
        return statement.limit(sa.bindparam("limit", limit))

    def shape(self, tier: int, after: int | None) -> tuple[Any, ...]:
        """What decides :meth:`keys`'s SQL and the values it keeps but the match
        expressions, ``after`` and the limit (named parameters, given per call): the shape
        :func:`~harvester.store.sqlite_shaped.read_shaped` keeps its SQL text under. Tier
        2's facet filters are phrases of its match expression, not SQL: one shape for all."""
        kind = ("ranked keys", tier, self.negative is not None, after is not None)
        if tier == 2:
            return kind
        facets = tuple(
            (facet, tuple(values)) for facet, values in sorted(self.filters.facets.items())
        )
        probed = tuple(sorted(set(self.filters.facets) & set(self.dense)))
        return (*kind, facets, probed)

    def key_parameters(self, tier: int, after: int | None, limit: int) -> dict[str, Any]:
        """The named parameters of :meth:`keys`."""
        values: dict[str, Any] = {"limit": limit}
        if tier == 1:
            values["match_search_title"] = self.title
            if self.negative is not None:
                values["unwanted"] = self.negative
        else:
            values["match_search_fts"] = self._with_facets("search_fts", self.others)
        if after is not None:
            values["after"] = after
        return values

    def candidates(self, limit: int | None) -> Select[Any]:
        """The pks of matches in rank order (the first ``limit``)."""
        statement = self._select("search_fts", self.everything, pks=True)
        return statement if limit is None else statement.limit(limit)

    def counted(self, limit: int) -> Select[Any]:
        """At most ``limit`` matches (for the capped total)."""
        return self._select("search_fts", self.everything, pks=True).limit(limit)


_DOC = sa.table(
    "search_doc",
    sa.column("dataset_pk", sa.Integer),
    sa.column("rank_key", sa.BigInteger),
    sa.column("title_vector"),
)


class PostgresRankedQuery:
    """The same statements on PostgreSQL's ``search_doc`` (rank key in a btree, titles and
    everything in GIN-indexed tsvectors)."""

    def __init__(self, parsed: ParsedQuery, filters: Filters, dense: Collection[str] = ()) -> None:
        everything, negative = tsquery(parsed, "all")
        title, _ = tsquery(parsed, "title")
        if everything is None or title is None:
            raise ValueError("a ranked query needs a positive part")
        self.parsed = parsed
        self.everything = everything
        self.title = title
        self.negative = negative
        self.filters = filters
        self.dense = dense
        """Facets probed per match where a read stops early (pages, capped samples): the
        planner otherwise hashes a dense value's every pk (1 M datasets, a licence of
        500 k: a 1,000-match sample 830 → 18 ms)."""

    def _where(self, statement: Select[Any], *conditions: str, probes: bool = False) -> Select[Any]:
        params = {"pg_all": self.everything, "pg_title": self.title, "pg_not": self.negative}
        for condition in conditions:
            used = {name: value for name, value in params.items() if f":{name}" in condition}
            statement = statement.where(sa.text(condition).bindparams(**used))
        if self.negative is not None:
            statement = statement.where(
                sa.text("NOT vector @@ to_tsquery('simple', :pg_not)").bindparams(
                    pg_not=self.negative
                )
            )
        for facet, values in sorted(self.filters.facets.items()):
            probe = probes and facet in self.dense
            statement = statement.where(
                facet_condition(_DOC.c.dataset_pk, facet, values, probe=probe, subplan=True)
            )
        return statement

    def keys(self, tier: int, after: int | None, limit: int) -> Select[Any]:
        """Rank keys of tier 1 (title matches) or 2 (the rest), after ``after``."""
        key = _DOC.c.rank_key
        statement = sa.select(key.label("key")).select_from(_DOC)
        if tier == 1:
            statement = self._where(statement, _TITLE, probes=True)
        else:
            statement = self._where(statement, _ALL, f"NOT {_TITLE}", probes=True)
        if after is not None:
            statement = statement.where(key > after)
        return statement.order_by(key).limit(limit)

    def candidates(self, limit: int | None) -> Select[Any]:
        """The pks of matches in rank order (the first ``limit``)."""
        statement = sa.select(_DOC.c.dataset_pk.label("pk")).select_from(_DOC)
        statement = self._where(statement, _ALL, probes=limit is not None)
        return statement if limit is None else statement.order_by(_DOC.c.rank_key).limit(limit)

    def counted(self, limit: int) -> Select[Any]:
        """At most ``limit`` matches, in any order (for the capped total)."""
        statement: Select[Any] = sa.select(sa.literal_column("1")).select_from(_DOC)
        return self._where(statement, _ALL).limit(limit)

    def matches(self, limit: int) -> sa.CTE:
        """Every match (``key``: rank key, ``titled``: whether the title matches), read
        once (``MATERIALIZED``): what both tiers, the total and the sample are taken from.
        At most ``limit`` of them, in any order: reaching it means they are not all there."""
        titled = _DOC.c.title_vector.op("@@", return_type=sa.Boolean)(
            sa.func.to_tsquery(sa.literal_column("'simple'"), sa.bindparam("pg_title", self.title))
        )
        statement = sa.select(_DOC.c.rank_key.label("key"), titled.label("titled"))
        statement = self._where(statement.select_from(_DOC), _ALL).limit(limit)
        return statement.cte("matches").prefix_with("MATERIALIZED")


_ALL = "vector @@ to_tsquery('simple', :pg_all)"
_TITLE = "title_vector @@ to_tsquery('simple', :pg_title)"

MATERIALIZE_MATCHES = 30_000
"""Upper bound of a query's matches up to which one scan of every match serves the page,
the capped total and the facet sample on PostgreSQL (1 M datasets: reading 11,965 matches
once, ~12 k heap pages, costs what the capped total alone did)."""

PAGE_MATERIALIZE = 2_000
"""Upper bound of the matches up to which a page alone is read from every match: a walk of
the rank keys stops after a page's matches, but for a rare word that is a long way (1 M
datasets, 225 matches: 139 ms against ~5 ms for reading them)."""

MATERIALIZE_MAX = 4 * MATERIALIZE_MATCHES
"""Matches read at most when reading them all: statistics older than the matches (before
the next ``ANALYZE``) may put a term with many more under the bound; the search then walks
its tiers instead (:attr:`Found.complete`)."""


def stems(parsed: ParsedQuery) -> list[str]:
    """The distinct stems of the positive part of ``parsed``, in query order."""
    found: dict[str, None] = {}
    for group in parsed.must:
        for term in group:
            found.update(dict.fromkeys((*term.fr, *term.en)))
    return list(found)


def match_bound(parsed: ParsedQuery, rows: Mapping[str, float]) -> float:
    """An upper bound of the matches of ``parsed`` from the matches of each stem (``rows``):
    a phrase matches at most as often as its rarest word, a term at most as often as its
    French and English forms together, a group (OR) at most as its terms together, the
    query (AND) at most as its rarest group. Exclusions and filters only remove matches."""
    bound = float("inf")
    for group in parsed.must:
        found = 0.0
        for term in group:
            found += min(rows[stem] for stem in term.fr)
            if term.en != term.fr:
                found += min(rows[stem] for stem in term.en)
        bound = min(bound, found)
    return bound


def compound(parsed: ParsedQuery) -> bool:
    """Whether PostgreSQL multiplies word frequencies to estimate ``parsed`` (an AND of
    groups, or a phrase): an estimate that can be far below the real matches."""
    return len(parsed.must) > 1 or any(
        len(term.fr) > 1 or len(term.en) > 1 for group in parsed.must for term in group
    )


def _estimate_statement(words: Sequence[str]) -> sa.TextClause:
    arms = [
        f"SELECT 1 FROM search_doc WHERE vector @@ to_tsquery('simple', :w{i})"
        for i in range(len(words))
    ]
    return sa.text("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(arms)).bindparams(
        **{f"w{i}": "'" + word.replace("'", "''") + "'" for i, word in enumerate(words)}
    )


def _scans(plan: Mapping[str, Any]) -> list[float]:
    """Estimated rows of each scan of ``search_doc`` in an EXPLAIN (FORMAT JSON) plan, in
    plan order (one per arm of the statement)."""
    found = [float(plan["Plan Rows"])] if plan.get("Relation Name") == "search_doc" else []
    for child in plan.get("Plans", ()):
        found += _scans(child)
    return found


async def estimated_bound(session: AsyncSession, parsed: ParsedQuery) -> float | None:
    """:func:`match_bound` from the planner's estimate of each stem alone (its statistics
    of ``search_doc.vector``: one ``EXPLAIN``, no row read); None if unknown."""
    words = stems(parsed)
    if not words:
        return None
    explained: Any = await session.scalar(_estimate_statement(words))
    if isinstance(explained, str | bytes):  # a driver that does not decode json
        explained = json.loads(explained)
    try:
        rows = _scans(explained[0]["Plan"])
    except (KeyError, IndexError, TypeError):
        return None
    if len(rows) != len(words):
        return None
    return match_bound(parsed, dict(zip(words, rows, strict=True)))


def materializes(
    bound: float | None, *, count: bool, sample: bool, compound: bool, limit: int
) -> bool:
    """Whether to read every match once (:func:`read_once`) rather than walk each tier,
    given an upper ``bound`` of the matches (None: unknown). Reading them all costs about
    ``bound`` heap rows, never more than :data:`MATERIALIZE_MATCHES`. The statements
    above cost ``min(matches, limit + 1)`` rows for a capped total (``count``), about as
    many again for a facet ``sample`` of a term neither rare nor common, and every match
    per tier when the planner underestimates a ``compound`` query, and a page alone walks
    past every row the word is not in. So: within the bound, always for a sample or a
    compound query, for a total alone up to the count cap, and for a page alone up to
    :data:`PAGE_MATERIALIZE`."""
    if bound is None or bound > MATERIALIZE_MATCHES:
        return False
    return sample or compound or (count and bound <= limit + 1) or bound <= PAGE_MATERIALIZE


AnyRankedQuery = RankedQuery | PostgresRankedQuery


def ranked_query(
    parsed: ParsedQuery, filters: Filters, dialect: str, dense: Collection[str] = ()
) -> AnyRankedQuery:
    """The early-stopping statements of ``parsed`` for this SQL dialect (the facets in
    ``dense`` are probed where a read stops early)."""
    if dialect == "sqlite":
        return RankedQuery(parsed, filters, dense)
    return PostgresRankedQuery(parsed, filters, dense)


async def page(
    session: AsyncSession, query: AnyRankedQuery, after: tuple[int, int] | None, limit: int
) -> list[tuple[int, int]]:
    """Up to ``limit`` (pk, score) pairs in relevance order, after the key ``(score, pk)``:
    the title matches first, the other matches only when those do not fill the page (in
    one statement, SQLite walked the other tier for every page: 1-2.4 ms of a text search
    at 100 k whose titles filled it)."""
    first_after, second_after, skip_titles = _bounds(after)
    found: list[tuple[int, int]] = []
    if not skip_titles:
        for key in await _keys(session, query, 1, first_after, limit):
            richness, pk = split(int(key))
            found.append((pk, richness + TITLE_BONUS))
    if len(found) < limit:
        for key in await _keys(session, query, 2, second_after, limit - len(found)):
            richness, pk = split(int(key))
            found.append((pk, richness))
    return found


async def _keys(
    session: AsyncSession, query: AnyRankedQuery, tier: int, after: int | None, limit: int
) -> list[int]:
    if isinstance(query, RankedQuery):
        rows = await read_shaped(
            session,
            query.shape(tier, after),
            lambda: query.keys(tier, after, limit),
            query.key_parameters(tier, after, limit),
        )
        return [key for (key,) in rows]
    connection = await session.connection()  # Core: the ORM's execution path costs more
    return [key for (key,) in await connection.execute(query.keys(tier, after, limit))]


def _bounds(after: tuple[int, int] | None) -> tuple[int | None, int | None, bool]:
    """Rank-key bounds of each tier after the cursor key ``(score, pk)``, and whether the
    title tier is done."""
    if after is None:
        return None, None, False
    score, last = after
    if score >= TITLE_BONUS:
        return rank_key(score - TITLE_BONUS, last), None, False
    return None, rank_key(score, last), True


@dataclass(slots=True)
class Found:
    """What :func:`read_once` read: the page's (pk, score) pairs, the capped total (0 and
    not exact when not counted) and the facet counts of the sample."""

    page: list[tuple[int, int]]
    total: int
    exact: bool
    facets: FacetCounts
    complete: bool = True
    """False when reading every match stopped at :data:`MATERIALIZE_MAX`: nothing else is
    then meaningful, and the search has to walk."""


async def read_once(
    session: AsyncSession,
    query: PostgresRankedQuery,
    after: tuple[int, int] | None,
    limit: int,
    *,
    materialize: bool,
    count_limit: int | None,
    facets: Sequence[str],
    facet_sample: int,
    facet_limit: int,
) -> Found:
    """In one statement (PostgreSQL): the page (as :func:`page`), the total capped at
    ``count_limit`` if not None (as :func:`total`) and the counts of ``facets`` on the first
    ``facet_sample`` matches in rank-key order (as ``count_facets`` of :func:`sample`:
    whether or not the facets are exact, that is the same set of matches). With
    ``materialize``, each part reads the matches read once (:meth:`~PostgresRankedQuery.
    matches`); otherwise each part is the statement above, planned on its own."""
    first_after, second_after, skip_titles = _bounds(after)
    found = query.matches(MATERIALIZE_MAX) if materialize else None
    text = sa.cast(sa.null(), sa.String)
    number = sa.cast(sa.null(), sa.BigInteger)
    parts: list[Any] = []  # selects of the columns part, n, facet, value, rn
    titles: Any = None
    for tier, bound in ((1, first_after), (2, second_after)):
        if tier == 1 and skip_titles:
            continue
        if found is None:
            tier_keys = query.keys(tier, bound, limit)
        else:
            tier_keys = sa.select(found.c.key)
            tier_keys = tier_keys.where(found.c.titled if tier == 1 else ~found.c.titled)
            if bound is not None:
                tier_keys = tier_keys.where(found.c.key > bound)
            tier_keys = tier_keys.order_by(found.c.key).limit(limit)
        rows: Any
        if tier == 1 and found is None:
            # read once, counted below: the rest is walked only if the titles fall short
            rows = titles = tier_keys.cte("titles").prefix_with("MATERIALIZED")
        else:
            rows = tier_keys.subquery(f"tier{tier}")
        part = sa.select(
            sa.literal(tier).label("part"),
            rows.c.key.label("n"),
            text.label("facet"),
            text.label("value"),
            number.label("rn"),
        )
        if tier == 2 and titles is not None:
            # a constant condition: PostgreSQL checks it before running the walk (a
            # "One-Time Filter"). A term found in titles wherever it is found has no other
            # match, which a walk of the rank keys would look for through every row.
            short = sa.select(sa.func.count()).select_from(titles).scalar_subquery() < limit
            part = part.where(short)
        parts.append(part)
    if found is not None:  # every match (as many as were read), capped below
        parts.append(
            sa.select(sa.literal(0), sa.func.count(), text, text, number).select_from(found)
        )
    elif count_limit is not None:
        capped = query.counted(count_limit + 1).subquery("capped")
        parts.append(
            sa.select(sa.literal(0), sa.func.count(), text, text, number).select_from(capped)
        )
    if facets:
        if found is None:
            sample = query.candidates(facet_sample)
        else:
            sampled = found.c.key.op("&")(_MASK).label("pk")
            sample = sa.select(sampled).order_by(found.c.key).limit(facet_sample)
        counted = facet_statement(facets, sample, limit=facet_limit).subquery("facet_counts")
        parts.append(
            sa.select(sa.literal(3), counted.c.n, counted.c.facet, counted.c.value, counted.c.rn)
        )
    keys: list[tuple[int, int]] = []
    total = 0
    facet_rows: list[tuple[str, str, int, int]] = []
    for part, n, facet, value, rn in await session.execute(sa.union_all(*parts)):
        if part == 0:
            total = int(n)
        elif part == 3:
            facet_rows.append((facet, value, int(rn), int(n)))
        else:
            keys.append((part, int(n)))
    found_page: list[tuple[int, int]] = []
    for tier, key in sorted(keys)[:limit]:
        richness, pk = split(key)
        found_page.append((pk, richness + (TITLE_BONUS if tier == 1 else 0)))
    facet_rows.sort(key=lambda row: (row[0], row[2]))  # by facet, then rank
    complete = found is None or total < MATERIALIZE_MAX
    if count_limit is None:
        total, exact = 0, False
    elif total > count_limit:
        total, exact = count_limit, False
    else:
        exact = True
    facet_counts = read_facets(facets, [(facet, value, n) for facet, value, _, n in facet_rows])
    return Found(found_page, total, exact, facet_counts, complete)


async def total(session: AsyncSession, query: AnyRankedQuery, limit: int) -> tuple[int, bool]:
    capped = query.counted(limit + 1).subquery()
    count = int(await session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)
    return (limit, False) if count > limit else (count, True)


def sample(query: AnyRankedQuery, limit: int | None) -> Select[Any]:
    return query.candidates(limit)


__all__: Sequence[str] = (
    "MATERIALIZE_MATCHES",
    "Found",
    "PostgresRankedQuery",
    "RankedQuery",
    "applies",
    "estimated_bound",
    "match_bound",
    "materializes",
    "page",
    "ranked_query",
    "read_once",
    "sample",
    "total",
)
