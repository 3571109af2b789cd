"""Liveness: heartbeats, a run killed with SIGKILL mid-harvest, stale-run detection and resume
from the saved cursor (no duplicates, nothing lost, never "running" forever)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.liveness import heartbeat, sweep
from harvester.store.tables import HarvestRun, Source
from harvester.store.types import utcnow
from tests.harvester.engine_support import SOURCE, add_source, datasets, ids, runs, service
from tests.harvester.fault_server import Portal, recorded_packages, serve
from tests.paths import REPO

Sessions = async_sessionmaker[AsyncSession]
ALL = recorded_packages()
STALE = 300.0


async def _wait_for(predicate, what: str, tries: int = 600) -> None:
    """Poll (bounded) until ``predicate()`` is true."""
    for _ in range(tries):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _added_so_far(sessions: Sessions) -> int:
    found = await runs(sessions)
    return found[-1].added if found else 0


async def test_heartbeat_beats_and_notices_a_swept_run(sessions: Sessions, database_url: str):
    await add_source(sessions, "http://127.0.0.1:9/")
    start = utcnow() - timedelta(hours=1)
    async with sessions() as session, session.begin():
        run = HarvestRun(source_id=SOURCE, started_at=start, heartbeat_at=start)
        session.add(run)
    assert run.id is not None
    gate: asyncio.Queue[None] = asyncio.Queue()

    async def controlled_sleep(_: float) -> None:
        await gate.get()

    async with heartbeat(sessions, run.id, 30.0, sleep=controlled_sleep) as beating:
        gate.put_nowait(None)
        await _wait_for(lambda: _true(beating.beats == 1), "first beat")
        [row] = await runs(sessions)
        assert row.heartbeat_at is not None and row.heartbeat_at > start
        assert await sweep(sessions, stale_after=STALE) == [], "a fresh beat is not stale"
        found = await sweep(
            sessions, stale_after=STALE, now=utcnow() + timedelta(seconds=STALE + 1)
        )
        assert [(f.run_id, f.resumable) for f in found] == [(run.id, False)]
        gate.put_nowait(None)
        await _wait_for(lambda: _true(beating.lost), "the beat noticing the sweep")
    [row] = await runs(sessions)
    assert (row.status, row.interrupted) == ("failed", True)
    assert row.message is not None and row.message.startswith("interrupted: no heartbeat since")


async def _true(value: bool) -> bool:
    return value


def _harvest_process(database_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOISSON_DATABASE_URL": database_url,
        "MOISSON_CONFIG": str(tmp_path / "absent.toml"),
        "MOISSON_SSRF_ALLOW": "127.0.0.1",
        "MOISSON_BATCH_SIZE": "2",
        "MOISSON_AUTO_MIGRATE": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "harvester.cli", "harvest", SOURCE, "--full"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_a_run_killed_mid_harvest_is_detected_and_resumed_from_its_cursor(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    portal = Portal(packages=list(ALL), delay=0.15)
    with serve(portal) as url:
        await add_source(sessions, url, rows=2)
        process = _harvest_process(database_url, tmp_path)
        try:
            await _wait_for(
                lambda: _more_than(sessions, 4), "the killed harvest to store two batches"
            )
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert process.returncode == -signal.SIGKILL

        [dead] = await runs(sessions)
        assert dead.status == "running", "a killed process leaves its run running"
        stored = await datasets(sessions)
        assert set(stored) <= ids(ALL) and all(stored.values())
        cursor_start = dead.cursor["start"]
        # The cursor is saved with each batch and may lag the batch by one page (it moves
        # once a page is fully yielded): it never claims more than was stored.
        assert 0 < cursor_start <= dead.added == len(stored)
        assert dead.heartbeat_at is not None

        just_fresh = dead.heartbeat_at + timedelta(seconds=STALE - 1)
        assert await sweep(sessions, stale_after=STALE, now=just_fresh) == []
        later = dead.heartbeat_at + timedelta(seconds=STALE + 1)
        found = await sweep(sessions, stale_after=STALE, now=later)
        assert [(f.run_id, f.source_id, f.resumable) for f in found] == [(dead.id, SOURCE, True)]
        async with sessions() as session:
            source = await session.get(Source, SOURCE)
            assert source is not None and source.next_harvest_at == later, "due again at once"

        portal.delay = 0
        await _wait_for(lambda: _true(portal.in_flight == 0), "the dead client's last request")
        seen_before = len(portal.log)
        resumed = await service(sessions, database_url, batch_size=2).harvest(SOURCE)
        first_request = portal.log[seen_before]
        resume_at = cursor_start - 2
        assert first_request.start == resume_at, "resumed one page before the cursor"

    first, second = await runs(sessions)
    assert (first.id, first.status, first.interrupted) == (dead.id, "failed", True)
    assert first.message is not None and first.message.startswith("interrupted: no heartbeat")
    assert (second.status, second.trigger, second.resumed_from, second.full) == (
        "succeeded",
        "resume",
        dead.id,
        True,
    )
    assert second.withdrawals == (
        f"resumed from run {dead.id}: nothing withdrawn until the next full run"
    )
    assert (second.seen, second.added, second.unchanged) == (
        len(ALL) - resume_at,
        len(ALL) - len(stored),
        len(stored) - resume_at,
    )
    assert resumed.complete
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True), "nothing lost, no dupes"
    async with sessions() as session:
        running = await session.scalar(
            sa.select(sa.func.count())
            .select_from(HarvestRun)
            .where(col(HarvestRun.status) == "running")
        )
    assert running == 0


async def _more_than(sessions: Sessions, count: int) -> bool:
    return await _added_so_far(sessions) >= count


async def test_a_cancelled_run_is_marked_interrupted_and_resumes(
    sessions: Sessions, database_url: str
) -> None:
    portal = Portal(packages=list(ALL), delay=0.1)
    with serve(portal) as url:
        await add_source(sessions, url, rows=2)
        harvester = service(sessions, database_url, batch_size=2)
        task = asyncio.create_task(harvester.harvest(SOURCE, full=True))
        await _wait_for(lambda: _more_than(sessions, 4), "two batches")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        [stopped] = await runs(sessions)
        assert (stopped.status, stopped.interrupted, stopped.message) == (
            "failed",
            True,
            "interrupted: the process stopped",
        )
        portal.delay = 0
        again = await harvester.harvest(SOURCE)
    assert (again.status, again.resumed_from) == ("succeeded", stopped.id)
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_a_live_run_that_was_swept_stops_without_overwriting(
    sessions: Sessions, database_url: str
) -> None:
    portal = Portal(packages=list(ALL), delay=0.1)
    with serve(portal) as url:
        await add_source(sessions, url, rows=2)
        harvester = service(sessions, database_url, batch_size=2)
        task = asyncio.create_task(harvester.harvest(SOURCE, full=True))
        await _wait_for(lambda: _more_than(sessions, 2), "a first batch")
        found = await sweep(sessions, stale_after=STALE, now=utcnow() + timedelta(hours=1))
        assert len(found) == 1
        lost = await task
    assert (lost.status, lost.interrupted) == ("failed", True)
    [row] = await runs(sessions)
    assert row.message is not None and row.message.startswith("interrupted: no heartbeat")
    assert row.finished_at is not None and row.added < len(ALL)
    stored = await datasets(sessions)
    assert len(stored) == row.added, "the batch after the sweep was rolled back"
