"""Operator endpoints served from stored aggregates (migration 0010): the stored
partnership cells give exactly the live figures, are recounted when stale and no harvest
runs, are served flagged ``exact: false`` while one does, and join sources live; ``/stats``
reads the stored facet totals when current and flags them when not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.partnership import cells, indicators, report
from harvester.search import facet_totals
from harvester.store.datasets import write_batch
from harvester.store.quality import backfill_quality
from harvester.store.tables import HarvestRun, Source
from tests.api.portal_replay import make_app
from tests.api.test_partnership_api import CONFIG
from tests.harvester.partnership_data import AS_OF, BASELINE, FIRST_SEEN, TARGETS, record, seed
from tests.harvester.stale_once import StaleOnce

DAYS = [
    (BASELINE, AS_OF),
    (date(1970, 1, 1), AS_OF),
    (date(2018, 5, 2), date(2019, 1, 5)),  # bounds on publication days: > and <=
    (BASELINE, date(2030, 1, 1)),
]


async def _seed_more(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The hand-counted partnership plus an approved source with no partner."""
    await seed(sessions)
    async with sessions() as session, session.begin():
        session.add(Source(id="orphan", url="https://orphan.example", platform="ckan"))
        await session.flush()
        await session.execute(
            sa.update(Source).where(col(Source.id) == "orphan").values(status="approved")
        )
        items = [
            record("orphan", "o1", date(2018, 12, 1), licence=False),
            record("orphan", "o2", date(2016, 1, 1), ("JSON",)),
        ]
        await write_batch(session, "orphan", items, now=FIRST_SEEN)


