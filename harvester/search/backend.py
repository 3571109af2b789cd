"""Full-text index on each database: SQLite FTS5 or PostgreSQL tsvector.

A backend writes documents and turns a parsed query into sub-selects of matching
``dataset.pk`` values; :mod:`harvester.search.engine` combines them with filters, sorting
and facets in portable SQL.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import partial
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from harvester.search.facet_tokens import document
from harvester.search.pg_vectors import vectors
from harvester.search.query import ParsedQuery
from harvester.search.rank import PK_MASK, rank_key
from harvester.search.render import Fields, fts5_match, tsquery
from harvester.search.text import SearchDocument
from harvester.store.among import among
from harvester.store.bulk import copies_new_rows, copy_text, execute_many

Matches = tuple[TextualSelect | None, TextualSelect | None]
"""Sub-selects of the pks that match (positive part) and that must be excluded."""


class SearchBackend(Protocol):
    async def index(
        self,
        session: AsyncSession,
        docs: Sequence[tuple[int, SearchDocument]],
        *,
        richness: Mapping[int, int],
        facets: Mapping[int, Collection[tuple[str, str]]],
        fresh: Collection[int] = (),
    ) -> None:
        """Add or replace the documents of these datasets; ``richness`` is each one's as its
        row holds it (the first part of its rank key), ``facets`` its facet pairs,
        ``fresh`` those the caller just inserted (none of theirs is indexed yet)."""

    async def refacet(
        self, session: AsyncSession, facets: Sequence[tuple[int, Collection[tuple[str, str]]]]
    ) -> None:
        """Make the indexed facet pairs of these datasets (pk, pairs) the given ones, their
        text unchanged (datasets not indexed are left out)."""

    async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
        """Drop these datasets from the index."""

    def matches(self, query: ParsedQuery, fields: Fields = "all") -> Matches:
        """Sub-selects (column ``pk``) of the datasets matching ``query`` and of those
        that one of its ``-exclusions`` matches; None where the query has no such part."""


def _doc_params(docs: Sequence[tuple[int, SearchDocument]]) -> list[dict[str, object]]:
    return [
        {
            "pk": pk,
            "title_fr": doc.title_fr,
            "title_en": doc.title_en,
            "body_fr": doc.body_fr,
            "body_en": doc.body_en,
        }
        for pk, doc in docs
    ]


def _keyed_params(
    docs: Sequence[tuple[int, SearchDocument]],
    richness: Mapping[int, int],
    facets: Mapping[int, Collection[tuple[str, str]]] | None = None,
) -> list[dict[str, object]]:
    """:func:`_doc_params` plus each dataset's rank key (``key``) and, given ``facets``,
    its ``facets`` column (:func:`~harvester.search.facet_tokens.document`)."""
    params = _doc_params(docs)
    for row, (pk, _) in zip(params, docs, strict=True):
        row["key"] = rank_key(richness.get(pk, 0), pk)
        if facets is not None:
            row["facets"] = document(facets.get(pk, ()))
    return params


def _select(sql: str, name: str, value: str | None) -> TextualSelect | None:
    if value is None:
        return None
    return sa.text(sql.format(param=name)).bindparams(**{name: value}).columns(pk=sa.Integer)


_SQLITE_INSERTS = (
    (
        "search_fts insert",
        "INSERT INTO search_fts(rowid, title_fr, title_en, body_fr, body_en, facets) "
        "VALUES (:key, :title_fr, :title_en, :body_fr, :body_en, :facets)",
    ),
    (
        "search_title insert",
        "INSERT INTO search_title(rowid, title_fr, title_en) VALUES (:key, :title_fr, :title_en)",
    ),
    ("search_key insert", "INSERT INTO search_key(dataset_pk, rank_key) VALUES (:pk, :key)"),
)


_SQLITE_REFACET = (
    "UPDATE search_fts SET facets = :facets "
    "WHERE rowid = (SELECT rank_key FROM search_key WHERE dataset_pk = :pk)"
)


_SEARCH_KEY = sa.table(
    "search_key", sa.column("dataset_pk", sa.Integer), sa.column("rank_key", sa.Integer)
)
"""SQLite's ``dataset.pk`` → rank key table (migration 0007), for the statements built here."""


