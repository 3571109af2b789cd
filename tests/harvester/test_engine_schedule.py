"""Schedules: fire times, the due list, the compare-and-set claim, the embedded scheduler's
tick (fake clock), pause, and one run per source whoever starts it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.runs import RunInProgress, run_harvest
from harvester.scheduler import EmbeddedScheduler
from harvester.schedules import claim, due_sources, next_fire, stagger
from harvester.store.tables import HarvestRun, Source
from tests.harvester.engine_support import SOURCE, add_source, datasets, ids, runs, service
from tests.harvester.fault_server import Portal, recorded_packages, serve

Sessions = async_sessionmaker[AsyncSession]
ALL = recorded_packages()
MONDAY = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_cron_day_numbers_follow_crontab_not_apscheduler() -> None:
    assert next_fire("0 3 * * 0", "s", MONDAY) == datetime(2024, 1, 7, 3, 0, tzinfo=UTC)  # Sun
    assert next_fire("0 3 * * 7", "s", MONDAY) == datetime(2024, 1, 7, 3, 0, tzinfo=UTC)
    assert next_fire("30 6 * * 1-5", "s", MONDAY) == datetime(2024, 1, 2, 6, 30, tzinfo=UTC)
    assert next_fire("0 12 * * mon", "s", MONDAY) == datetime(2024, 1, 8, 12, 0, tzinfo=UTC)
    assert next_fire("0 0 1 * *", "s", MONDAY) == datetime(2024, 2, 1, tzinfo=UTC)


def test_intervals_are_staggered_per_source_and_strictly_after() -> None:
    day = timedelta(days=1)
    a, b = next_fire("1d", "ville-a", MONDAY), next_fire("1d", "ville-b", MONDAY)
    assert a != b and MONDAY < a <= MONDAY + day and MONDAY < b <= MONDAY + day
    assert next_fire("1d", "ville-a", a) == a + day, "exactly one interval later"
    assert next_fire(None, "ville-a", MONDAY) == a, "the default is daily"
    offset = stagger("ville-a", day)
    assert 0 <= offset < 86400 and (a.timestamp() - offset) % 86400 == 0
    six = next_fire("6h", "x", MONDAY)
    assert MONDAY < six <= MONDAY + timedelta(hours=6)


async def test_claim_is_won_once_among_concurrent_schedulers(sessions: Sessions) -> None:
    await add_source(sessions, "https://portal.example.org", schedule="1d")
    async with sessions() as session:
        assert await due_sources(session, MONDAY) == [SOURCE], "never harvested: due now"
        await session.commit()

    async def one() -> bool:
        async with sessions() as session, session.begin():
            return await claim(session, SOURCE, MONDAY)

    results = await asyncio.gather(*(one() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    async with sessions() as session:
        source = await session.get(Source, SOURCE)
        assert source is not None
        assert source.next_harvest_at == next_fire("1d", SOURCE, MONDAY)
        assert await due_sources(session, MONDAY) == []


async def test_a_second_run_of_a_running_source_is_refused(sessions: Sessions) -> None:
    await add_source(sessions, "https://portal.example.org")
    async with sessions() as session, session.begin():
        session.add(HarvestRun(source_id=SOURCE))
    import httpx

    async with httpx.AsyncClient() as client:
        with pytest.raises(RunInProgress, match="already running"):
            await run_harvest(sessions, SOURCE, client)
    assert [r.status for r in await runs(sessions)] == ["running"]


async def test_tick_harvests_due_sources_once_and_skips_paused_ones(
    sessions: Sessions, database_url: str
) -> None:
    with serve(Portal(packages=list(ALL))) as url:
        await add_source(sessions, url, "a", schedule="6h")
        await add_source(sessions, url, "b", schedule="0 3 * * *")
        await add_source(sessions, url, "paused")
        async with sessions() as session, session.begin():
            row = await session.get(Source, "paused")
            assert row is not None
            row.paused = True
        scheduler = EmbeddedScheduler(service(sessions, database_url))
        assert sorted(await scheduler.tick(MONDAY)) == ["a", "b"]
        await scheduler.wait()
        assert await scheduler.tick(MONDAY + timedelta(minutes=1)) == [], "not due again yet"
        later = next_fire("6h", "a", MONDAY)
        assert await scheduler.tick(later) == ["a"]
        await scheduler.wait()
    for source_id, expected in (("a", 2), ("b", 1), ("paused", 0)):
        found = await runs(sessions, source_id)
        assert [(r.status, r.trigger) for r in found] == [("succeeded", "schedule")] * expected
    assert await datasets(sessions, "b") == dict.fromkeys(ids(ALL), True)
    assert await datasets(sessions, "paused") == {}
    async with sessions() as session:
        b = await session.get(Source, "b")
        assert b is not None and b.next_harvest_at == datetime(2024, 1, 2, 3, tzinfo=UTC)


async def test_the_scheduler_keeps_a_daily_partnership_snapshot(
    sessions: Sessions, database_url: str, tmp_path
) -> None:
    from harvester.partnership.service import today
    from harvester.partnership.snapshots import has_snapshot

    config = tmp_path / "sources.toml"
    config.write_text(
        "[targets]\nbaseline = 2018-04-01\n\n[targets.new_datasets]\ncount = 150\n"
        "deadline = 2020-03-31\n",
        encoding="utf-8",
    )
    scheduler = EmbeddedScheduler(service(sessions, database_url, config=config))
    async with sessions() as session:
        assert not await has_snapshot(session, today())
    await scheduler.snapshot()
    async with sessions() as session:
        assert await has_snapshot(session, today())
    assert "partnership-snapshot" not in {job.id for job in scheduler.scheduler.get_jobs()}
    scheduler.start()
    try:
        assert "partnership-snapshot" in {job.id for job in scheduler.scheduler.get_jobs()}
    finally:
        await scheduler.stop()


async def test_the_tick_recounts_stored_aggregates_a_write_left_stale(
    sessions: Sessions, database_url: str
) -> None:
    from harvester.partnership import cells
    from harvester.search import facet_totals
    from tests.api import corpus

    await corpus.add_sources(sessions)
    await corpus.write(database_url, "ville", [corpus.record("d1", {"fr": "Jeu"})])
    async with sessions() as session, session.begin():  # nothing due: no harvest starts
        await session.execute(sa.update(Source).values(paused=True))
    scheduler = EmbeddedScheduler(service(sessions, database_url))
    async with sessions() as session:
        assert not await facet_totals.current(session), "written outside any run"
        assert not await cells.is_current(session)
    assert await scheduler.tick(MONDAY) == []
    async with sessions() as session:
        assert await facet_totals.current(session)
        assert await cells.is_current(session)
