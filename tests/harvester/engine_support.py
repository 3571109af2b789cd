"""Helpers shared by the harvest-engine tests (test_engine_*.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors import http
from harvester.run_service import HarvestService
from harvester.settings import Settings
from harvester.store.tables import Dataset, HarvestRun, Partner, Source

SOURCE = "portail"


async def add_source(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    source_id: str = SOURCE,
    *,
    rows: int = 4,
    schedule: str | None = None,
    partner: str = "portail",
    platform: str = "ckan",
    options: dict[str, Any] | None = None,
) -> str:
    """Add a source (a CKAN portal paged by ``rows`` unless told ``platform`` and
    ``options``) and its partner if new."""
    async with sessions() as session, session.begin():
        if await session.get(Partner, partner) is None:
            session.add(Partner(id=partner, name=partner.title(), kind="public_body"))
            await session.flush()
        session.add(
            Source(
                id=source_id,
                partner_id=partner,
                url=url,
                platform=platform,
                options={"rows": rows} if options is None else options,
                schedule=schedule,
            )
        )
    return source_id


def engine_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "auto_migrate": False,
        "ssrf_allow": ["127.0.0.1"],
        "http_timeout": 0.5,
        "batch_size": 4,
        "heartbeat_seconds": 3600.0,
        "scheduler": False,
    }
    values.update(overrides)
    return Settings(**values)


def service(
    sessions: async_sessionmaker[AsyncSession], database_url: str, **overrides: Any
) -> HarvestService:
    return HarvestService(sessions, engine_settings(database_url, **overrides))


@dataclass
class Sleeps:
    """The waits ``connectors.http`` asked for (nobody really sleeps)."""

    waits: list[float]


@pytest.fixture(name="sleeps")
def sleeps_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sleeps]:
    recorded = Sleeps([])

    async def fake_sleep(seconds: float) -> None:
        recorded.waits.append(seconds)

    monkeypatch.setattr(http, "sleep", fake_sleep)
    yield recorded


async def datasets(
    sessions: async_sessionmaker[AsyncSession], source_id: str = SOURCE
) -> dict[str, bool]:
    """remote_id → visible (not withdrawn) for every dataset row of the source."""
    async with sessions() as session:
        rows = await session.execute(
            sa.select(col(Dataset.remote_id), col(Dataset.withdrawn_at)).where(
                col(Dataset.source_id) == source_id
            )
        )
        pairs = rows.all()
    assert len(pairs) == len({remote_id for remote_id, _ in pairs}), "duplicate rows"
    return {remote_id: withdrawn is None for remote_id, withdrawn in pairs}


async def runs(
    sessions: async_sessionmaker[AsyncSession], source_id: str = SOURCE
) -> list[HarvestRun]:
    async with sessions() as session:
        return list(
            await session.scalars(
                sa.select(HarvestRun)
                .where(col(HarvestRun.source_id) == source_id)
                .order_by(col(HarvestRun.id))
            )
        )


def ids(packages: list[dict[str, Any]]) -> set[str]:
    return {p["id"] for p in packages}
