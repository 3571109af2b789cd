"""Full-text index and query on each database: SQLite FTS5 or PostgreSQL tsvector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from harvester.search.query import ParsedQuery
from harvester.search.render import fts5_match, tsquery
from harvester.search.text import SearchDocument

TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class Hits:
    """One page of matching dataset primary keys, best first, and the total."""

    total: int
    pks: list[int]


class SearchBackend(Protocol):
    async def index(
        self, session: AsyncSession, docs: Sequence[tuple[int, SearchDocument]]
    ) -> None:
        """Add or replace the documents of these datasets."""

    async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
        """Drop these datasets from the index."""

    async def search(
        self, session: AsyncSession, query: ParsedQuery, *, limit: int, offset: int
    ) -> Hits:
        """Visible (not withdrawn) datasets matching ``query``, ranked."""


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

    async def search(
        self, session: AsyncSession, query: ParsedQuery, *, limit: int, offset: int
    ) -> Hits:
        positive, negative = fts5_match(query)
        params: dict[str, object] = {"limit": limit, "offset": offset}
        conditions = ["d.withdrawn_at IS NULL"]
        if negative:
            conditions.append(
                "d.pk NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :negative)"
            )
            params["negative"] = negative
        if positive:
            params["positive"] = positive
            source = "search_fts JOIN dataset d ON d.pk = search_fts.rowid"
            conditions.append("search_fts MATCH :positive")
            order = f"bm25(search_fts, {TITLE_WEIGHT}, {TITLE_WEIGHT}, {BODY_WEIGHT}, {BODY_WEIGHT}), d.pk"
        else:
            source, order = "dataset d", "d.modified DESC, d.pk"
        where = " AND ".join(conditions)
        total = await session.scalar(
            sa.text(f"SELECT count(*) FROM {source} WHERE {where}"), params
        )
        rows = await session.execute(
            sa.text(
                f"SELECT d.pk FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        return Hits(total=int(total or 0), pks=[row[0] for row in rows])


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

    async def search(
        self, session: AsyncSession, query: ParsedQuery, *, limit: int, offset: int
    ) -> Hits:
        expression = tsquery(query)
        params: dict[str, object] = {"limit": limit, "offset": offset}
        if expression is None:
            source, where, order = (
                "dataset d",
                "d.withdrawn_at IS NULL",
                "d.modified DESC NULLS LAST, d.pk",
            )
        else:
            params["q"] = expression
            weights = f"'{{{BODY_WEIGHT / TITLE_WEIGHT}, {BODY_WEIGHT / TITLE_WEIGHT}, 1, 1}}'"
            source = "search_doc s JOIN dataset d ON d.pk = s.dataset_pk"
            where = "s.vector @@ to_tsquery('simple', :q) AND d.withdrawn_at IS NULL"
            order = f"ts_rank({weights}, s.vector, to_tsquery('simple', :q)) DESC, d.pk"
        total = await session.scalar(
            sa.text(f"SELECT count(*) FROM {source} WHERE {where}"), params
        )
        rows = await session.execute(
            sa.text(
                f"SELECT d.pk FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        return Hits(total=int(total or 0), pks=[row[0] for row in rows])


def search_backend(dialect_name: str) -> SearchBackend:
    """The backend for a SQLAlchemy dialect name."""
    return SqliteSearch() if dialect_name == "sqlite" else PostgresSearch()
