"""Migration 0020 drops ``ix_dataset_modified``: searches sorted or filtered by ``modified``
read visible datasets only, through ``ix_dataset_visible_modified`` (0007), on both
databases; the downgrade brings the full index back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from harvester.search.engine import SearchRequest
from harvester.search.filters import Filters
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import alembic_config, upgrade_async
from harvester.store.sqlite_inline import InlineReadConnection
from tests.api import corpus
from tests.harvester.plan_support import plan_lines
from tests.harvester.search_support import every_page

Statement = tuple[str, Any]


def _items(n: int = 60) -> list[corpus.Harvested]:
    start = date(2021, 1, 1)
    return [
        corpus.record(
            f"m{i:03}",
            {"fr": f"Jeu {i}"},
            modified=None if i % 11 == 0 else start + timedelta(days=i % 23),
        )
        for i in range(n)
    ]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    await corpus.write(database_url, "ville", _items())
    yield session_factory(engine)
    await engine.dispose()


async def _dataset_indexes(sessions: async_sessionmaker[AsyncSession]) -> set[str]:
    async with sessions() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dataset'"
            if sqlite
            else "SELECT indexname FROM pg_indexes WHERE tablename = 'dataset'"
        )
        return set((await session.execute(sa.text(query))).scalars())


async def test_the_full_modified_index_is_gone_and_comes_back_on_downgrade(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    indexes = await _dataset_indexes(sessions)
    assert "ix_dataset_visible_modified" in indexes
    assert "ix_dataset_modified" not in indexes

    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0019_page_memo")
    assert "ix_dataset_modified" in await _dataset_indexes(sessions)
    await upgrade_async(database_url)
    assert "ix_dataset_modified" not in await _dataset_indexes(sessions)


@pytest.fixture
def recorded(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Statement]]:
    """The statements (with their driver parameters) run while the test runs."""
    seen: list[Statement] = []
    engine: AsyncEngine = sessions.kw["bind"]
    read = InlineReadConnection.read

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        seen.append((statement, parameters))

    async def read_recorded(
        self: InlineReadConnection, operation: str, parameters: Sequence[Any]
    ) -> list[Any]:
        seen.append((operation, parameters))
        return await read(self, operation, parameters)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    monkeypatch.setattr(InlineReadConnection, "read", read_recorded)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _plan(session: AsyncSession, statement: str, parameters: Any) -> str:
    return "\n".join(await plan_lines(await session.connection(), statement, parameters))


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(modified_since=datetime(2021, 1, 5, tzinfo=UTC)),
        Filters(
            modified_since=datetime(2021, 1, 3, tzinfo=UTC),
            modified_before=datetime(2021, 1, 9, tzinfo=UTC),
        ),
    ],
    ids=["all", "since", "between"],
)
async def test_searches_by_modified_read_the_visible_index(
    sessions: async_sessionmaker[AsyncSession], recorded: list[Statement], filters: Filters
) -> None:
    pages = await every_page(sessions, SearchRequest(filters=filters, sort="modified", limit=7))
    dates = [row.modified for page in pages for row in page.datasets]
    assert len(dates) > 7, "several pages"
    dated = [d for d in dates if d is not None]
    assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated  # nulls last

    by_modified = [(s, p) for s, p in recorded if "modified" in s and "dataset" in s]
    assert by_modified
    async with sessions() as session:
        plans = [await _plan(session, s, p) for s, p in by_modified]
    assert any("ix_dataset_visible_modified" in plan for plan in plans), plans
    for plan in plans:
        assert "ix_dataset_modified " not in plan and "ix_dataset_modified\n" not in plan
        for line in plan.splitlines():  # SQLite: no read of every dataset row, no sort of them
            assert not line.strip().startswith("SCAN dataset") or "INDEX" in line, plan
