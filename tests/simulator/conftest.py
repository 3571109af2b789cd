"""Helpers for simulator tests: a simulator in a thread, a source row pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Connector, RawRecord, SourceSpec
from connectors.client import build_client
from connectors.errors import HarvestError
from connectors.registry import get_connector
from harvester.store.tables import Partner, Source
from simulator.platforms import CONNECTORS
from simulator.server import SimServer
from simulator.state import SimConfig

LOOPBACK = ["127.0.0.1"]


def serve(config: SimConfig) -> Iterator[SimServer]:
    with SimServer(config) as sim:
        yield sim


async def add_source(
    sessions: async_sessionmaker[AsyncSession],
    sim: SimServer,
    platform: str,
    *,
    options: dict[str, object] | None = None,
) -> str:
    """A partner and an approved source harvesting ``platform`` on ``sim``; its id."""
    async with sessions() as session, session.begin():
        session.add(Partner(id="ville-sim", name="Ville simulée", kind="municipality"))
        session.add(
            Source(
                id="sim",
                partner_id="ville-sim",
                url=sim.source_url(platform),
                platform=CONNECTORS[platform],
                options=options or {},
            )
        )
    return "sim"


async def listed(
    sim: SimServer, platform: str, since: datetime | None = None, **options: Any
) -> tuple[list[RawRecord], Connector, HarvestError | None]:
    """What the real connector of ``platform`` lists from ``sim`` (with ``options``), the
    connector (its ``stats``) and the error that stopped the listing, if any."""
    spec = SourceSpec(
        id="sim", url=sim.source_url(platform), platform=CONNECTORS[platform], options=options
    )
    raws: list[RawRecord] = []
    async with build_client(allow=LOOPBACK) as client:
        connector = get_connector(spec.platform)(spec, client)
        try:
            async for raw in connector.fetch(since):
                raws.append(raw)
        except HarvestError as error:
            return raws, connector, error
    return raws, connector, None
