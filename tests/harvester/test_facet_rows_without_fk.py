"""Migration 0021: on PostgreSQL ``dataset_facet`` rows carry no foreign key (the ~17
checks a dataset cost a harvest) and a trigger on ``dataset`` deletes a dataset's rows with
it, as the key's cascade still does on SQLite; the downgrade brings PostgreSQL's key back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import alembic_config, upgrade_async
from tests.api import corpus

KEYWORDS = ["eau", "parc", "vélo"]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    items = [
        corpus.record(f"f{i}", {"fr": f"Jeu {i}"}, keywords=KEYWORDS[: 1 + i % 3]) for i in range(6)
    ]
    await corpus.write(database_url, "ville", items)
    yield session_factory(engine)
    await engine.dispose()


async def _foreign_keys(session: AsyncSession) -> list[str]:
    """The tables ``dataset_facet``'s foreign keys reference."""
    if session.get_bind().dialect.name == "sqlite":
        rows = await session.execute(sa.text("PRAGMA foreign_key_list('dataset_facet')"))
        return [row.table for row in rows]
    rows = await session.execute(
        sa.text(
            "SELECT confrelid::regclass::text FROM pg_constraint "
            "WHERE conrelid = 'dataset_facet'::regclass AND contype = 'f'"
        )
    )
    return list(rows.scalars())


async def _facet_rows(session: AsyncSession) -> dict[str, int]:
    """Facet rows per dataset remote id (datasets with none left out)."""
    rows = await session.execute(
        sa.text(
            "SELECT d.remote_id, count(*) FROM dataset_facet f "
            "JOIN dataset d ON d.pk = f.dataset_pk GROUP BY d.remote_id"
        )
    )
    return {remote_id: n for remote_id, n in rows}


async def _orphans(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            sa.text(
                "SELECT count(*) FROM dataset_facet "
                "WHERE dataset_pk NOT IN (SELECT pk FROM dataset)"
            )
        )
        or 0
    )


async def test_facet_rows_have_no_foreign_key_on_postgresql(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    expected = ["dataset"] if database_url.startswith("sqlite") else []
    async with sessions() as session:
        assert await _foreign_keys(session) == expected


async def test_deleting_datasets_deletes_their_facet_rows_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        before = await _facet_rows(session)
    assert set(before) == {f"f{i}" for i in range(6)}
    assert before["f2"] > before["f0"]  # more keywords, more rows

    async with sessions() as session, session.begin():
        await session.execute(sa.text("DELETE FROM dataset WHERE remote_id = 'f0'"))
    async with sessions() as session, session.begin():  # several in one statement
        await session.execute(sa.text("DELETE FROM dataset WHERE remote_id IN ('f1', 'f2')"))

    async with sessions() as session:
        after = await _facet_rows(session)
        assert await _orphans(session) == 0
    assert after == {key: n for key, n in before.items() if key not in {"f0", "f1", "f2"}}


async def test_the_key_comes_back_on_downgrade(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite keeps its key: 0021 changes PostgreSQL only")
    async with sessions() as session, session.begin():  # an orphan the downgrade leaves out
        pk = await session.scalar(sa.text("SELECT pk FROM dataset WHERE remote_id = 'f5'"))
        await session.execute(
            sa.text(
                "INSERT INTO dataset_facet (dataset_pk, facet, value, visible) VALUES "
                "(:pk, 'keyword', 'orphelin', :visible)"
            ),
            {"pk": 10_000 + int(pk or 0), "visible": True},
        )
        before = await _facet_rows(session)

    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0020_drop_dataset_modified_index")
    async with sessions() as session:
        assert await _foreign_keys(session) == ["dataset"]
        assert await _orphans(session) == 0
        assert await _facet_rows(session) == before
    async with sessions() as session, session.begin():  # the key's own cascade again
        await session.execute(sa.text("DELETE FROM dataset WHERE remote_id = 'f3'"))
    async with sessions() as session:
        assert "f3" not in await _facet_rows(session)
        assert await _orphans(session) == 0

    await upgrade_async(database_url)
    async with sessions() as session:
        assert await _foreign_keys(session) == []
        assert await _orphans(session) == 0
        assert await _facet_rows(session) == {k: n for k, n in before.items() if k != "f3"}
