"""Full-text index on each database: SQLite FTS5 or PostgreSQL tsvector.

A backend writes documents and turns a parsed query into sub-selects of matching
``dataset.pk`` values; :mod:`harvester.search.engine` combines them with filters, sorting
and facets in portable SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from harvester.search.query import ParsedQuery
from harvester.search.render import Fields, fts5_match, tsquery
from harvester.search.text import SearchDocument

Matches = tuple[TextualSelect | None, TextualSelect | None]
"""Sub-selects of the pks that match (positive part) and that must be excluded."""


class SearchBackend(Protocol):
    async def index(
        self, session: AsyncSession, docs: Sequence[tuple[int, SearchDocument]]
    ) -> None:
        """Add or replace the documents of these datasets."""

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


def _select(sql: str, name: str, value: str | None) -> TextualSelect | None:
    if value is None:
        return None
    return sa.text(sql.format(param=name)).bindparams(**{name: value}).columns(pk=sa.Integer)


class SqliteSearch:
    """FTS5 table ``search_fts`` whose rowid is ``dataset.pk``."""

    async def index(
        self, session: AsyncSession, docs: Sequence[tuple[int, SearchDocument]]
    ) -> None:
        if not docs:
            return
        await self.remove(session, [pk for pk, _ in docs])
        await session.execute(
            sa.text(
                "INSERT INTO search_fts(rowid, title_fr, title_en, body_fr, body_en) "
                "VALUES (:pk, :title_fr, :title_en, :body_fr, :body_en)"
            ),
            _doc_params(docs),
        )

    async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
        if pks:
            await session.execute(
                sa.text("DELETE FROM search_fts WHERE rowid = :pk"), [{"pk": pk} for pk in pks]
            )

    def matches(self, query: ParsedQuery, fields: Fields = "all") -> Matches:
        positive, negative = fts5_match(query, fields)
        sql = "SELECT rowid AS pk FROM search_fts WHERE search_fts MATCH :{param}"
        return _select(sql, f"fts_{fields}", positive), _select(sql, f"fts_not_{fields}", negative)


class PostgresSearch:
    """Table ``search_doc`` with a stored generated ``tsvector`` and a GIN index."""

    async def index(
        self, session: AsyncSession, docs: Sequence[tuple[int, SearchDocument]]
    ) -> None:
        if docs:
            await session.execute(
                sa.text(
                    "INSERT INTO search_doc(dataset_pk, title_fr, title_en, body_fr, body_en) "
                    "VALUES (:pk, :title_fr, :title_en, :body_fr, :body_en) "
                    "ON CONFLICT (dataset_pk) DO UPDATE SET title_fr = excluded.title_fr, "
                    "title_en = excluded.title_en, body_fr = excluded.body_fr, "
                    "body_en = excluded.body_en"
                ),
                _doc_params(docs),
            )

    async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
        if pks:
            await session.execute(
                sa.text("DELETE FROM search_doc WHERE dataset_pk = ANY(:pks)"), {"pks": list(pks)}
            )

    def matches(self, query: ParsedQuery, fields: Fields = "all") -> Matches:
        positive, negative = tsquery(query, fields)
        sql = (
            "SELECT dataset_pk AS pk FROM search_doc WHERE vector @@ to_tsquery('simple', :{param})"
        )
        return _select(sql, f"ts_{fields}", positive), _select(sql, f"ts_not_{fields}", negative)


def search_backend(dialect_name: str) -> SearchBackend:
    """The backend for a SQLAlchemy dialect name."""
    return SqliteSearch() if dialect_name == "sqlite" else PostgresSearch()
