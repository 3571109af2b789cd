"""Partner and source registration checks, and the sources.toml → database sync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.config import MoissonConfig
from harvester.decisions import approve
from harvester.schedules import next_fire
from harvester.sources import (
    SourceRejected,
    add_source,
    find_or_create_partner,
    normalize_url,
    slugify,
    sync_config,
)
from harvester.store.tables import Dataset, Partner, Source
from harvester.store.types import utcnow

Sessions = async_sessionmaker[AsyncSession]


def test_slugify_folds_accents_and_punctuation() -> None:
    assert slugify("Ville de Québec") == "ville-de-quebec"
    assert slugify("  Œuvres & Co. — Saint-Jérôme ") == "oeuvres-co-saint-jerome"
    assert slugify("MRC d’Abitibi") == "mrc-d-abitibi"
    assert slugify("!!!") == ""


def test_normalize_url_ignores_case_of_host_and_trailing_slash() -> None:
    assert normalize_url("HTTPS://Data.Example.ORG/Portal/") == "https://data.example.org/Portal"
    assert normalize_url("https://data.example.org") == normalize_url("https://data.example.org/")


async def test_partner_matched_by_id_name_and_city_prefix(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        created = await find_or_create_partner(session, "Ville de Laval", "municipality")
        assert created.id == "ville-de-laval"
        for typed in (
            "ville de laval",
            "VILLE DE LAVÁL",
            "ville-de-laval",
            "Laval",
            "City of Laval",
        ):
            assert (await find_or_create_partner(session, typed, "municipality")).id == created.id
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Partner)) == 1


async def test_new_partner_gets_a_free_id(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        session.add(Partner(id="ville-de-laval", name="Laval City Hall", kind="other"))
        await session.flush()
        partner = await find_or_create_partner(session, "Ville de Laval", "municipality")
    assert partner.id == "ville-de-laval-2"
    assert partner.kind == "municipality"


async def test_unknown_partner_kind_is_refused(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(SourceRejected, match=r"unknown partner kind 'city'.*municipality"):
            await find_or_create_partner(session, "Ville de Laval", "city")


async def _add(session: AsyncSession, url: str, **kwargs: Any) -> Source:
    kwargs.setdefault("partner_name", "Ville de Laval")
    kwargs.setdefault("kind", "municipality")
    kwargs.setdefault("platform", "ckan")
    return await add_source(session, url, **kwargs)


async def test_add_source_defaults_and_id_suffix(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        first = await _add(session, "https://data.laval.example", schedule="6h")
        second = await _add(session, "https://geo.laval.example")
    assert (first.id, first.partner_id, first.platform) == (
        "ville-de-laval",
        "ville-de-laval",
        "ckan",
    )
    assert (first.status, first.origin, first.schedule) == ("approved", "cli", "6h")
    assert second.id == "ville-de-laval-2"
    async with sessions() as session:
        stored = await session.get(Source, "ville-de-laval")
        assert stored is not None and stored.url == "https://data.laval.example"


async def test_duplicate_url_refused_with_existing_id(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        await _add(session, "https://data.laval.example/portal", source_id="laval")
    async with sessions() as session:
        with pytest.raises(SourceRejected, match="already registered as source 'laval'"):
            await _add(session, "HTTPS://DATA.Laval.example/portal/", partner_name="Autre")


async def test_same_portal_needs_distinct_options(sessions: Sessions) -> None:
    url = "https://portal.example.org/recherche"
    async with sessions() as session, session.begin():
        await _add(session, url, source_id="a", options={"organization": "org-a"})
        b = await _add(session, url, source_id="b", options={"organization": "org-b"})
        assert b.options == {"organization": "org-b"}
        with pytest.raises(SourceRejected, match="source 'a'"):
            await _add(session, url, options={"organization": "org-a"})
        with pytest.raises(SourceRejected, match="already registered"):
            await _add(session, url)


async def test_duplicate_or_bad_id_refused(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        await _add(session, "https://one.example.org", source_id="laval")
        with pytest.raises(SourceRejected, match="'laval' already exists"):
            await _add(session, "https://two.example.org", source_id="laval")
        with pytest.raises(SourceRejected, match="must be a slug"):
            await _add(session, "https://two.example.org", source_id="Not A Slug")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/", "private or reserved"),
        ("http://127.0.0.1/", "private or reserved"),
        ("http://[::1]:8080/", "private or reserved"),
        ("http://169.254.169.254/latest", "private or reserved"),
        ("http://localhost/", "local host name"),
        ("ftp://data.example.org/", "not an http"),
        ("file:///etc/passwd", "not an http"),
        ("https:///nohost", "no host"),
        ("data.example.org", "not an http"),
    ],
)
async def test_bad_or_private_urls_refused(sessions: Sessions, url: str, message: str) -> None:
    async with sessions() as session:
        with pytest.raises(SourceRejected, match=message):
            await _add(session, url)
        assert await session.scalar(sa.select(sa.func.count()).select_from(Source)) == 0


async def test_allow_list_admits_loopback(sessions: Sessions) -> None:
    async with sessions() as session:
        source = await _add(session, "http://127.0.0.1:8123/", allow=["127.0.0.1"])
        assert source.url == "http://127.0.0.1:8123/"


async def test_unknown_platform_lists_valid_ones(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(
            SourceRejected, match=r"unknown platform 'kcan'.*valid platforms: .*ckan"
        ):
            await _add(session, "https://data.example.org", platform="kcan")


async def test_bad_options_and_schedule_refused(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(SourceRejected, match="bad ckan options: rows"):
            await _add(session, "https://data.example.org", options={"rows": 0})
        with pytest.raises(SourceRejected, match="bad ckan options: colour"):
            await _add(session, "https://data.example.org", options={"colour": "red"})
        with pytest.raises(SourceRejected, match="bad schedule"):
            await _add(session, "https://data.example.org", schedule="every day")


async def test_auto_needs_a_client(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(SourceRejected, match=r"'auto' needs to contact the URL.*ckan"):
            await _add(session, "https://data.example.org", platform="auto")


def _ckan_site(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/api/3/action/status_show":
        body = {"success": True, "result": {"ckan_version": "2.10.4", "site_title": "Données"}}
        return httpx.Response(200, json=body)
    if path == "/api/3/action/package_search":
        return httpx.Response(200, json={"success": True, "result": {"count": 3, "results": []}})
    return httpx.Response(404, text="not found")


async def test_auto_recognizes_ckan(sessions: Sessions) -> None:
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(_ckan_site)) as client,
        sessions() as session,
    ):
        source = await _add(session, "https://data.example.org", platform="auto", client=client)
    assert source.platform == "ckan"


async def test_auto_refuses_what_it_cannot_recognize(sessions: Sessions) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(404, text="<html>nope</html>"))
    async with httpx.AsyncClient(transport=transport) as client, sessions() as session:
        with pytest.raises(SourceRejected, match="no platform recognised") as refused:
            await _add(session, "https://data.example.org", platform="auto", client=client)
    assert "ckan: not recognised" in str(refused.value) and "name the platform" in str(
        refused.value
    )


# --- sync_config ---------------------------------------------------------------------------


def _config(*sources: dict[str, Any], partner_name: str = "Ville de Laval") -> MoissonConfig:
    return MoissonConfig.model_validate(
        {
            "partners": [
                {
                    "id": "laval",
                    "name": partner_name,
                    "kind": "municipality",
                    "region": "Laval (13)",
                    "joined_at": "2016-04-05",
                },
                {
                    "id": "gouv",
                    "name": "Gouvernement",
                    "kind": "ministry",
                    "region": "Québec",
                    "joined_at": "2016-04-05",
                },
            ],
            "sources": list(sources),
        }
    )


LAVAL = {"id": "laval", "partner": "laval", "platform": "ckan", "url": "https://laval.example"}
GOUV = {"id": "gouv", "partner": "gouv", "platform": "ckan", "url": "https://gouv.example"}


async def _sync(sessions: Sessions, config: MoissonConfig) -> Any:
    async with sessions() as session, session.begin():
        return await sync_config(session, config)


async def test_sync_adds_then_is_idempotent(sessions: Sessions) -> None:
    first = await _sync(sessions, _config(LAVAL, GOUV))
    assert (first.partners_added, first.sources_added, first.orphaned) == (2, 2, [])
    second = await _sync(sessions, _config(LAVAL, GOUV))
    assert (second.partners_added, second.partners_updated, second.partners_unchanged) == (0, 0, 2)
    assert (second.sources_added, second.sources_updated, second.sources_unchanged) == (0, 0, 2)
    async with sessions() as session:
        source = await session.get(Source, "laval")
        assert source is not None
        assert (source.origin, source.status, source.schedule) == ("config", "approved", "1d")


async def test_sync_updates_changed_fields(sessions: Sessions) -> None:
    await _sync(sessions, _config(LAVAL, GOUV))
    changed = {**LAVAL, "url": "https://new.laval.example", "options": {"organization": "x"}}
    report = await _sync(sessions, _config(changed, GOUV, partner_name="Ville de Laval (QC)"))
    assert (report.partners_updated, report.sources_updated, report.sources_unchanged) == (1, 1, 1)
    async with sessions() as session:
        source = await session.get(Source, "laval")
        partner = await session.get(Partner, "laval")
    assert source is not None and partner is not None
    assert (source.url, source.options) == ("https://new.laval.example", {"organization": "x"})
    assert partner.name == "Ville de Laval (QC)"


async def test_sync_never_deletes_and_reports_orphans(sessions: Sessions) -> None:
    await _sync(sessions, _config(LAVAL, GOUV))
    async with sessions() as session, session.begin():
        session.add(
            Dataset(
                id="d1", source_id="gouv", remote_id="r1", content_hash="h", record={}, title="T"
            )
        )
        await _add(session, "https://cli.example.org", source_id="from-cli")
    report = await _sync(sessions, _config(LAVAL))
    assert report.orphaned == ["gouv"]
    assert "gouv" in report.summary()
    async with sessions() as session:
        assert await session.get(Source, "gouv") is not None
        assert await session.get(Source, "from-cli") is not None
        assert await session.scalar(sa.select(sa.func.count()).select_from(Dataset)) == 1


async def test_sync_keeps_operator_statuses(sessions: Sessions) -> None:
    await _sync(sessions, _config(LAVAL, GOUV))
    async with sessions() as session, session.begin():
        gouv = await session.get(Source, "gouv")
        assert gouv is not None
        gouv.status = "rejected"
    report = await _sync(sessions, _config({**LAVAL, "enabled": False}, GOUV))
    assert report.sources_updated == 1
    async with sessions() as session:
        statuses = dict(
            (await session.execute(sa.select(col(Source.id), col(Source.status)))).all()
        )
    assert statuses == {"laval": "paused", "gouv": "rejected"}
    await _sync(sessions, _config(LAVAL, GOUV))
    async with sessions() as session:
        laval = await session.get(Source, "laval")
    assert laval is not None and laval.status == "approved"


# --- schedules follow a changed schedule ---------------------------------------------------


async def _set_due(sessions: Sessions, source_id: str, due: datetime | None) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            sa.update(Source).where(col(Source.id) == source_id).values(next_harvest_at=due)
        )


async def _due(sessions: Sessions, source_id: str) -> datetime | None:
    async with sessions() as session:
        source = await session.get(Source, source_id)
    assert source is not None
    return source.next_harvest_at


async def _sync_between(sessions: Sessions, config: MoissonConfig) -> tuple[datetime, datetime]:
    """Sync ``config``; the times just before and just after."""
    before = utcnow()
    await _sync(sessions, config)
    return before, utcnow()


def _next_fires(schedule: str, source_id: str, span: tuple[datetime, datetime]) -> set[datetime]:
    return {next_fire(schedule, source_id, moment) for moment in span}


async def test_sync_moves_the_due_time_of_a_changed_schedule(sessions: Sessions) -> None:
    await _sync(sessions, _config(LAVAL, GOUV))
    daily = {s: next_fire("1d", s, utcnow()) for s in ("laval", "gouv")}
    for source_id, due in daily.items():
        await _set_due(sessions, source_id, due)
    span = await _sync_between(sessions, _config({**LAVAL, "schedule": "1h"}, GOUV))
    assert await _due(sessions, "laval") in _next_fires("1h", "laval", span)
    assert await _due(sessions, "gouv") == daily["gouv"], "an unchanged schedule keeps its time"
    monthly = {**LAVAL, "schedule": "0 0 1 * *"}
    span = await _sync_between(sessions, _config(monthly, GOUV))
    assert await _due(sessions, "laval") in _next_fires("0 0 1 * *", "laval", span)
    hourly = await _due(sessions, "gouv")
    await _sync(sessions, _config(monthly, {**GOUV, "url": "https://new.gouv.example"}))
    assert await _due(sessions, "gouv") == hourly, "other changes keep the due time"


async def test_sync_leaves_a_source_without_due_time_to_the_scheduler(
    sessions: Sessions,
) -> None:
    await _sync(sessions, _config(LAVAL))
    await _sync(sessions, _config({**LAVAL, "schedule": "6h"}))
    assert await _due(sessions, "laval") is None, "still due now once the scheduler sees it"


async def test_approve_with_a_new_schedule_moves_a_stale_due_time(sessions: Sessions) -> None:
    stale = datetime(2030, 1, 1, tzinfo=UTC)
    async with sessions() as session, session.begin():
        session.add(Partner(id="laval", name="Ville de Laval", kind="municipality"))
        for source_id, due in (("kept", stale), ("moved", stale), ("new", None)):
            session.add(
                Source(
                    id=source_id,
                    partner_id="laval",
                    url=f"https://{source_id}.example",
                    platform="ckan",
                    schedule="1d",
                    status="pending",
                    next_harvest_at=due,
                )
            )
    async with sessions() as session, session.begin():
        await approve(session, "kept", actor="op", schedule="1d")
        moved = await approve(session, "moved", actor="op", schedule="1h")
        new = await approve(session, "new", actor="op", schedule="1h")
    assert await _due(sessions, "kept") == stale, "the same schedule keeps its due time"
    assert await _due(sessions, "moved") == next_fire("1h", "moved", moved.updated_at)
    assert await _due(sessions, "new") == new.updated_at, "never scheduled: due now"
