"""``moisson sources pending | approve | reject | request-changes`` and ``moisson stats``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from typer.testing import CliRunner, Result

from harvester import registration
from harvester.cli import app
from harvester.settings import get_settings
from harvester.store.db import create_engine, session_factory
from harvester.store.partnership_tables import PartnershipSnapshot
from harvester.store.tables import AuditEvent, Partner, Source
from tests.api.portal_replay import CkanPortal
from tests.api.test_partnership_api import CONFIG
from tests.harvester.partnership_data import seed


def _db(url: str, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        engine = create_engine(url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    config = tmp_path / "sources.toml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("MOISSON_DATABASE_URL", database_url)
    monkeypatch.setenv("MOISSON_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args))


def _register(url: str, name: str, portal: str) -> str:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> str:
        async with CkanPortal().client() as client, sessions() as session, session.begin():
            request = registration.RegistrationRequest(
                url=portal, name=name, kind="municipality", contact_email="d@v.example"
            )
            done = await registration.register(session, request, client=client)
            return done.source.id

    return _db(url, work)


def test_pending_approve_reject(env: str) -> None:
    first = _register(env, "Ville de Rimouski", "https://rimouski.example.org")
    second = _register(env, "Ville de Matane", "https://matane.example.org")
    pending = invoke("sources", "pending")
    assert pending.exit_code == 0, pending.output
    for text in (first, second, "Ville de Rimouski", "d@v.example", "Found a ckan portal"):
        assert text in pending.stdout

    approved = invoke("sources", "approve", first, "--schedule", "0 5 * * *")
    assert approved.exit_code == 0, approved.output
    assert f"Approved source {first} (partner ville-de-rimouski, schedule 0 5 * * *)" in (
        approved.stdout
    )
    rejected = invoke("sources", "reject", second, "--reason", "Portail de test.")
    assert rejected.exit_code == 0 and f"Rejected source {second}." in rejected.stdout
    assert "No source is waiting" in invoke("sources", "pending").stdout

    again = invoke("sources", "approve", first)
    assert again.exit_code == 1 and "is approved, not pending" in again.stderr
    missing = invoke("sources", "reject", "nope", "--reason", "x")
    assert missing.exit_code == 2 and "no source with id 'nope'" in missing.stderr

    async def check(sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            source = await session.get(Source, first)
            assert source is not None and source.status == "approved"
            partner = await session.get(Partner, "ville-de-rimouski")
            assert partner is not None and partner.joined_at is not None
            events = (
                await session.scalars(sa.select(AuditEvent).order_by(col(AuditEvent.id)))
            ).all()
            assert [(e.action, e.target_id) for e in events] == [
                ("source.approve", first),
                ("source.reject", second),
            ]
            assert all(e.actor.startswith("cli") for e in events)

    _db(env, check)


def test_request_changes(env: str) -> None:
    source = _register(env, "Ville de Gaspé", "https://gaspe.example.org")
    asked = invoke("sources", "request-changes", source, "--changes", "Ajoutez un courriel.")
    assert asked.exit_code == 0, asked.output
    assert "changes_requested" in invoke("sources", "pending").stdout


def test_stats_prints_the_figures_and_keeps_a_snapshot(env: str) -> None:
    _db(env, seed)
    result = invoke("stats", "--as-of", "2019-06-30")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "baseline 2018-04-01" in out
    assert "not publishing yet: Transports" in out
    assert "off track (goal 150 by 2020-03-31)" in out
    assert "2/4 = 50%" in out and "1/2 = 50%" in out
    assert "/api/v1/partnership/datasets?published_after=2018-04-01" in out
    as_json = invoke("stats", "--as-of", "2019-06-30", "--json")
    figures = json.loads(as_json.stdout)
    assert figures["new_datasets"]["count"] == 4
    assert invoke("stats").exit_code == 0  # today: stored

    async def snapshots(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions() as session:
            return int(
                await session.scalar(sa.select(sa.func.count()).select_from(PartnershipSnapshot))
                or 0
            )

    assert _db(env, snapshots) == 1
    bad = invoke("stats", "--baseline", "hier")
    assert bad.exit_code == 2 and "not a date" in bad.output
