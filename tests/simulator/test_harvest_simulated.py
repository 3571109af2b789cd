"""Every simulated platform is harvested by the real connector and ``run_harvest``, on
SQLite and PostgreSQL, with exact counts; a second generation gives the expected diff."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.client import build_client
from harvester.runs import run_harvest
from harvester.store.tables import Dataset
from simulator.corpus import Corpus, CorpusSpec, diff
from simulator.server import SimServer
from simulator.state import PLATFORMS, SimConfig
from tests.simulator.conftest import LOOPBACK, add_source

N = 120
SPEC = CorpusSpec(seed=2024, n=N, changed=0.05, removed=0.05, added=0.05)
OPTIONS: dict[str, dict[str, Any]] = {
    "ckan": {"rows": 25},
    "socrata": {"page_size": 25},
    "datajson": {},
    "dcat_turtle": {},
    "opendatasoft": {"page_size": 25},
    "arcgis_portal": {"page_size": 25},
    "arcgis_hub": {},  # the site's root: the connector finds its DCAT-US feed
}


async def _harvest(sessions: async_sessionmaker[AsyncSession], source: str, full: bool) -> Any:
    async with build_client(allow=LOOPBACK) as client:
        return await run_harvest(sessions, source, client, full=full, batch_size=40)


async def _visible(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        query = (
            sa.select(sa.func.count())
            .select_from(Dataset)
            .where(
                Dataset.withdrawn_at.is_(None)  # type: ignore[union-attr]
            )
        )
        return int(await session.scalar(query) or 0)


@pytest.mark.parametrize(("platform", "spec"), [(p, SPEC) for p in PLATFORMS])
async def test_each_platform_harvests_exactly_then_applies_a_generation(
    sessions: async_sessionmaker[AsyncSession], platform: str, spec: CorpusSpec
) -> None:
    before = Corpus(spec)
    after = Corpus(replace(spec, generation=1))
    change = diff(before, after)
    assert change.added and change.changed  # the seed exercises both
    assert change.removed or not spec.removed
    with SimServer(SimConfig(spec=spec, page_size=25)) as sim:
        source = await add_source(sessions, sim, platform, options=OPTIONS[platform])
        first = await _harvest(sessions, source, full=False)
        assert first.status == "succeeded", first.message
        assert first.complete
        assert (first.seen, first.added, first.updated, first.failed) == (N, N, 0, 0)
        assert await _visible(sessions) == N

        sim.state.set_generation(1)
        second = await _harvest(sessions, source, full=True)
    assert second.status == "succeeded", second.message
    assert (second.seen, second.added, second.updated, second.unchanged) == (
        len(after),
        len(change.added),
        len(change.changed),
        len(change.unchanged),
    )
    assert second.withdrawn == len(change.removed)
    assert await _visible(sessions) == len(after)


async def test_ckan_incremental_run_fetches_only_what_the_generation_changed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before, after = Corpus(SPEC), Corpus(replace(SPEC, generation=1))
    change = diff(before, after)
    with SimServer(SimConfig(spec=SPEC)) as sim:
        source = await add_source(sessions, sim, "ckan", options={"rows": 25})
        assert (await _harvest(sessions, source, full=False)).added == N
        sim.state.set_generation(1)
        incremental = await _harvest(sessions, source, full=False)
    assert incremental.status == "succeeded" and not incremental.full
    assert (incremental.seen, incremental.added, incremental.updated) == (
        len(change.added) + len(change.changed),
        len(change.added),
        len(change.changed),
    )
    assert incremental.withdrawn == 0


async def test_an_unchanged_generation_rewrites_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    spec = replace(SPEC, changed=0.0, removed=0.0, added=0.0)
    with SimServer(SimConfig(spec=spec)) as sim:
        source = await add_source(sessions, sim, "dcat_turtle")
        await _harvest(sessions, source, full=False)
        async with sessions() as session:
            stamps = dict(
                (await session.execute(sa.select(col(Dataset.id), col(Dataset.updated_at)))).all()
            )
        sim.state.set_generation(1)
        again = await _harvest(sessions, source, full=True)
    assert (again.added, again.updated, again.unchanged, again.withdrawn) == (0, 0, N, 0)
    async with sessions() as session:
        assert (
            dict((await session.execute(sa.select(col(Dataset.id), col(Dataset.updated_at)))).all())
            == stamps
        )


async def test_a_hub_site_is_harvested_from_its_root_through_its_dcat_us_feed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with SimServer(SimConfig(spec=SPEC, platforms=("arcgis_hub",))) as sim:
        source = await add_source(sessions, sim, "arcgis_hub")
        run = await _harvest(sessions, source, full=False)
    assert run.status == "succeeded", run.message
    assert run.added == N
    assert run.cursor is not None
    assert run.cursor["feed"] == f"{sim.url}/api/feed/dcat-us/1.1.json"
    assert [tried.split(": ", 1)[0] for tried in run.cursor["feeds_tried"]] == [
        f"{sim.url}/api/feed/dcat-ap/{version}.json" for version in ("3.0.0", "2.1.1", "2.0.1")
    ]
