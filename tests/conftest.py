"""Shared fixtures: a migrated database on SQLite and on PostgreSQL for every DB test.

``database_url`` is parametrized over both backends. PostgreSQL comes from
``MOISSON_TEST_POSTGRES_URL`` (scripts/test.sh prepares it); without it the PostgreSQL
variant is skipped with the reason, except under ``MOISSON_REQUIRE_POSTGRES=1`` (CI), where
it fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connectors import http
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade

# Harvests map in the test process: many tests patch connector methods, which a mapping
# worker process would not see. tests/harvester/test_mapping_pool.py covers the workers.
os.environ.setdefault("MOISSON_MAP_PROCESSES", "0")

POSTGRES_URL = os.environ.get("MOISSON_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("MOISSON_REQUIRE_POSTGRES") == "1"
POSTGRES_SKIP = os.environ.get(
    "MOISSON_TEST_POSTGRES_SKIP",
    "MOISSON_TEST_POSTGRES_URL is not set (run the suite with scripts/test.sh)",
)


async def _recreate_database(base_url: str, name: str, *, drop_only: bool = False) -> None:
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test process (concurrent runs do not collide), migrated
    once per session and dropped at the end."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here but unavailable: {POSTGRES_SKIP}")
        pytest.skip(POSTGRES_SKIP)
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{os.getpid()}"
    asyncio.run(_recreate_database(POSTGRES_URL, name))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_recreate_database(POSTGRES_URL, name, drop_only=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "moisson.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    yield url


async def _truncate(url: str) -> None:
    """Empty every table but Alembic's, whatever later migrations add."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        tables = (
            await connection.execute(
                sa.text(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        await connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the connectors' waits between attempts instead of sleeping."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(http, "sleep", fake_sleep)
    return recorded