async def test_a_refresher_that_waited_for_another_does_not_count_again(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed_more(sessions)
    recounts = await asyncio.gather(*(cells.refresh(sessions) for _ in range(3)))
    assert recounts.count(True) == 1, recounts
    async with sessions() as session:
        before = (await session.execute(sa.select(cells.partnership_cell_version))).one()
    check = StaleOnce(cells.is_current)
    monkeypatch.setattr(cells, "is_current", check)
    assert not await cells.refresh(sessions), "current under the lock: not recounted"
    assert check.calls == 2
    async with sessions() as session:
        after = (await session.execute(sa.select(cells.partnership_cell_version))).one()
    assert after == before, "the stored cells and their counting time are kept"


def _without_exactness(figures: Any) -> dict[str, Any]:
    document: dict[str, Any] = figures.model_dump(mode="json")
    document.pop("exact"), document.pop("counted_at")
    return document


async def test_stored_cells_give_the_live_figures(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _seed_more(sessions)
    assert await cells.refresh(sessions)
    assert not await cells.refresh(sessions)  # current: not recounted
    for baseline, as_of in DAYS:
        async with sessions() as session:
            stored = await cells.load(session, baseline, as_of)
            assert stored is not None and stored.exact
            served = await indicators.compute(
                session, TARGETS, as_of=as_of, baseline=baseline, counts=stored
            )
            live = await indicators.compute(session, TARGETS, as_of=as_of, baseline=baseline)
            assert served.exact and served.counted_at is None
            assert _without_exactness(served) == _without_exactness(live)
            assert served.new_datasets.by_partner  # not trivially empty
            for partner in (None, "gouv", "ville-b", "nobody"):
                from_cells = await report.partner_conformity(
                    session, baseline, as_of, partner, stored
                )
                afresh = await report.partner_conformity(session, baseline, as_of, partner)
                assert from_cells == afresh


async def test_cells_count_unchecked_datasets_and_backfill_on_refresh(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _seed_more(sessions)
    async with sessions() as session, session.begin():
        await session.execute(sa.text("DELETE FROM dataset_quality"))
    async with sessions() as session, session.begin():
        await session.execute(cells._count_cells())  # counted without a backfill
        await session.execute(
            cells.partnership_cell_version.insert().values(
                id=1, version=await cells.current_key(session), counted_at=FIRST_SEEN
            )
        )
    async with sessions() as session:
        stored = await cells.load(session, BASELINE, AS_OF)
        assert stored is not None
        figures = await indicators.compute(
            session, TARGETS, as_of=AS_OF, baseline=BASELINE, counts=stored
        )
        live = await indicators.compute(session, TARGETS, as_of=AS_OF, baseline=BASELINE)
        assert figures.datasets_without_quality == live.datasets_without_quality == 8
        assert figures.new_datasets.count == 0
    assert await cells.refresh(sessions, force=True)  # checks them first, as the live path
    async with sessions() as session, session.begin():
        assert await backfill_quality(session) == 0
        stored = await cells.load(session, BASELINE, AS_OF)
        assert stored is not None and await stored.unchecked_datasets() == 0


@pytest.fixture
async def client(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    config = tmp_path / "sources.toml"
    config.write_text(CONFIG, encoding="utf-8")
    await _seed_more(sessions)
    app = make_app(database_url, config=config, rate_limit=0)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


async def _figures(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/partnership", params={"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_stale_cells_are_flagged_while_a_harvest_runs_and_recounted_after(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first = await _figures(client)  # nothing stored yet: counted now
    assert first["exact"] is True and first["counted_at"] is None
    assert first["new_datasets"]["count"] == 5
    async with sessions() as session, session.begin():
        session.add(HarvestRun(source_id="gouv-src", status="running"))
        await write_batch(
            session, "gouv-src", [record("gouv-src", "g5", date(2019, 2, 1))], now=FIRST_SEEN
        )
    during = await _figures(client)
    assert during["exact"] is False and during["counted_at"] is not None
    assert during["new_datasets"]["count"] == 5  # as last counted
    listed = await client.get(during["new_datasets"]["datasets"])
    assert listed.json()["total"] == 6  # the listing is live
    partners = (await client.get("/api/v1/partnership/partners")).json()  # always exact
    gouv = next(p for p in partners if p["partner"]["id"] == "gouv")
    assert gouv["datasets"] == 5
    async with sessions() as session, session.begin():
        await session.execute(sa.update(HarvestRun).values(status="succeeded"))
    after = await _figures(client)
    assert after["exact"] is True and after["counted_at"] is None
    assert after["new_datasets"]["count"] == 6


async def test_source_decisions_show_at_once_from_current_cells(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await _figures(client)
    async with sessions() as session:
        assert await cells.is_current(session)
    async with sessions() as session, session.begin():  # no dataset written: still current
        await session.execute(
            sa.update(Source).where(col(Source.id) == "c-src").values(status="approved")
        )
        await session.execute(
            sa.update(Source).where(col(Source.id) == "gouv-src").values(status="pending")
        )
    after = await _figures(client)
    assert after["exact"] is True
    by_partner = {c["key"]: c["count"] for c in after["new_datasets"]["by_partner"]}
    assert "gouv" not in by_partner and by_partner["ville-c"] == 1
    assert after["new_datasets"]["count"] == before["new_datasets"]["count"] - 2 + 1
    listed = await client.get(after["new_datasets"]["datasets"])
    assert listed.json()["total"] == after["new_datasets"]["count"]


async def test_stats_read_current_facet_totals_and_flag_stale_ones(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    counted = (await client.get("/api/v1/stats")).json()  # nothing stored: counted afresh
    assert counted["exact"] is True
    assert counted["datasets"] == 9 and counted["withdrawn"] == 1
    assert await facet_totals.refresh(sessions)
    stored = (await client.get("/api/v1/stats")).json()
    assert stored == counted
    async with sessions() as session, session.begin():
        await write_batch(
            session, "orphan", [record("orphan", "o3", date(2019, 2, 1))], now=FIRST_SEEN
        )
    stale = (await client.get("/api/v1/stats")).json()
    assert stale["exact"] is False and stale["datasets"] == 10  # the counts stay live
    assert stale["by_source"] == counted["by_source"]
    assert await facet_totals.refresh(sessions)
    fresh = (await client.get("/api/v1/stats")).json()
    assert fresh["exact"] is True
    assert {"value": "orphan", "count": 3} in fresh["by_source"]
    sources = {s["id"]: s for s in (await client.get("/api/v1/sources")).json()}
    assert sources["orphan"]["datasets"] == 3 and sources["a-src"]["datasets"] == 1


async def test_sources_and_stats_count_from_current_cells(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def listed() -> tuple[dict[str, Any], dict[str, int]]:
        stats = (await client.get("/api/v1/stats")).json()
        sources = (await client.get("/api/v1/sources")).json()
        return stats, {s["id"]: s["datasets"] for s in sources}

    afresh = await listed()  # no cells stored
    await _figures(client)  # stores them
    async with sessions() as session:
        assert await cells.visible_by_source(session) is not None
    assert await listed() == afresh
    assert afresh[0]["datasets"] == 9 and afresh[0]["withdrawn"] == 1
    assert afresh[1]["orphan"] == 2 and afresh[1]["gouv-src"] == 4
    async with sessions() as session, session.begin():  # stale: counted afresh again
        await write_batch(
            session, "orphan", [record("orphan", "o3", date(2019, 2, 1))], now=FIRST_SEEN
        )
    async with sessions() as session:
        assert await cells.visible_by_source(session) is None
    stats, sources = await listed()
    assert stats["datasets"] == 10 and sources["orphan"] == 3
