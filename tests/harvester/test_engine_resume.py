"""Every paged connector resumes an interrupted run from its saved cursor, on both databases.

A run is cancelled (the process stopping) when it asks for listing page 4 of pages of 3,
after writing batches of 2; a page's worth of datasets then disappears from the portal, so
later positions shift; the next run must continue from the saved position one page early
(scroll ids do not shift), store every dataset once and withdraw nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.runs import run_harvest
from harvester.store.tables import HarvestRun, Partner, Source
from harvester.store.types import utcnow
from tests.harvester.engine_support import datasets, runs
from tests.harvester.resume_portals import PAGE, Portal, StopAt, portals

Sessions = async_sessionmaker[AsyncSession]
SOURCE = "portail"
BATCH = 2
STOP_AT_PAGE = 4
"""Pages 1–3 were read; batches of 2 wrote 8 of their datasets; the cursor saved with the
last batch is the end of page 2 (it moves once a page is wholly yielded)."""
WRITTEN = 8


def _saved_and_resumed(kind: str, portal: Portal) -> tuple[dict[str, Any], Any]:
    """The cursor the interrupted run must have saved, and the first position the resumed
    run must ask for."""
    last = portal.ids()[2 * PAGE - 1]
    page_2_end = 2 * PAGE
    cases: dict[str, tuple[dict[str, Any], Any]] = {
        "socrata-scroll": ({"scroll_id": last, "served": page_2_end}, last),
        "socrata-offset": ({"offset": page_2_end}, PAGE),
        "ods-v2.1": ({"api": "v2.1", "offset": page_2_end}, PAGE),
        "ods-v1": ({"api": "v1", "offset": page_2_end}, PAGE),
        "arcgis-portal": ({"start": page_2_end + 1}, PAGE + 1),
        "dcat-hydra": ({"page": f"{portal.url}?page=2", "listed": PAGE}, f"{portal.url}?page=2"),
    }
    return cases[kind]


async def _add_source(sessions: Sessions, portal: Portal) -> None:
    async with sessions() as session, session.begin():
        session.add(Partner(id="p", name="Partenaire", kind="municipality"))
        await session.flush()
        session.add(
            Source(
                id=SOURCE,
                partner_id="p",
                url=portal.url,
                platform=portal.platform,
                options=portal.options,
            )
        )


async def _harvest(sessions: Sessions, handler: Any, **kwargs: Any) -> HarvestRun:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return await run_harvest(sessions, SOURCE, client, batch_size=BATCH, **kwargs)


@pytest.mark.parametrize("kind", list(portals()))
async def test_an_interrupted_run_resumes_from_its_saved_cursor(
    sessions: Sessions, kind: str
) -> None:
    portal = portals()[kind]
    everything = portal.ids()
    await _add_source(sessions, portal)

    harvest = asyncio.create_task(_harvest(sessions, StopAt(portal, STOP_AT_PAGE)))
    with pytest.raises(asyncio.CancelledError):
        await harvest
    [stopped] = await runs(sessions)
    assert (stopped.status, stopped.interrupted) == ("failed", True)
    written = await datasets(sessions)
    assert len(written) == WRITTEN and all(written.values())
    assert set(everything[: 2 * PAGE]) <= set(written) <= set(everything[: 3 * PAGE])
    saved, resume_at = _saved_and_resumed(kind, portal)
    assert {key: stopped.cursor.get(key) for key in saved} == saved

    portal.drop_first(PAGE)  # a page of datasets removed: later positions shift back
    asked_before = len(portal.asked)
    resumed = await _harvest(sessions, portal)

    assert portal.asked[asked_before] == resume_at, "continued from the saved cursor"
    assert (resumed.status, resumed.trigger, resumed.resumed_from) == (
        "succeeded",
        "resume",
        stopped.id,
    )
    assert resumed.complete and resumed.withdrawn == resumed.held == 0
    assert resumed.withdrawals == (
        f"resumed from run {stopped.id}: nothing withdrawn until the next full run"
    )
    assert await datasets(sessions) == dict.fromkeys(everything, True), "once each, none lost"

    fresh = await _harvest(sessions, portal, full=True)
    assert (fresh.trigger, fresh.resumed_from, fresh.withdrawn) == ("manual", None, PAGE)


FOREIGN_CURSORS: dict[str, dict[str, Any]] = {
    "socrata-scroll": {"offset": 6, "api": "v2.1"},
    "socrata-offset": {"scroll_id": "a005-0005", "served": 6},
    "ods-v2.1": {"api": "v1", "offset": 6},
    "ods-v1": {"mode": "exports/json", "api": "v1", "exported": 6},
    "arcgis-portal": {"start": 6},
    "dcat-hydra": {"page": "http://169.254.169.254/catalog.ttl?page=2", "listed": 3},
}


@pytest.mark.parametrize("kind", list(FOREIGN_CURSORS))
async def test_a_foreign_cursor_is_ignored_and_the_run_starts_afresh(
    sessions: Sessions, kind: str
) -> None:
    portal = portals()[kind]
    await _add_source(sessions, portal)
    first = await _harvest(sessions, portal)
    async with sessions() as session, session.begin():
        dead = HarvestRun(
            source_id=SOURCE,
            full=True,
            status="failed",
            interrupted=True,
            finished_at=utcnow(),
            cursor=FOREIGN_CURSORS[kind],
        )
        session.add(dead)
    portal.drop_first(1)
    asked_before = len(portal.asked)
    again = await _harvest(sessions, portal, full=True)
    assert portal.asked[asked_before] == _first_position(kind, portal), "from the beginning"
    assert (again.trigger, again.resumed_from, again.withdrawn) == ("manual", None, 1)
    assert first.status == again.status == "succeeded"


def _first_position(kind: str, portal: Portal) -> Any:
    return {
        "socrata-scroll": "",
        "socrata-offset": 0,
        "ods-v2.1": 0,
        "ods-v1": 0,
        "arcgis-portal": 1,
        "dcat-hydra": portal.url,
    }[kind]
