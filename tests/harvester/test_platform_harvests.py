"""Every platform, harvested end to end from its recorded responses into both databases:
records land with their provenance, and a second harvest changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.runs import run_harvest
from harvester.store.tables import Dataset, Partner, Source
from tests.paths import fixture


@dataclass(frozen=True)
class Replay:
    """A portal answering request paths (by suffix) with recorded files; others get 404."""

    platform: str
    url: str
    routes: dict[str, tuple[str, str, str]]
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        for suffix, (folder, name, media_type) in self.routes.items():
            if request.url.path.endswith(suffix):
                body = fixture(folder, name).read_bytes()
                return httpx.Response(200, content=body, headers={"content-type": media_type})
        return httpx.Response(404, json={"error": "not found"})


JSON = "application/json"
REPLAYS = [
    Replay(
        "socrata",
        "https://data.cityofboston.gov",
        {"/api/catalog/v1": ("socrata", "discovery_catalog_v1_multi-domain.json", JSON)},
        {"paging": "offset"},
    ),
    Replay(
        "dcat_us",
        "https://data.example.gov/data.json",
        {"/data.json": ("dcat-us", "cfpb_data.json", JSON)},
    ),
    Replay(
        "dcat_rdf",
        "https://ville.example.fr/catalog.rdf",
        {
            "/catalog.rdf": (
                "dcat-rdf",
                "datagouvfr_org_catalog_vanves.rdf.xml",
                "application/rdf+xml",
            )
        },
    ),
    Replay(
        "arcgis",
        "https://hub.example.org",
        {"/data.json": ("arcgis", "hub_datajson_ville-evian.json", JSON)},
        {"mode": "hub", "feed": "data.json"},
    ),
    Replay(
        "opendatasoft",
        "https://ods.example.org",
        {
            "/api/datasets/1.0/search/": (
                "opendatasoft",
                "v1_datasets_search_etalab-sandbox.json",
                JSON,
            )
        },
        {"api_version": "v1"},
    ),
]


async def _source(sessions: async_sessionmaker[AsyncSession], replay: Replay) -> str:
    async with sessions() as session, session.begin():
        session.add(Partner(id="p", name="Partenaire", kind="municipality"))
        session.add(
            Source(
                id=replay.platform,
                partner_id="p",
                url=replay.url,
                platform=replay.platform,
                options=replay.options,
            )
        )
    return replay.platform


@pytest.mark.parametrize("replay", REPLAYS, ids=lambda r: r.platform)
async def test_each_platform_lands_records_and_reharvest_changes_nothing(sessions, replay):
    source_id = await _source(sessions, replay)
    async with httpx.AsyncClient(transport=httpx.MockTransport(replay)) as client:
        first = await run_harvest(sessions, source_id, client)
        assert first.status in ("succeeded", "partial"), first.message
        assert first.added > 0 and first.added == first.seen - first.failed - first.skipped

        async with sessions() as session:
            rows = list(await session.scalars(sa.select(Dataset)))
        assert len(rows) == first.added
        for row in rows:
            provenance = row.record["provenance"]
            assert provenance["platform"] == replay.platform
            assert provenance["source_id"] == source_id == row.source_id
            assert provenance["remote_id"] == row.remote_id
            assert row.record["title"], row.remote_id
        before = {row.id: (row.content_hash, row.updated_at) for row in rows}

        second = await run_harvest(sessions, source_id, client, full=True)
    assert (second.added, second.updated) == (0, 0)
    assert second.unchanged == first.added
    async with sessions() as session:
        after = {
            row.id: (row.content_hash, row.updated_at)
            for row in await session.scalars(sa.select(Dataset))
        }
    assert after == before
