"""The simulated ArcGIS portal, harvested by the real ``arcgis`` connector (portal mode)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from connectors.arcgis import ArcgisConnector
from connectors.base import Connector, RawRecord, SourceSpec
from connectors.client import build_client
from connectors.errors import HarvestError, SourceProtocolError
from connectors.registry import get_connector
from harvester.runs import run_harvest
from simulator.cli import app as sim_app
from simulator.corpus import Corpus, CorpusSpec, diff
from simulator.faults import FaultPlan
from simulator.platforms import CONNECTORS
from simulator.platforms.arcgis_portal import ORG_ID, ORG_NAME, SHARING, item, item_type
from simulator.server import SimServer
from simulator.state import SimConfig
from tests.paths import fixture
from tests.simulator.conftest import LOOPBACK, add_source, listed

N = 230
SPEC = CorpusSpec(seed=11, n=N, changed=0.1, removed=0.05, added=0.05)
PLATFORM = "arcgis_portal"


def _config(spec: CorpusSpec = SPEC, **knobs: Any) -> SimConfig:
    return SimConfig(spec=spec, platforms=(PLATFORM,), cache_bytes=0, **knobs)


def _item_ids(corpus: Corpus, indices: Any = None) -> set[str]:
    return {d.hub_id for d in corpus.datasets(None if indices is None else sorted(indices))}


async def _fetch(
    sim: SimServer, since: datetime | None = None, **options: Any
) -> tuple[list[RawRecord], Connector, HarvestError | None]:
    return await listed(sim, PLATFORM, since, **options)


def _search(sim: SimServer, **params: Any) -> dict[str, Any]:
    query = {"f": "json", "q": f"orgid:{ORG_ID}", "sortField": "created", **params}
    answer = httpx.get(f"{sim.url}{SHARING}/search", params=query, timeout=30)
    answer.raise_for_status()
    return dict(answer.json())


def test_the_connector_takes_the_source_url_for_a_portal() -> None:
    assert CONNECTORS[PLATFORM] == "arcgis"
    with SimServer(_config()) as sim:
        spec = SourceSpec(id="s", url=sim.source_url(PLATFORM), platform="arcgis")
        connector = get_connector("arcgis")(spec, httpx.AsyncClient())
    assert isinstance(connector, ArcgisConnector) and connector.mode == "portal"
    assert connector.root == sim.url + "/portal"


async def test_every_item_is_harvested_completely_and_maps() -> None:
    corpus = Corpus(SPEC)
    with SimServer(_config()) as sim:
        raws, connector, error = await _fetch(sim)
        root = sim.source_url(PLATFORM)
    assert error is None
    assert connector.stats.complete and connector.stats.cursor.get("stopped") is None
    assert (connector.stats.pages, connector.stats.expected) == (3, N)
    assert len(raws) == N and {r.remote_id for r in raws} == _item_ids(corpus)
    records = [connector.normalize(raw) for raw in raws]
    assert len({r.identifier for r in records}) == N
    for raw, record in zip(raws, records, strict=True):
        assert record.landing_page == f"{root}/home/item.html?id={raw.remote_id}"
        assert record.language == ["FRA"] and record.title["fr"] == raw.payload["title"]
        assert record.licence is not None and record.spatial and record.keywords["fr"]
        [distribution] = record.distributions
        if raw.payload["url"]:
            assert distribution.api_access and distribution.endpoint_url == raw.payload["url"]
        else:
            assert distribution.download_url == (
                f"{root}/sharing/rest/content/items/{raw.remote_id}/data"
            )
            assert distribution.byte_size == raw.payload["size"] > 0
    assert len({r.payload["type"] for r in raws}) >= 6  # a mix of services and files


def test_items_have_the_recorded_arcgis_online_shape() -> None:
    recorded = json.loads(
        fixture("arcgis", "agol_sharing_search_single_page_total46.json").read_text("utf-8")
    )
    ours = item(Corpus(SPEC).dataset(0))
    assert set(recorded["results"][0]) <= set(ours)
    assert re.fullmatch(r"[0-9a-f]{32}", ours["id"])
    assert ours["culture"] == "fr-ca" and ours["access"] == "public" and ours["orgId"] == ORG_ID
    (west, south), (east, north) = ours["extent"]
    assert west < east and south < north
    assert isinstance(ours["created"], int) and ours["created"] <= ours["modified"]


def test_search_pages_by_next_start_and_the_last_page_says_minus_one() -> None:
    with SimServer(_config()) as sim:
        first = _search(sim, start=1, num=100)
        second = _search(sim, start=first["nextStart"], num=100)
        last = _search(sim, start=second["nextStart"], num=100)
        capped = _search(sim, start=1, num=500)
        default = _search(sim)
    assert (first["total"], first["start"], first["num"], first["nextStart"]) == (N, 1, 100, 101)
    assert (second["nextStart"], last["start"], last["nextStart"]) == (201, 201, -1)
    assert len(last["results"]) == N - 200 and first["query"] == f"orgid:{ORG_ID}"
    listed = first["results"] + second["results"] + last["results"]
    assert len({i["id"] for i in listed}) == N
    created = [i["created"] for i in listed]
    assert created == sorted(created)  # the connector's stable order
    assert len(capped["results"]) == 100 and capped["num"] == 100
    assert len(default["results"]) == 10 and default["nextStart"] == 11


def test_search_filters_what_the_connector_asks_and_refuses_the_rest() -> None:
    with SimServer(_config()) as sim:
        other_org = _search(sim, q="orgid:SomeOtherOrg12345")
        csv = _search(sim, q=f'orgid:{ORG_ID} AND (type:"CSV" OR type:"KML")', num=100)
        unknown = _search(sim, q="owner:someone")
        newest = _search(sim, sortField="modified", sortOrder="desc", num=100)
    assert other_org["total"] == 0 and other_org["results"] == []
    kinds = [item_type(i)[0] for i in Corpus(SPEC).indices]
    assert csv["total"] == kinds.count("CSV") + kinds.count("KML") > 0
    assert {i["type"] for i in csv["results"]} == {"CSV", "KML"}
    assert unknown == {
        "error": {"code": 400, "message": "Unable to perform query.", "details": ["'q' is invalid"]}
    }
    modified = [i["modified"] for i in newest["results"]]
    assert modified == sorted(modified, reverse=True)


async def test_portal_self_names_the_organization_and_the_probe_finds_the_portal() -> None:
    with SimServer(_config()) as sim:
        async with build_client(allow=LOOPBACK) as client:
            answer = await client.get(f"{sim.url}{SHARING}/portals/self", params={"f": "json"})
            portal = answer.json()
            found = await ArcgisConnector.probe(sim.source_url(PLATFORM), client)
        _, connector, _ = await _fetch(sim)
    assert (portal["id"], portal["name"], portal["urlKey"]) == (ORG_ID, ORG_NAME, "ville-simulee")
    assert connector.stats.cursor["q"] == f"orgid:{ORG_ID}"
    assert found is not None and found.platform == "arcgis"
    assert (found.title, found.dataset_count) == (ORG_NAME, N)


def test_an_item_is_served_by_its_id() -> None:
    dataset = Corpus(SPEC).dataset(Corpus(SPEC).indices[5])
    with SimServer(_config()) as sim:
        found = httpx.get(f"{sim.url}{SHARING}/content/items/{dataset.hub_id}?f=json").json()
        missing = httpx.get(f"{sim.url}{SHARING}/content/items/{'0' * 32}?f=json").json()
    assert found == item(dataset)
    assert missing["error"]["message"] == "Item does not exist or is inaccessible."


async def test_item_types_narrow_the_harvest() -> None:
    corpus = Corpus(SPEC)
    wanted = {i for i in corpus.indices if item_type(i)[0] == "Feature Service"}
    with SimServer(_config()) as sim:
        raws, connector, error = await _fetch(sim, item_types=["Feature Service"])
    assert error is None and connector.stats.complete
    assert {r.remote_id for r in raws} == _item_ids(corpus, wanted)
    assert {r.payload["type"] for r in raws} == {"Feature Service"}


async def test_an_unsupported_query_is_the_portals_error() -> None:
    with SimServer(_config()) as sim:
        raws, connector, error = await _fetch(sim, query="owner:someone")
    assert isinstance(error, SourceProtocolError) and "'q' is invalid" in error.message
    assert raws == [] and not connector.stats.complete


async def test_the_search_window_stops_at_10000_and_the_listing_is_incomplete() -> None:
    spec = CorpusSpec(seed=5, n=10_001)
    with SimServer(_config(spec)) as sim:
        raws, connector, error = await _fetch(sim)
        edge = _search(sim, start=9901, num=100)
        past = _search(sim, start=9902, num=100)
        beyond = _search(sim, start=10_001, num=1)
    assert error is None and len({r.remote_id for r in raws}) == len(raws) == 10_000
    assert connector.stats.complete is False
    assert connector.stats.cursor["stopped"] == "search window"
    assert connector.stats.expected == 10_001 and connector.stats.pages == 100
    assert (len(edge["results"]), edge["total"], edge["nextStart"]) == (100, 10_001, 10_001)
    for refused in (past, beyond):
        assert refused["error"]["code"] == 400 and "10000" in refused["error"]["details"][0]


async def test_an_incremental_run_sees_only_items_modified_since() -> None:
    before = Corpus(SPEC)
    after = Corpus(replace(SPEC, generation=1))
    change = diff(before, after)
    assert change.added and change.changed
    with SimServer(_config()) as sim:
        since = datetime.now(UTC)
        sim.state.set_generation(1)
        raws, connector, error = await _fetch(sim, since=since)
    assert error is None and connector.stats.complete
    assert {r.remote_id for r in raws} == _item_ids(after, change.added | change.changed)
    assert len(raws) == connector.stats.expected == len(change.added) + len(change.changed)
    assert all(r.payload["modified"] >= int(since.timestamp() * 1000) for r in raws)
    assert "modified:[" in connector.stats.cursor["q"]


async def test_a_429_with_retry_after_is_retried_then_the_harvest_completes(
    waits: list[float],
) -> None:
    plan = FaultPlan(mode="429", pages=None, times=1, retry_after=2)
    with SimServer(_config(faults=plan)) as sim:
        raws, connector, error = await _fetch(sim)
        injected = sim.state.faults.injected
    assert error is None and connector.stats.complete and len({r.remote_id for r in raws}) == N
    assert injected == 4  # portals/self and the three search pages, once each
    assert waits == [2.0] * 4


async def test_fault_pages_count_search_pages_not_portals_self(waits: list[float]) -> None:
    plan = FaultPlan(mode="503", pages=frozenset({1}), times=1, retry_after=1)
    with SimServer(_config(faults=plan)) as sim:
        raws, connector, error = await _fetch(sim)
        injected = sim.state.faults.injected
    assert error is None and connector.stats.complete and len(raws) == N
    assert injected == 1 and waits == [1.0]  # the first search page only


async def test_an_html_page_is_a_protocol_error_after_the_first_page(waits: list[float]) -> None:
    with SimServer(_config(faults=FaultPlan(mode="html", pages=frozenset({2})))) as sim:
        raws, connector, error = await _fetch(sim)
    assert isinstance(error, SourceProtocolError) and "HTML" in error.message
    assert len(raws) == 100 and not connector.stats.complete and waits == []


async def test_run_harvest_applies_a_generation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before, after = Corpus(SPEC), Corpus(replace(SPEC, generation=1))
    change = diff(before, after)
    with SimServer(_config()) as sim:
        source = await add_source(sessions, sim, PLATFORM)
        async with build_client(allow=LOOPBACK) as client:
            first = await run_harvest(sessions, source, client, full=False, batch_size=50)
            sim.state.set_generation(1)
            second = await run_harvest(sessions, source, client, full=True, batch_size=50)
    assert first.status == "succeeded" and first.complete, first.message
    assert (first.seen, first.added, first.failed) == (len(before), len(before), 0)
    assert second.status == "succeeded" and second.complete, second.message
    assert (second.seen, second.added, second.updated, second.unchanged, second.withdrawn) == (
        len(after),
        len(change.added),
        len(change.changed),
        len(change.unchanged),
        len(change.removed),
    )


def test_sample_prints_an_item() -> None:
    result = CliRunner().invoke(sim_app, ["sample", "--platform", PLATFORM, "--seed", "3"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.output)
    assert re.fullmatch(r"[0-9a-f]{32}", payload["id"]) and payload["culture"] == "fr-ca"
