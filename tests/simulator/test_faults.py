"""Each fault mode of the simulator produces the connector error a real portal would cause."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.base import Connector, SourceSpec
from connectors.client import build_client
from connectors.errors import HarvestError, SourceProtocolError, SourceUnavailable
from connectors.registry import get_connector
from harvester.runs import run_harvest
from harvester.store.tables import Dataset
from harvester.store.tables import HarvestError as HarvestErrorRow
from simulator.corpus import CorpusSpec
from simulator.faults import FaultPlan
from simulator.platforms import CONNECTORS
from simulator.server import SimServer
from simulator.state import SimConfig
from tests.simulator.conftest import LOOPBACK, add_source

N = 30
PAGE = 10


def _config(mode: str, *, pages: frozenset[int] | None = frozenset({2}), **plan: Any) -> SimConfig:
    return SimConfig(
        spec=CorpusSpec(seed=9, n=N),
        page_size=PAGE,
        faults=FaultPlan(mode=mode, pages=pages, **plan),  # type: ignore[arg-type]
        cache_bytes=0,
    )


def _connector(sim: SimServer, platform: str, client: httpx.AsyncClient) -> Connector:
    options = {"ckan": {"rows": PAGE}, "socrata": {"page_size": PAGE}}.get(platform, {})
    spec = SourceSpec(
        id="sim", url=sim.source_url(platform), platform=CONNECTORS[platform], options=options
    )
    return get_connector(CONNECTORS[platform])(spec, client)


async def _fetch(
    sim: SimServer, platform: str, *, read_timeout: float = 30.0
) -> tuple[list[str], Connector, HarvestError | None]:
    async with build_client(allow=LOOPBACK, timeout=read_timeout) as client:
        connector = _connector(sim, platform, client)
        ids: list[str] = []
        try:
            async for raw in connector.fetch():
                ids.append(raw.remote_id)
        except HarvestError as error:
            return ids, connector, error
    return ids, connector, None


@pytest.mark.parametrize("platform", ["ckan", "socrata", "dcat_turtle"])
async def test_persistent_429_is_retried_with_retry_after_then_unavailable(
    platform: str, waits: list[float]
) -> None:
    with SimServer(_config("429", retry_after=3)) as sim:
        ids, connector, error = await _fetch(sim, platform)
    assert isinstance(error, SourceUnavailable) and error.status == 429
    assert waits == [3.0, 3.0, 3.0]  # four attempts, Retry-After honoured
    assert len(ids) == PAGE and not connector.stats.complete


@pytest.mark.parametrize("platform", ["ckan", "socrata", "dcat_turtle"])
async def test_a_transient_fault_is_retried_and_the_listing_completes(
    platform: str, waits: list[float]
) -> None:
    with SimServer(_config("503", times=1)) as sim:
        ids, connector, error = await _fetch(sim, platform)
        injected = sim.state.faults.injected
    assert error is None and connector.stats.complete
    assert len(set(ids)) == N and injected == 1 and waits == [1.0]


async def test_a_500_is_unavailable_without_retry(waits: list[float]) -> None:
    with SimServer(_config("500")) as sim:
        _, connector, error = await _fetch(sim, "ckan")
        injected = sim.state.faults.injected
    assert isinstance(error, SourceUnavailable) and error.status == 500
    assert injected == 1 and waits == [] and not connector.stats.complete


@pytest.mark.parametrize("platform", ["ckan", "socrata", "dcat_turtle", "datajson"])
@pytest.mark.parametrize("mode", ["truncated", "html"])
async def test_truncated_pages_and_html_with_200_are_protocol_errors(
    platform: str, mode: str, waits: list[float]
) -> None:
    pages = frozenset({1}) if platform == "datajson" else frozenset({2})
    with SimServer(_config(mode, pages=pages)) as sim:
        ids, connector, error = await _fetch(sim, platform)
    assert isinstance(error, SourceProtocolError), error
    if mode == "html":
        assert "HTML" in error.message
    assert not connector.stats.complete and waits == []
    if platform != "datajson":
        assert len(ids) == PAGE  # the first page was yielded, the broken one was not


@pytest.mark.parametrize("platform", ["ckan", "datajson"])
async def test_a_body_slower_than_the_timeout_is_unavailable(
    platform: str, waits: list[float]
) -> None:
    with SimServer(_config("slow", pages=frozenset({1}), slow_delay=1.0, slow_chunks=3)) as sim:
        _, connector, error = await _fetch(sim, platform, read_timeout=0.2)
    assert isinstance(error, SourceUnavailable), error
    assert "timed out" in error.message or "broke off" in error.message
    assert not connector.stats.complete


async def test_a_failed_run_keeps_what_it_stored_and_withdraws_nothing(
    sessions: async_sessionmaker[AsyncSession], waits: list[float]
) -> None:
    with SimServer(_config("html", pages=frozenset({3}))) as sim:
        source = await add_source(sessions, sim, "ckan", options={"rows": PAGE})
        async with build_client(allow=LOOPBACK) as client:
            run = await run_harvest(sessions, source, client, batch_size=PAGE)
    assert run.status == "failed" and not run.complete
    assert (run.seen, run.added, run.withdrawn) == (2 * PAGE, 2 * PAGE, 0)
    async with sessions() as session:
        kinds = (await session.scalars(sa.select(col(HarvestErrorRow.kind)))).all()
        stored = await session.scalar(sa.select(sa.func.count()).select_from(Dataset))
    assert list(kinds) == ["SourceProtocolError"] and stored == 2 * PAGE