class SqliteSearch:
    """FTS5 tables ``search_fts`` (titles and bodies, and the facet pairs as tokens:
    :mod:`harvester.search.facet_tokens`) and ``search_title`` (titles) whose rowid is the
    dataset's rank key (:mod:`harvester.search.rank`); ``search_key`` maps ``dataset.pk``
    to it. Only visible datasets are indexed (withdrawal removes them)."""

    async def index(
        self,
        session: AsyncSession,
        docs: Sequence[tuple[int, SearchDocument]],
        *,
        richness: Mapping[int, int],
        facets: Mapping[int, Collection[tuple[str, str]]],
        fresh: Collection[int] = (),
    ) -> None:
        if not docs:
            return
        await self.remove(session, [pk for pk, _ in docs if pk not in fresh])
        params = _keyed_params(docs, richness, facets)
        for name, sql in _SQLITE_INSERTS:
            await execute_many(session, name, params, partial(sa.text, sql))

    async def refacet(
        self, session: AsyncSession, facets: Sequence[tuple[int, Collection[tuple[str, str]]]]
    ) -> None:
        # FTS5 replaces the row (the text read back from its content table)
        params = [{"pk": pk, "facets": document(pairs)} for pk, pairs in facets]
        if params:
            await session.execute(sa.text(_SQLITE_REFACET), params)

    async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
        if not pks:
            return
        # the keys as one parameter (one statement text whatever their number), each
        # looked up by the primary key
        pk = _SEARCH_KEY.c.dataset_pk
        rows = await session.execute(
            sa.select(_SEARCH_KEY.c.rank_key).where(among(pk, pks, "sqlite"))
        )
        keys = [{"key": key} for (key,) in rows]
        if not keys:
            return
        for table in ("search_fts", "search_title"):
            await session.execute(sa.text(f"DELETE FROM {table} WHERE rowid = :key"), keys)
        # by its primary key: ``rank_key`` has no index, and a delete by it read the whole
        # table once per dataset (a re-harvest changing 5 % of 1 M: 50 k scans)
        await session.execute(sa.delete(_SEARCH_KEY).where(among(pk, pks, "sqlite")))

    def matches(self, query: ParsedQuery, fields: Fields = "all") -> Matches:
        positive, negative = fts5_match(query, fields)
        table = "search_title" if fields == "title" else "search_fts"
        sql = f"SELECT rowid & {PK_MASK} AS pk FROM {table} WHERE {table} MATCH :{{param}}"
        negated = (
            f"SELECT rowid & {PK_MASK} AS pk FROM search_fts WHERE search_fts MATCH :{{param}}"
        )
        return _select(sql, f"fts_{fields}", positive), _select(
            negated, f"fts_not_{fields}", negative
        )


PG_TITLES = (
    "setweight(to_tsvector('simple'::regconfig, :title_fr), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, :title_en), 'B')"
)
"""``search_doc.title_vector`` of the title texts (parameters)."""
PG_VECTOR = (
    "titles || setweight(to_tsvector('simple'::regconfig, :body_fr), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, :body_en), 'D')"
)
"""``search_doc.vector`` of the texts (parameters), ``titles`` being :data:`PG_TITLES`."""
_PG_INSERT = (
    "INSERT INTO search_doc(dataset_pk, rank_key, title_vector, vector) "
    f"SELECT :pk, :key, titles, {PG_VECTOR} "
    f"FROM (SELECT {PG_TITLES} AS titles) AS document "
    "ON CONFLICT (dataset_pk) DO UPDATE SET rank_key = excluded.rank_key, "
    "title_vector = excluded.title_vector, vector = excluded.vector"
)
"""The vectors the generated columns before migration 0018 held (same expressions), from
the texts as parameters: the texts themselves are not stored."""

