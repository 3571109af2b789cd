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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from harvester.search.facets import facet_filter
from harvester.search.filters import Filters
from harvester.search.query import ParsedQuery
from harvester.search.rank import PK_MASK, rank_key, split
from harvester.search.render import fts5_match, tsquery

TITLE_BONUS = 100
_TABLES = {
    name: sa.table(name, sa.column("rowid", sa.BigInteger))
    for name in ("search_fts", "search_title")
}
_MASK: sa.ColumnElement[int] = sa.literal_column(str(PK_MASK))


def applies(filters: Filters) -> bool:
    """Whether these filters can be applied on rank keys alone (facet filters only)."""
    return filters.empty or (
        bool(filters.facets)
        and not any(
            (
                filters.modified_since,
                filters.modified_before,
                filters.temporal_start,
                filters.temporal_end,
                filters.bbox,
            )
        )
    )


class RankedQuery:
    """FTS5 statements for one parsed query with a positive part and facet-only filters."""

    def __init__(self, parsed: ParsedQuery, filters: Filters) -> None:
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

    def _select(self, table: str, expression: str, *, pks: bool = False) -> Select[Any]:
        """Rank keys (or pks) of the rows of ``table`` matching ``expression``, in rank
        order, under the facet filters."""
        fts = _TABLES[table]
        key = fts.c.rowid
        pk = key.op("&")(_MASK)
        match = sa.text(f"{table} MATCH :match_{table}").bindparams(
            **{f"match_{table}": expression}
        )
        statement = sa.select(pk.label("pk") if pks else key.label("key"))
        statement = statement.select_from(fts).where(match)
        for facet, values in sorted(self.filters.facets.items()):
            statement = statement.where(pk.in_(facet_filter(facet, values)))
        return statement.order_by(key)

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
            statement = statement.where(key > after)
        return statement.limit(limit)

    def candidates(self, limit: int | None) -> Select[Any]:
        """The pks of matches in rank order (the first ``limit``)."""
        statement = self._select("search_fts", self.everything, pks=True)
        return statement if limit is None else statement.limit(limit)

    def counted(self, limit: int) -> Select[Any]:
        """At most ``limit`` matches, in any order (for the capped total)."""
        return self.candidates(limit)


_DOC = sa.table(
    "search_doc",
    sa.column("dataset_pk", sa.Integer),
    sa.column("rank_key", sa.BigInteger),
)


class PostgresRankedQuery:
    """The same statements on PostgreSQL's ``search_doc`` (rank key in a btree, titles and
    everything in GIN-indexed tsvectors)."""

    def __init__(self, parsed: ParsedQuery, filters: Filters) -> None:
        everything, negative = tsquery(parsed, "all")
        title, _ = tsquery(parsed, "title")
        if everything is None or title is None:
            raise ValueError("a ranked query needs a positive part")
        self.everything = everything
        self.title = title
        self.negative = negative
        self.filters = filters

    def _where(self, statement: Select[Any], *conditions: str) -> Select[Any]:
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
            statement = statement.where(_DOC.c.dataset_pk.in_(facet_filter(facet, values)))
        return statement

    def keys(self, tier: int, after: int | None, limit: int) -> Select[Any]:
        """Rank keys of tier 1 (title matches) or 2 (the rest), after ``after``."""
        key = _DOC.c.rank_key
        statement = sa.select(key.label("key")).select_from(_DOC)
        if tier == 1:
            statement = self._where(statement, _TITLE)
        else:
            statement = self._where(statement, _ALL, f"NOT {_TITLE}")
        if after is not None:
            statement = statement.where(key > after)
        return statement.order_by(key).limit(limit)

    def candidates(self, limit: int | None) -> Select[Any]:
        """The pks of matches in rank order (the first ``limit``)."""
        statement = sa.select(_DOC.c.dataset_pk.label("pk")).select_from(_DOC)
        statement = self._where(statement, _ALL)
        return statement if limit is None else statement.order_by(_DOC.c.rank_key).limit(limit)

    def counted(self, limit: int) -> Select[Any]:
        """At most ``limit`` matches, in any order (for the capped total)."""
        statement: Select[Any] = sa.select(sa.literal_column("1")).select_from(_DOC)
        return self._where(statement, _ALL).limit(limit)


_ALL = "vector @@ to_tsquery('simple', :pg_all)"
_TITLE = "title_vector @@ to_tsquery('simple', :pg_title)"

AnyRankedQuery = RankedQuery | PostgresRankedQuery


def ranked_query(parsed: ParsedQuery, filters: Filters, dialect: str) -> AnyRankedQuery:
    """The early-stopping statements of ``parsed`` for this SQL dialect."""
    if dialect == "sqlite":
        return RankedQuery(parsed, filters)
    return PostgresRankedQuery(parsed, filters)


async def page(
    session: AsyncSession, query: AnyRankedQuery, after: tuple[int, int] | None, limit: int
) -> list[tuple[int, int]]:
    """Up to ``limit`` (pk, score) pairs in relevance order, after the key ``(score, pk)``."""
    first_after: int | None = None
    second_after: int | None = None
    skip_titles = False
    if after is not None:
        score, last = after
        if score >= TITLE_BONUS:
            first_after = rank_key(score - TITLE_BONUS, last)
        else:
            skip_titles = True
            second_after = rank_key(score, last)
    # both tiers in one round trip; the second one is read only as far as needed
    parts = []
    if not skip_titles:
        titles = query.keys(1, first_after, limit).subquery("titles")
        parts.append(sa.select(sa.literal(1).label("tier"), titles.c.key))
    others = query.keys(2, second_after, limit).subquery("others")
    parts.append(sa.select(sa.literal(2).label("tier"), others.c.key))
    union = sa.union_all(*parts).subquery("tiers")
    statement = sa.select(union.c.tier, union.c.key).order_by(union.c.tier, union.c.key)
    found: list[tuple[int, int]] = []
    for tier, key in await session.execute(statement.limit(limit)):
        richness, pk = split(int(key))
        found.append((pk, richness + (TITLE_BONUS if tier == 1 else 0)))
    return found


async def total(session: AsyncSession, query: AnyRankedQuery, limit: int) -> tuple[int, bool]:
    capped = query.counted(limit + 1).subquery()
    count = int(await session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)
    return (limit, False) if count > limit else (count, True)


def sample(query: AnyRankedQuery, limit: int | None) -> Select[Any]:
    return query.candidates(limit)


__all__: Sequence[str] = (
    "PostgresRankedQuery",
    "RankedQuery",
    "applies",
    "page",
    "ranked_query",
    "sample",
    "total",
)
