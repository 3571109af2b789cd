"""A DCAT-US or ArcGIS Hub feed mapped in a worker stores what mapping in process does.

A dataset's mapping reads what the listing collected only when an ``isPartOf`` read so far
names it (it is then a series): such a parent is mapped in the harvesting process, whether
it was named before its batch was sent or only before its batch is written (its worker
result is then dropped). The feed is the recorded data.json fixtures, in batches of four;
one USDA dataset is made the parent of a later CFTC one, named after its batch was sent.
An ArcGIS Hub feed's records also read the feed that answered, which the worker is told.

A run with a worker writes a batch once the next one is read (while the worker maps it);
mapping in process, each batch is written as soon as it is read. So the later parent is
known as a series when its batch is written only with the worker; in process it is
written again once the listing ends (``harvester.revisits``): both runs store the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.base import SourceSpec
from connectors.dcat_us_mapping import identifier
from connectors.registry import get_connector
from harvester import mapping_pool
from harvester.mapping_pool import MappingPool
from harvester.runs import run_harvest
from harvester.store.tables import Dataset
from tests.connectors.arcgis_samples import SITE
from tests.connectors.dcat_us_samples import data_json, recorded_datasets, serving
from tests.connectors.test_arcgis_hub import HubSite
from tests.harvester.engine_support import add_source
from tests.paths import fixture

URL = "https://agency.example.gov/data.json"


def _feed() -> tuple[bytes, str, str]:
    """The feed, the remote ids of the parent named before its batch is sent and of the
    one named after."""
    arm, usda, cftc = (recorded_datasets(f"{n}_data.json") for n in ("arm", "usda", "cftc"))
    awol, opm, retire = recorded_datasets("collection_isPartOf_data.json")  # child, parent, child
    late_parent = usda[0]
    late_child = {**cftc[3], "isPartOf": identifier(late_parent)}
    batches = [
        [*arm, awol],  # names opm before its batch
        [opm, late_parent, *cftc[:2]],
        [cftc[2], late_child, retire, *usda[1:2]],  # names late_parent while it is mapped
        [*usda[2:], *cftc[4:]],
    ]
    body = data_json(d for batch in batches for d in batch)
    return body, str(identifier(opm)), str(identifier(late_parent))


async def _harvest(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    spec: SourceSpec,
    handler: Callable[[httpx.Request], httpx.Response],
) -> Any:
    await add_source(sessions, spec.url, source_id, platform=spec.platform, options=spec.options)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return await run_harvest(sessions, source_id, client, batch_size=4, full=True)


async def _both_ways(
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    spec: SourceSpec,
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The records stored by a run mapping in process and by one with a worker."""
    monkeypatch.setattr(mapping_pool, "POOL", MappingPool(0))
    here = await _harvest(sessions, "ici", spec, handler)
    worker = MappingPool(1, min_records=1)
    monkeypatch.setattr(mapping_pool, "POOL", worker)
    probe = get_connector(spec.platform)(spec, httpx.AsyncClient())
    assert worker.usable_for(probe) or worker.wait_ready(60)
    try:
        there = await _harvest(sessions, "worker", spec, handler)
    finally:
        worker.shutdown()
    assert (here.status, there.status) == ("succeeded", "succeeded"), (here.message, there.message)
    assert worker.batches_sent >= 2, "batches were mapped in the worker"
    return await _records(sessions, "ici"), await _records(sessions, "worker")


async def _records(sessions: async_sessionmaker[AsyncSession], source_id: str) -> dict[str, Any]:
    """Each stored record by remote id, without the source it was stored under."""
    async with sessions() as session:
        rows = await session.scalars(sa.select(Dataset).where(col(Dataset.source_id) == source_id))
        found = {row.remote_id: dict(row.record) for row in rows}
    for record in found.values():
        record["provenance"] = {
            k: v for k, v in record["provenance"].items() if k not in ("source_id", "harvested_at")
        }
    return found


async def test_a_dcat_us_feed_maps_in_a_worker_as_in_process(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    body, early_parent, late_parent = _feed()
    spec = SourceSpec(id="feed", url=URL, platform="dcat_us")
    expected, found = await _both_ways(sessions, monkeypatch, spec, serving(body))
    assert len(found) == len(expected) == 16
    assert found == expected
    assert found[early_parent]["is_series"] and found[late_parent]["is_series"]


async def test_an_arcgis_hub_feed_maps_in_a_worker_as_in_process(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorded Apur (Paris) Hub data.json; its sixth dataset made the parent of its
    tenth, named after the parent's batch was sent."""
    feed = orjson.loads(fixture("arcgis", "opendata_datajson_apur-cassini.json").read_bytes())
    datasets = feed["dataset"]
    parent = str(identifier(datasets[5]))
    datasets[9] = {**datasets[9], "isPartOf": parent}
    site = HubSite({"/data.json": orjson.dumps(feed)})
    spec = SourceSpec(id="hub", url=SITE, platform="arcgis", options={"feed": "data.json"})
    expected, found = await _both_ways(sessions, monkeypatch, spec, site)
    assert len(found) == len(expected) == len(datasets)
    assert {r["provenance"]["api_url"] for r in found.values()} == {f"{SITE}/data.json"}
    assert found == expected
    assert found[parent]["is_series"]
