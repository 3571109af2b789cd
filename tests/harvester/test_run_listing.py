"""A run lists ahead while it writes (:mod:`harvester.run_listing`): the next pages are
fetched during a batch's write, and no more than one cut batch waits for the writer."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester import run_report
from harvester.runs import run_harvest
from tests.connectors.ckan_replay import PagedSearch, mixed_packages
from tests.harvester.engine_support import add_source

ROWS = 4
BATCH = 5


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    await add_source(sessions, "https://portal.example.org", "portail", rows=ROWS)
    return "portail"


async def test_pages_are_fetched_during_a_write_one_batch_ahead_at_most(
    sessions: async_sessionmaker[AsyncSession], source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = mixed_packages()
    assert len(packages) > 16, "a fifth page, beyond the room ahead"
    portal = PagedSearch(packages)
    events: list[tuple[str, int]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        events.append(("page", int(request.url.params.get("start", 0))))
        return portal(request)

    real_write_batch = run_report.write_batch
    writes = 0

    async def slow_first_write(*args: Any, **kwargs: Any) -> Any:
        nonlocal writes
        writes += 1
        events.append(("write", writes))
        if writes == 1:
            await asyncio.sleep(0.3)  # the listing would reach the end meanwhile, if it could
        result = await real_write_batch(*args, **kwargs)
        events.append(("written", writes))
        return result

    monkeypatch.setattr(run_report, "write_batch", slow_first_write)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        run = await run_harvest(sessions, source, client, batch_size=BATCH)
    assert run.status == "succeeded", run.message
    assert (run.seen, run.added) == (len(packages), len(packages))

    first_written = events.index(("written", 1))
    listed = [start for kind, start in events[:first_written] if kind == "page"]
    # batch 1 (records 0-4) is written while the listing goes on: batch 2 (5-9) is cut and
    # waits; batch 3 (10-14) is filled, then its hand-over waits for room, so the page of
    # records 16-19 is only fetched once the write ends
    assert listed == [0, 4, 8, 12]
    later = [start for kind, start in events[first_written:] if kind == "page"]
    assert later[0] == 16


async def test_a_listing_cancelled_under_the_run_stops_the_run_interrupted(
    sessions: async_sessionmaker[AsyncSession], source: str
) -> None:
    """Cancelling the task that awaits a page (the process stopping) ends the run
    interrupted, as cancelling the run would: the writer does not wait for batches that
    will never come."""
    from harvester.store.tables import HarvestRun
    from tests.harvester.test_runs import _rows

    portal = PagedSearch(mixed_packages())

    async def handler(request: httpx.Request) -> httpx.Response:
        if len(portal.requests) == 3:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            await asyncio.sleep(0)
        return portal(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(run_harvest(sessions, source, client, batch_size=BATCH), 30)
    [run] = await _rows(sessions, HarvestRun)
    assert (run.status, run.interrupted) == ("failed", True)