_PG_INSERT_VECTORS = (
    "INSERT INTO search_doc(dataset_pk, rank_key, title_vector, vector) "
    "VALUES (:pk, :key, CAST(:title_vector AS tsvector), CAST(:vector AS tsvector)) "
    "ON CONFLICT (dataset_pk) DO UPDATE SET rank_key = excluded.rank_key, "
    "title_vector = excluded.title_vector, vector = excluded.vector"
)
"""The same vectors, written by :func:`harvester.search.pg_vectors.vectors`."""


_PG_COPY_COLUMNS = ("dataset_pk", "rank_key", "title_vector", "vector")
"""The columns of the rows of datasets the batch inserted, taken by text ``COPY`` (no row
of theirs to conflict with; the server reads the vectors' text as the ``CAST`` does, and
:func:`~harvester.search.pg_vectors.vectors` writes no character the format escapes)."""


class PostgresSearch:
    """Table ``search_doc``: tsvectors ``vector`` (titles and bodies, weights A–D) and
    ``title_vector`` (titles, A–B), each under a GIN index, and the dataset's rank key
    (:mod:`harvester.search.rank`) under a btree, so a relevance page can walk matches in
    rank order (migration 0008). The vectors are written as ``tsvector`` text
    (:mod:`harvester.search.pg_vectors`), or computed by the ``INSERT`` from the analysed
    texts (migration 0018) when a text needs PostgreSQL's parser. Only visible datasets
    are indexed (withdrawal removes them)."""

    async def index(
        self,
        session: AsyncSession,
        docs: Sequence[tuple[int, SearchDocument]],
        *,
        richness: Mapping[int, int],
        facets: Mapping[int, Collection[tuple[str, str]]],
        fresh: Collection[int] = (),
    ) -> None:
        if not docs:
            return
        copying = copies_new_rows("postgresql")
        written: list[dict[str, object]] = []
        declined: list[tuple[int, SearchDocument]] = []
        copied: list[str] = []
        for pk, doc in docs:
            found = doc.vectors
            if found is None:  # not mapped for PostgreSQL: written here
                found = vectors(doc)
            if not found:  # None or (): a text needs to_tsvector
                declined.append((pk, doc))
                continue
            key = rank_key(richness.get(pk, 0), pk)
            if copying and pk in fresh:
                copied.append(f"{pk}\t{key}\t{found[0]}\t{found[1]}\n")
            else:
                written.append({"pk": pk, "key": key, "title_vector": found[0], "vector": found[1]})
        await copy_text(session, "search_doc", _PG_COPY_COLUMNS, "".join(copied))
        computed = _keyed_params(declined, richness)
        for sql, params in ((_PG_INSERT_VECTORS, written), (_PG_INSERT, computed)):
            if params:
                await session.execute(sa.text(sql), params)

    async def refacet(
        self, session: AsyncSession, facets: Sequence[tuple[int, Collection[tuple[str, str]]]]
    ) -> None:
        return None  # facet filters read ``dataset_facet``

    async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
        if pks:
            await session.execute(
                sa.text("DELETE FROM search_doc WHERE dataset_pk = ANY(:pks)"), {"pks": list(pks)}
            )

    def matches(self, query: ParsedQuery, fields: Fields = "all") -> Matches:
        positive, negative = tsquery(query, fields)
        column = "title_vector" if fields == "title" else "vector"
        sql = f"SELECT dataset_pk AS pk FROM search_doc WHERE {column} @@ to_tsquery('simple', :{{param}})"
        negated = (
            "SELECT dataset_pk AS pk FROM search_doc WHERE vector @@ to_tsquery('simple', :{param})"
        )
        return _select(sql, f"ts_{fields}", positive), _select(
            negated, f"ts_not_{fields}", negative
        )


def search_backend(dialect_name: str) -> SearchBackend:
    """The backend for a SQLAlchemy dialect name."""
    return SqliteSearch() if dialect_name == "sqlite" else PostgresSearch()
