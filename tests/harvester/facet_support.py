"""Shared checks of the facet tables."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search.facet_sets import unpack
from harvester.search.facet_tokens import token


async def assert_sets_follow_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    """SQLite: each packed set holds exactly its dataset's ``dataset_facet`` rows, and the
    full-text row of each indexed dataset exactly the tokens of its pairs."""
    async with sessions() as session:
        rows = await session.execute(
            sa.text("SELECT dataset_pk, facet, value, visible FROM dataset_facet")
        )
        expected: defaultdict[int, set[tuple[str, str]]] = defaultdict(set)
        visible: set[int] = set()
        for pk, facet, value, shown in rows:
            expected[pk].add((facet, value))
            if shown:
                visible.add(pk)
        sets = await session.execute(sa.text("SELECT dataset_pk, facets FROM dataset_facet_set"))
        stored = {pk: unpack(packed) for pk, packed in sets}
        indexed = await session.execute(  # of datasets a test did not delete in raw SQL
            sa.text(
                "SELECT k.dataset_pk, f.facets FROM search_fts f "
                "JOIN search_key k ON k.rank_key = f.rowid "
                "JOIN dataset d ON d.pk = k.dataset_pk"
            )
        )
        tokens = {pk: set(column.split()) for pk, column in indexed}
    assert stored == dict(expected)
    assert set(tokens) >= visible  # withdrawn datasets leave the index; the rest are in it
    assert tokens == {
        pk: {token(facet, value) for facet, value in expected.get(pk, ())} for pk in tokens
    }
