"""While a run works, its process collects garbage less often and lets threads take turns
at the interpreter sooner; both come back when the last run ends (``runs._tuned_for_runs``)."""

from __future__ import annotations

import gc
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester import run_report, runs
from harvester.runs import GC_YOUNG_THRESHOLD, RUN_SWITCH_INTERVAL, run_harvest
from tests.connectors.ckan_replay import PagedSearch, mixed_packages
from tests.harvester.engine_support import add_source

Sessions = async_sessionmaker[AsyncSession]


async def test_a_run_tunes_its_process_while_it_works(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_source(sessions, "https://portal.example.org", "portail", rows=4)
    real = run_report.write_batch
    seen: list[tuple[float, int]] = []

    async def write_batch(session: AsyncSession, source_id: str, items: Any, **kwargs: Any) -> Any:
        seen.append((sys.getswitchinterval(), gc.get_threshold()[0]))
        return await real(session, source_id, items, **kwargs)

    monkeypatch.setattr(run_report, "write_batch", write_batch)
    before_interval, before_thresholds = sys.getswitchinterval(), gc.get_threshold()
    assert before_interval > RUN_SWITCH_INTERVAL and before_thresholds[0] < GC_YOUNG_THRESHOLD

    transport = httpx.MockTransport(PagedSearch(mixed_packages()))
    async with httpx.AsyncClient(transport=transport) as client:
        run = await run_harvest(sessions, "portail", client, batch_size=5)

    assert run.status == "succeeded" and seen
    assert all(interval == RUN_SWITCH_INTERVAL for interval, _ in seen)
    assert all(threshold == GC_YOUNG_THRESHOLD for _, threshold in seen)
    assert sys.getswitchinterval() == before_interval
    assert gc.get_threshold() == before_thresholds


def test_nested_runs_restore_the_settings_once_the_last_ends() -> None:
    before_interval, before_thresholds = sys.getswitchinterval(), gc.get_threshold()
    with runs._tuned_for_runs():
        with runs._tuned_for_runs():
            assert sys.getswitchinterval() == RUN_SWITCH_INTERVAL
        assert sys.getswitchinterval() == RUN_SWITCH_INTERVAL, "one run still works"
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    assert sys.getswitchinterval() == before_interval
    assert gc.get_threshold() == before_thresholds
