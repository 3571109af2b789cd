"""Shared checks of the facet tables."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search.facet_sets import unpack


async def assert_sets_follow_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    """SQLite: each packed set holds exactly its dataset's ``dataset_facet`` rows."""
    async with sessions() as session:
        rows = await session.execute(sa.text("SELECT dataset_pk, facet, value FROM dataset_facet"))
        expected: defaultdict[int, set[tuple[str, str]]] = defaultdict(set)
        for pk, facet, value in rows:
            expected[pk].add((facet, value))
        sets = await session.execute(sa.text("SELECT dataset_pk, facets FROM dataset_facet_set"))
        stored = {pk: unpack(packed) for pk, packed in sets}
    assert stored == dict(expected)
