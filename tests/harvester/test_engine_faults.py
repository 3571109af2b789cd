"""A misbehaving portal (loopback, real recorded packages) against the whole harvest engine:
retries, Retry-After, timeouts, HTML and truncated pages, empty and shrinking catalogues.
Every test asserts the exact database state afterwards, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.run_service import HarvestService
from harvester.store import withdrawals
from harvester.store.datasets import dataset_id
from harvester.store.queries import get_dataset, search_datasets
from harvester.store.types import utcnow
from harvester.store.withdrawals import HeldWithdrawal, confirm_held, discard_held
from tests.harvester.engine_support import (
    Sleeps,
    add_source,
    datasets,
    ids,
    runs,
    service,
    sleeps_fixture,  # noqa: F401  (the sleeps fixture)
)
from tests.harvester.fault_server import Fault, Portal, recorded_packages, serve

Sessions = async_sessionmaker[AsyncSession]
ALL = recorded_packages()  # 18 real packages: 5 pages of 4


@pytest.fixture
def portal() -> Portal:
    return Portal(packages=list(ALL))


@pytest.fixture
async def harvester(sessions: Sessions, database_url: str, portal: Portal):
    with serve(portal) as url:
        await add_source(sessions, url)
        yield service(sessions, database_url)


async def _first_full(harvester: HarvestService, sessions: Sessions) -> None:
    run = await harvester.harvest("portail", full=True)
    assert (run.status, run.added, run.withdrawn) == ("succeeded", len(ALL), 0)
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_429_with_retry_after_is_waited_then_retried(
    harvester: HarvestService, sessions: Sessions, portal: Portal, sleeps: Sleeps
) -> None:
    portal.faults = [Fault("429", page=2, retry_after="7")]
    run = await harvester.harvest("portail")
    assert (run.status, run.seen, run.added, run.pages) == ("succeeded", 18, 18, 5)
    assert sleeps.waits == [7.0], "Retry-After honoured, once"
    assert portal.pages() == [1, 2, 2, 3, 4, 5]
    assert portal.pages(429) == [2]
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_5xx_then_success(
    harvester: HarvestService, sessions: Sessions, portal: Portal, sleeps: Sleeps
) -> None:
    portal.faults = [Fault("503", page=1, times=2)]
    run = await harvester.harvest("portail")
    assert (run.status, run.added, run.failed) == ("succeeded", 18, 0)
    assert portal.pages(503) == [1, 1]
    assert len(sleeps.waits) == 2 and sleeps.waits[1] > sleeps.waits[0] > 0, "backoff grows"
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_timeout_mid_catalogue_keeps_everything_and_withdraws_nothing(
    harvester: HarvestService, sessions: Sessions, portal: Portal, sleeps: Sleeps
) -> None:
    await _first_full(harvester, sessions)
    portal.packages = ALL[:12] + [dict(p, title=p.get("title", "") + " (v2)") for p in ALL[12:]]
    portal.faults = [Fault("hang", page=3, times=4)]
    run = await harvester.harvest("portail", full=True)
    assert run.status == "failed" and not run.complete
    assert "page 3" in (run.message or "") and "timed out" in (run.message or "")
    assert (run.seen, run.unchanged, run.withdrawn, run.held) == (8, 8, 0, 0)
    assert run.withdrawals == "run failed: nothing withdrawn"
    assert len(sleeps.waits) == 3, "a timeout is retried like a connection error"
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_html_with_status_200_on_page_3(
    harvester: HarvestService, sessions: Sessions, portal: Portal
) -> None:
    portal.faults = [Fault("html", page=3)]
    run = await harvester.harvest("portail")
    assert run.status == "failed"
    assert "page 3" in (run.message or "") and "returned HTML (status 200)" in (run.message or "")
    assert portal.pages() == [1, 2, 3], "not retried: HTML is a protocol error"
    assert await datasets(sessions) == dict.fromkeys(ids(ALL[:8]), True)
    [row] = await runs(sessions)
    assert (row.status, row.added, row.cursor["start"]) == ("failed", 8, 8)


async def test_truncated_json_page(
    harvester: HarvestService, sessions: Sessions, portal: Portal
) -> None:
    await _first_full(harvester, sessions)
    portal.faults = [Fault("truncated", page=4)]
    run = await harvester.harvest("portail", full=True)
    assert run.status == "failed" and "invalid JSON" in (run.message or "")
    assert (run.seen, run.unchanged, run.withdrawn) == (12, 12, 0)
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_empty_catalogue_after_a_full_one_withdraws_nothing(
    harvester: HarvestService, sessions: Sessions, portal: Portal
) -> None:
    await _first_full(harvester, sessions)
    portal.packages = []
    run = await harvester.harvest("portail", full=True)
    assert (run.status, run.seen, run.withdrawn, run.held) == ("succeeded", 0, 0, 0)
    assert run.withdrawals == "the listing was empty: none of 18 withdrawn"
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_half_the_catalogue_vanishing_is_held_for_the_operator(
    harvester: HarvestService, sessions: Sessions, portal: Portal
) -> None:
    await _first_full(harvester, sessions)
    kept, vanished = ALL[::2], ALL[1::2]
    portal.packages = kept
    run = await harvester.harvest("portail", full=True)
    assert (run.status, run.withdrawn, run.held) == ("succeeded", 0, 9)
    assert run.withdrawals is not None and run.withdrawals.startswith("held: 9 of 18 (50 %)")
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True), "nothing withdrawn yet"
    async with sessions() as session:
        held = {h.dataset_pk for h in (await session.scalars(sa.select(HeldWithdrawal))).all()}
        assert len(held) == 9
        assert (await search_datasets(session, None, limit=50)).total == 18

    async with sessions() as session, session.begin():
        assert run.id is not None
        assert await confirm_held(session, run.id, utcnow(), "operator") == 9
    state = await datasets(sessions)
    assert state == {**dict.fromkeys(ids(kept), True), **dict.fromkeys(ids(vanished), False)}
    async with sessions() as session:
        page = await search_datasets(session, None, limit=50)
        assert {d.remote_id for d in page.datasets} == ids(kept)
        gone = await get_dataset(session, dataset_id("portail", vanished[0]["id"]))
        assert gone is not None and gone.withdrawn_at is not None, "still readable by id"

    portal.packages = list(ALL)
    back = await harvester.harvest("portail", full=True)
    assert (back.added, back.updated, back.unchanged, back.withdrawn) == (0, 9, 9, 0)
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True), "restored"
    async with sessions() as session:
        assert (await search_datasets(session, None, limit=50)).total == 18


async def test_a_few_vanishing_are_withdrawn_at_once_and_holds_can_be_discarded(
    harvester: HarvestService, sessions: Sessions, portal: Portal
) -> None:
    await _first_full(harvester, sessions)
    portal.packages = ALL[:-3]  # 3 of 18 = 17 % < 20 %
    run = await harvester.harvest("portail", full=True)
    assert (run.withdrawn, run.held, run.withdrawals) == (3, 0, "3 of 18 withdrawn")
    assert await datasets(sessions) == {
        **dict.fromkeys(ids(ALL[:-3]), True),
        **dict.fromkeys(ids(ALL[-3:]), False),
    }
    portal.packages = ALL[:5]  # 10 of the 15 visible go missing
    held = await harvester.harvest("portail", full=True)
    assert (held.withdrawn, held.held) == (0, 10)
    async with sessions() as session, session.begin():
        assert held.id is not None
        assert await discard_held(session, held.id, "operator") == 10
    state = await datasets(sessions)
    assert sum(state.values()) == 15, "the 10 stay visible"


async def test_withdrawals_read_visible_rows_in_chunks(
    harvester: HarvestService,
    sessions: Sessions,
    portal: Portal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Visible rows are compared with the listing chunk by chunk (keyset on pk): with
    chunks of 4, the 18 rows span five reads and the missing ones are still all found."""
    await _first_full(harvester, sessions)
    monkeypatch.setattr(withdrawals, "CHUNK", 4)
    portal.packages = [p for i, p in enumerate(ALL) if i not in (0, 7, 17)]  # 3 of 18
    run = await harvester.harvest("portail", full=True)
    assert (run.withdrawn, run.held, run.withdrawals) == (3, 0, "3 of 18 withdrawn")
    gone = [ALL[0], ALL[7], ALL[17]]
    kept = [p for p in ALL if p not in gone]
    assert await datasets(sessions) == {
        **dict.fromkeys(ids(kept), True),
        **dict.fromkeys(ids(gone), False),
    }


async def test_an_incremental_run_never_withdraws(
    harvester: HarvestService, sessions: Sessions, portal: Portal
) -> None:
    await _first_full(harvester, sessions)
    portal.packages = ALL[:17]
    run = await harvester.harvest("portail")
    assert not run.full and run.since is not None
    assert (run.withdrawn, run.withdrawals) == (0, "incremental run: nothing withdrawn")
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)
