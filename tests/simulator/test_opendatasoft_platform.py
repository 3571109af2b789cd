"""The simulated OpenDataSoft Explore API v2.1, harvested by the real ``opendatasoft`` connector."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Connector
from connectors.client import build_client
from connectors.errors import HarvestError, SourceProtocolError
from connectors.opendatasoft import OpenDataSoftConnector
from connectors.opendatasoft_api import ods_error
from harvester.runs import run_harvest
from simulator.corpus import Corpus, CorpusSpec, diff
from simulator.faults import FaultPlan
from simulator.server import SimServer
from simulator.state import SimConfig
from tests.simulator.conftest import LOOPBACK, add_source, listed

N = 45
PAGE = 10
SPEC = CorpusSpec(seed=77, n=N, changed=0.1, removed=0.05, added=0.1)
DATASETS = "/api/explore/v2.1/catalog/datasets"
EXPORT = "/api/explore/v2.1/catalog/exports/json"
GENERATION_1 = datetime(2025, 1, 2, tzinfo=UTC)
"""When generation 1 happened by default (``CorpusSpec.stamp(1)``)."""


def _config(spec: CorpusSpec = SPEC, **knobs: Any) -> SimConfig:
    return SimConfig(spec=spec, platforms=("opendatasoft",), **knobs)


async def _fetch(
    sim: SimServer, since: datetime | None = None, **options: Any
) -> tuple[list[Any], Connector, HarvestError | None]:
    return await listed(sim, "opendatasoft", since, **{"page_size": PAGE, **options})


def _names(corpus: Corpus, indices: Any = None) -> set[str]:
    return {d.name for d in corpus.datasets(None if indices is None else sorted(indices))}


def _get(sim: SimServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(sim.url + path, params=params, timeout=30)


# --- the connector harvests the simulator ----------------------------------------------


async def test_the_connector_harvests_every_dataset_completely() -> None:
    corpus = Corpus(SPEC)
    with SimServer(_config()) as sim:
        raws, connector, error = await _fetch(sim)
    assert error is None and connector.stats.complete
    assert connector.stats.pages == -(-N // PAGE) and connector.stats.expected == N
    ids = [raw.remote_id for raw in raws]
    assert len(ids) == N and set(ids) == _names(corpus)
    assert ids == sorted(ids)  # order_by=dataset_id
    by_name = {d.name: d for d in corpus.datasets()}
    for raw in raws:
        record = connector.normalize(raw)
        source = by_name[raw.remote_id]
        assert record.title == {"fr": source.title[0]}  # ODS sites are monolingual
        assert source.description[0] in record.description["fr"]
        assert record.keywords == {"fr": source.keywords[0]}
        assert record.modified == source.modified and record.licence is not None
        assert record.contact_points and record.contact_points[0].email == source.contact[1]
        assert record.accrual_periodicity == source.frequency[0]
        downloads = [d for d in record.distributions if d.download_url]
        assert downloads and any(d.api_access for d in record.distributions)


async def test_the_probe_recognizes_the_simulator() -> None:
    with SimServer(_config()) as sim:
        async with build_client(allow=LOOPBACK) as client:
            found = await OpenDataSoftConnector.probe(sim.source_url("opendatasoft"), client)
    assert found is not None and found.platform == "opendatasoft"
    assert found.dataset_count == N


def test_dataset_ids_are_the_corpus_names_without_building_datasets() -> None:
    corpus = Corpus(replace(SPEC, n=300))
    assert [corpus.name(i) for i in corpus.indices] == [d.name for d in corpus.datasets()]


async def test_a_generation_is_harvested_exactly(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before, after = Corpus(SPEC), Corpus(replace(SPEC, generation=1))
    change = diff(before, after)
    assert change.added and change.changed and change.removed
    with SimServer(_config(page_size=PAGE)) as sim:
        source = await add_source(sessions, sim, "opendatasoft", options={"page_size": PAGE})
        async with build_client(allow=LOOPBACK) as client:
            first = await run_harvest(sessions, source, client, full=False)
            assert first.status == "succeeded" and (first.seen, first.added) == (N, N)
            sim.state.set_generation(1)
            incremental = await run_harvest(sessions, source, client, full=False)
            full = await run_harvest(sessions, source, client, full=True)
    assert incremental.status == "succeeded" and not incremental.full
    assert (incremental.seen, incremental.added, incremental.updated) == (
        len(change.added) + len(change.changed),
        len(change.added),
        len(change.changed),
    )
    assert full.status == "succeeded" and full.seen == len(after)
    assert full.withdrawn == len(change.removed)


# --- filters and order ------------------------------------------------------------------


async def test_modified_since_returns_only_what_changed_after() -> None:
    before, after = Corpus(SPEC), Corpus(replace(SPEC, generation=1))
    change = diff(before, after)
    with SimServer(_config(replace(SPEC, generation=1))) as sim:
        raws, connector, error = await _fetch(sim, since=GENERATION_1)
    assert error is None and connector.stats.complete
    ids = [raw.remote_id for raw in raws]
    assert len(ids) == len(change.added | change.changed)
    assert set(ids) == _names(after, change.added | change.changed)


def test_the_where_filter_and_order_by_modified_desc() -> None:
    corpus = Corpus(replace(SPEC, generation=1))
    with SimServer(_config(corpus.spec)) as sim:
        body = _get(
            sim,
            DATASETS,
            where="default.modified>=date'2025-01-01T00:00:00Z'",
            order_by="modified desc",
            limit=100,
        ).json()
        everything = _get(sim, DATASETS, order_by="default.modified DESC", limit=100).json()
    newer = [i for i in corpus.indices if corpus.modified(i) >= datetime(2025, 1, 1, tzinfo=UTC)]
    assert 0 < body["total_count"] == len(newer) < len(corpus)
    stamps = [r["metas"]["default"]["modified"] for r in everything["results"]]
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == len(corpus)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"where": 'publisher="Ville de Laval"'}, "ODSQLError"),
        ({"where": "default.modified>=date'hier'"}, "ODSQLError"),
        ({"order_by": "title"}, "ODSQLError"),
        ({"refine": 'publisher:"Ville de Laval"'}, "InvalidRESTParameterError"),
        ({"offset": "-1"}, "InvalidRESTParameterError"),
        ({"limit": "dix"}, "InvalidRESTParameterError"),
    ],
)
def test_what_is_not_simulated_is_refused_like_ods(params: dict[str, str], code: str) -> None:
    with SimServer(_config()) as sim:
        answer = _get(sim, DATASETS, **params)
        exported = _get(sim, EXPORT, **params)
    assert answer.status_code == 400 and answer.json()["error_code"] == code
    assert exported.status_code == 400 and ods_error(exported.json())


async def test_the_connector_reports_a_refused_where() -> None:
    with SimServer(_config()) as sim:
        raws, connector, error = await _fetch(sim, where='publisher="Ville de Laval"')
    assert isinstance(error, SourceProtocolError) and "ODSQL" in error.message, error
    assert raws == [] and not connector.stats.complete


# --- the limits of the paged listing -------------------------------------------------------


def test_limit_over_100_is_refused() -> None:
    with SimServer(_config()) as sim:
        refused = _get(sim, DATASETS, limit=101)
        allowed = _get(sim, DATASETS, limit=100)
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "InvalidRESTParameterError"
    assert "limit" in (ods_error(refused.json()) or "")
    assert allowed.status_code == 200 and len(allowed.json()["results"]) == N


def test_paging_stops_at_offset_plus_limit_10000() -> None:
    with SimServer(_config()) as sim:
        last = _get(sim, DATASETS, offset=9_900, limit=100)
        past = _get(sim, DATASETS, offset=9_901, limit=100)
        default_limit = _get(sim, DATASETS, offset=9_950)
    assert last.status_code == 200 and last.json() == {"total_count": N, "results": []}
    assert past.status_code == 400 and "10000" in (ods_error(past.json()) or "")
    assert default_limit.status_code == 400  # the default limit (100) counts too


def test_the_export_is_the_whole_filtered_listing_as_one_array() -> None:
    corpus = Corpus(replace(SPEC, generation=1))
    where = "(default.modified>=date'2025-01-01T00:00:00Z')"
    with SimServer(_config(corpus.spec)) as sim:
        exported = _get(sim, EXPORT, where=where, order_by="dataset_id")
        paged = _get(sim, DATASETS, where=where, order_by="dataset_id", limit=100)
    assert exported.status_code == 200
    items = orjson.loads(exported.content)
    assert isinstance(items, list) and items == paged.json()["results"]
    assert 0 < len(items) < len(corpus)


async def test_more_than_10000_datasets_switch_to_the_export() -> None:
    """The one large test (10 001 datasets; a few seconds, mostly rendering them)."""
    spec = CorpusSpec(seed=5, n=10_001)
    with SimServer(_config(spec, cache_bytes=0)) as sim:
        raws, connector, error = await _fetch(sim, page_size=100)
        requests = sim.state.requests
    assert error is None and connector.stats.complete
    assert connector.stats.cursor["mode"] == "exports/json" and requests == 2
    assert len({raw.remote_id for raw in raws}) == len(raws) == 10_001


# --- faults ---------------------------------------------------------------------------------


async def test_a_transient_503_on_the_export_is_retried(waits: list[float]) -> None:
    """The 10 001-dataset portal answers 503 once to its first page and once to the
    export: both are retried and the harvest sees every dataset."""
    spec = CorpusSpec(seed=5, n=10_001)
    faults = FaultPlan(mode="503", pages=frozenset({1}), times=1)
    with SimServer(_config(spec, cache_bytes=0, faults=faults)) as sim:
        raws, connector, error = await _fetch(sim, page_size=100)
        injected = sim.state.faults.injected
    assert error is None and connector.stats.complete
    assert connector.stats.cursor["mode"] == "exports/json"
    assert len({raw.remote_id for raw in raws}) == len(raws) == 10_001
    assert injected == 2 and waits == [1.0, 1.0]


async def test_a_transient_503_is_retried_and_the_listing_completes(waits: list[float]) -> None:
    config = _config(faults=FaultPlan(mode="503", pages=frozenset({2}), times=1), cache_bytes=0)
    with SimServer(config) as sim:
        raws, connector, error = await _fetch(sim)
        injected = sim.state.faults.injected
    assert error is None and connector.stats.complete
    assert len({raw.remote_id for raw in raws}) == N and injected == 1 and waits == [1.0]


async def test_a_persistent_500_leaves_the_listing_incomplete(waits: list[float]) -> None:
    config = _config(faults=FaultPlan(mode="500", pages=frozenset({3})), cache_bytes=0)
    with SimServer(config) as sim:
        raws, connector, error = await _fetch(sim)
    assert error is not None and getattr(error, "status", None) == 500
    assert len(raws) == 2 * PAGE and not connector.stats.complete


@pytest.mark.parametrize(("mode", "status"), [("truncated", 200), ("503", 503)])
def test_faults_apply_to_the_export(mode: str, status: int) -> None:
    config = _config(faults=FaultPlan(mode=mode, pages=frozenset({1})))  # type: ignore[arg-type]
    with SimServer(config) as sim:
        answer = _get(sim, EXPORT)
    assert answer.status_code == status
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(answer.content)
