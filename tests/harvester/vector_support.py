"""Whether PostgreSQL's stored search vectors of a dataset are those ``to_tsvector`` gives
for its search text (the expressions of migration 0018)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from harvester.search.backend import PG_TITLES, PG_VECTOR
from harvester.search.text import SearchDocument

_STORED_AS_COMPUTED = (
    f"SELECT s.title_vector = t.titles, s.vector = {PG_VECTOR} "
    "FROM search_doc s JOIN dataset d ON d.pk = s.dataset_pk, "
    f"(SELECT {PG_TITLES} AS titles) AS t WHERE d.remote_id = :remote_id"
)


async def stored_as_computed(
    connection: AsyncConnection | AsyncSession, remote_id: str, doc: SearchDocument
) -> tuple[bool, bool]:
    """(title vector, vector) of dataset ``remote_id`` equal to ``to_tsvector``'s of
    ``doc``; the dataset must be indexed."""
    params = {
        "remote_id": remote_id,
        "title_fr": doc.title_fr,
        "title_en": doc.title_en,
        "body_fr": doc.body_fr,
        "body_en": doc.body_en,
    }
    same_titles, same_vector = (
        await connection.execute(sa.text(_STORED_AS_COMPUTED), params)
    ).one()
    return bool(same_titles), bool(same_vector)
