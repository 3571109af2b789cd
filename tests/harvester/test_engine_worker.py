"""Scale-out: two ``moisson worker`` processes on one PostgreSQL share the due sources through
procrastinate; every source is harvested exactly once (PostgreSQL only, never skipped in CI)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from harvester.limits import PostgresLimits
from harvester.queue import HARVEST_TASK, defer_harvest, ensure_schema, queue_app
from harvester.store.db import create_engine, session_factory
from tests.conftest import _truncate
from tests.harvester.engine_support import add_source, datasets, ids, runs
from tests.harvester.fault_server import Portal, recorded_packages, serve
from tests.paths import REPO

pytestmark = pytest.mark.postgres
ALL = recorded_packages()
SOURCES = [f"ville-{n}" for n in range(6)]


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    asyncio.run(_truncate(postgres_url))
    yield postgres_url


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(pg_url)
    await ensure_schema(engine)
    yield engine, session_factory(engine)
    await engine.dispose()


def _worker(url: str, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOISSON_DATABASE_URL": url,
        "MOISSON_CONFIG": str(tmp_path / "absent.toml"),
        "MOISSON_SSRF_ALLOW": "127.0.0.1",
        "MOISSON_AUTO_MIGRATE": "false",
        "MOISSON_BATCH_SIZE": "4",
    }
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "harvester.cli", "worker", "--burst", "--concurrency", "2"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _logs(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in folder.glob("w*.log")}


async def test_two_workers_harvest_every_due_source_exactly_once(
    pg: tuple[AsyncEngine, async_sessionmaker[AsyncSession]], pg_url: str, tmp_path: Path
) -> None:
    engine, sessions = pg
    with serve(Portal(packages=list(ALL), delay=0.02)) as url:
        for source_id in SOURCES:
            await add_source(sessions, url, source_id, partner="ville")
        workers = [_worker(pg_url, tmp_path, name) for name in ("w1", "w2")]
        try:
            codes = await asyncio.wait_for(
                asyncio.gather(*(asyncio.to_thread(w.wait) for w in workers)), timeout=180
            )
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
        assert codes == [0, 0], _logs(tmp_path)
    for source_id in SOURCES:
        found = await runs(sessions, source_id)
        assert [(r.status, r.trigger, r.added) for r in found] == [
            ("succeeded", "schedule", len(ALL))
        ], source_id
        assert await datasets(sessions, source_id) == dict.fromkeys(ids(ALL), True)
    async with engine.connect() as connection:
        jobs = (
            await connection.execute(
                sa.text(
                    "SELECT args->>'source_id', status FROM procrastinate_jobs "
                    "WHERE task_name = :task ORDER BY 1"
                ),
                {"task": HARVEST_TASK},
            )
        ).all()
    assert jobs == [(source_id, "succeeded") for source_id in sorted(SOURCES)]


async def test_a_source_waits_in_the_queue_once(
    pg: tuple[AsyncEngine, async_sessionmaker[AsyncSession]],
) -> None:
    engine, sessions = pg
    await add_source(sessions, "https://portal.example.org")
    app = queue_app(str(engine.url.render_as_string(hide_password=False)))
    async with app.open_async():
        first = await defer_harvest(app, "portail")
        second = await defer_harvest(app, "portail", full=True)
        other = await defer_harvest(app, "autre")
    assert first is not None and second is None and other is not None


async def test_limits_are_shared_across_connections(
    pg: tuple[AsyncEngine, async_sessionmaker[AsyncSession]],
) -> None:
    engine, _ = pg
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)
        raise TimeoutError("no slot")

    one = PostgresLimits(engine, total=2, per_host=1, sleep=no_wait)
    two = PostgresLimits(engine, total=2, per_host=1, sleep=no_wait)
    async with one.slot("a.example"):
        async with two.slot("b.example"):
            with pytest.raises(TimeoutError):
                async with two.slot("c.example"):
                    pass  # global limit (2) reached
        with pytest.raises(TimeoutError):
            async with two.slot("a.example"):
                pass  # per-host limit (1) reached
        async with two.slot("b.example"):
            pass  # freed again
    assert len(waits) == 2
