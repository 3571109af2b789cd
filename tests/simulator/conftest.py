"""Helpers for simulator tests: a simulator in a thread, a source row pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors import http
from harvester.store.tables import Partner, Source
from simulator.platforms import CONNECTORS
from simulator.server import SimServer
from simulator.state import SimConfig

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the connectors' waits between attempts instead of sleeping."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(http, "sleep", fake_sleep)
    return recorded


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
