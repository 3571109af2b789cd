"""Registration → preview → decision → first harvest → indicators, on a replayed CKAN portal
(real recorded packages, ``httpx.MockTransport``; never the internet)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.runs import run_harvest
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.registration_tables import Registration
from harvester.store.tables import AuditEvent, Dataset, Partner, Source
from tests.api import portal_replay
from tests.api.portal_replay import PORTAL, CkanPortal, auth, make_app, registration

app_and_client = portal_replay.app_and_client
client = portal_replay.client
portal = portal_replay.portal
tokens = portal_replay.tokens


async def _register(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/sources", json=registration(**changes))
    assert response.status_code == 201, response.text
    return response.json()


async def test_registration_previews_and_creates_a_pending_source(
    client, portal: CkanPortal, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = await _register(client)
    assert body["state"] == "pending"
    source = body["source"]
    assert (source["id"], source["status"], source["platform"]) == (
        "ville-de-saint-jerome",
        "pending",
        "ckan",
    )
    assert "contact_email" not in source
    preview = body["preview"]
    assert preview["platform"] == "ckan"
    assert preview["portal_title"] == "Portail de test"
    assert preview["dataset_count"] == 5
    assert preview["sampled"] == 5 and preview["failed_records"] == 0
    assert len(preview["sample_titles"]) == 5
    assert preview["quality"]["checked"] == 5
    assert "Found a ckan portal (Portail de test) with 5 dataset(s)." in preview["summary"]
    assert body["message"].startswith(preview["summary"])
    assert body["key"].startswith("reg_")
    # first page only, asked for at most 20 records
    searches = [r for r in portal.requests if r.url.path.endswith("package_search")]
    assert [r.url.params.get("rows") for r in searches if r.url.params.get("rows") != "0"] == ["20"]
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Dataset)) == 0
        row = await session.get(Registration, source["id"])
        assert row is not None and row.key_hash != body["key"]
        assert row.contact_email == "donnees@saint-jerome.example"
        # no partner is created before approval
        assert await session.scalar(sa.select(sa.func.count()).select_from(Partner)) == 0


async def test_the_registrant_follows_the_registration_with_its_key(client) -> None:
    body = await _register(client)
    status = await client.get(body["status_url"])
    assert status.status_code == 200, status.text
    assert status.json()["state"] == "pending"
    assert status.json()["preview"]["platform"] == "ckan"
    for key in ("", "reg_wrong"):
        refused = await client.get(f"/api/v1/sources/{body['source']['id']}/registration?key={key}")
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


async def test_full_path_to_the_indicators(
    app_and_client: tuple[FastAPI, httpx.AsyncClient],
    portal: CkanPortal,
    tokens: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, client = app_and_client
    body = await _register(client)
    source_id = body["source"]["id"]
    operator = auth(tokens["operator"])

    pending = await client.get("/api/v1/sources/pending", headers=operator)
    assert pending.status_code == 200
    [waiting] = [p for p in pending.json() if p["source"]["id"] == source_id]
    assert waiting["registration"]["preview"]["sampled"] == 5
    assert waiting["contact_email"] == "donnees@saint-jerome.example"
    public = await client.get("/api/v1/sources")
    assert source_id not in {s["id"] for s in public.json()}

    approved = await client.post(
        f"/api/v1/sources/{source_id}/approve", json={"schedule": "6h"}, headers=operator
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["schedule"] == "6h"
    assert approved.json()["partner"] == "ville-de-saint-jerome"
    status = await client.get(body["status_url"])
    assert status.json()["state"] == "approved"

    async with sessions() as session:
        partner = await session.get(Partner, "ville-de-saint-jerome")
        assert partner is not None and partner.kind == "municipality"
        assert partner.joined_at is not None
        joined = partner.joined_at
        events = (await session.scalars(sa.select(AuditEvent))).all()
        assert [(e.action, e.target_id) for e in events] == [("source.approve", source_id)]
        assert events[0].actor.endswith(":operator")

    async with portal.client() as http:
        run = await run_harvest(sessions, source_id, http)
    assert run.status == "succeeded", run.message
    assert run.added == 5

    figures = await client.get(
        "/api/v1/partnership", params={"baseline": "2000-01-01", "as_of": str(joined)}
    )
    assert figures.status_code == 200, figures.text
    data = figures.json()
    municipality = next(k for k in data["partners"] if k["kind"] == "municipality")
    assert municipality["additional"] == 1 and municipality["publishing"] == 1
    counted = {row["key"]: row["count"] for row in data["new_datasets"]["by_partner"]}
    async with sessions() as session:
        published = (await session.scalars(sa.select(col(DatasetQuality.published)))).all()
    assert counted == {"ville-de-saint-jerome": sum(1 for d in published if d <= joined)}
    listing = await client.get(data["new_datasets"]["datasets"])
    assert listing.json()["total"] == data["new_datasets"]["count"]
    listed = await client.get("/api/v1/sources")
    assert source_id in {s["id"] for s in listed.json()}


async def test_rejection_reason_is_shown_to_the_registrant(
    client, tokens: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = await _register(client)
    source_id = body["source"]["id"]
    missing = await client.post(
        f"/api/v1/sources/{source_id}/reject", json={}, headers=auth(tokens["operator"])
    )
    assert missing.status_code in (400, 422)
    assert "reason" in missing.json()["detail"]
    rejected = await client.post(
        f"/api/v1/sources/{source_id}/reject",
        json={"reason": "Ce portail n'est pas un portail de données ouvertes."},
        headers=auth(tokens["operator"]),
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    seen = (await client.get(body["status_url"])).json()
    assert seen["state"] == "rejected"
    assert seen["reason"] == "Ce portail n'est pas un portail de données ouvertes."
    again = await client.post(
        f"/api/v1/sources/{source_id}/approve", headers=auth(tokens["operator"])
    )
    assert again.status_code == 200  # an operator may change their mind
    twice = await client.post(
        f"/api/v1/sources/{source_id}/reject",
        json={"reason": "x"},
        headers=auth(tokens["operator"]),
    )
    assert twice.status_code == 409
    async with sessions() as session:
        actions = (
            await session.scalars(sa.select(col(AuditEvent.action)).order_by(col(AuditEvent.id)))
        ).all()
    assert actions == ["source.reject", "source.approve"]


async def test_changes_requested_then_resubmitted(client, tokens: dict[str, str]) -> None:
    body = await _register(client)
    source_id = body["source"]["id"]
    asked = await client.post(
        f"/api/v1/sources/{source_id}/request-changes",
        json={"changes": "Donnez l'adresse de votre organisation sur le portail."},
        headers=auth(tokens["operator"]),
    )
    assert asked.status_code == 200 and asked.json()["status"] == "pending"
    seen = (await client.get(body["status_url"])).json()
    assert seen["state"] == "changes_requested"
    assert seen["requested_changes"].startswith("Donnez")
    fixed = registration(options={"organization": "ville-de-saint-jerome"})
    fixed["contact_email"] = "opendata@saint-jerome.example"
    refused = await client.put(f"/api/v1/sources/{source_id}/registration", json=fixed)
    assert refused.status_code == 403
    resubmitted = await client.put(
        f"/api/v1/sources/{source_id}/registration", params={"key": body["key"]}, json=fixed
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["state"] == "pending"
    assert resubmitted.json()["contact_email"] == "opendata@saint-jerome.example"
    audit = await client.get(
        "/api/v1/audit", params={"target": source_id}, headers=auth(tokens["operator"])
    )
    assert [e["action"] for e in audit.json()] == [
        "registration.resubmit",
        "source.request_changes",
    ]


@pytest.mark.parametrize(
    "spelling",
    [
        PORTAL,
        PORTAL + "/",
        "http://PORTAL.example.org",
        "https://www.portal.example.org/api/3/action",
    ],
)
async def test_duplicate_portal_is_refused_with_a_pointer(client, spelling: str) -> None:
    first = await _register(client)
    again = await client.post(
        "/api/v1/sources", json=registration(url=spelling, name="Autre organisation")
    )
    assert again.status_code == 409, again.text
    problem = again.json()
    assert problem["existing_source"] == first["source"]["id"]
    assert problem["existing"] == f"/api/v1/sources/{first['source']['id']}"
    assert problem["errors"][0]["location"] == "body.url"
    pointed = await client.get(problem["existing"])
    assert pointed.status_code == 200 and pointed.json()["id"] == first["source"]["id"]


async def test_same_portal_with_a_distinct_organization_is_not_a_duplicate(client) -> None:
    await _register(client, options={"organization": "ville-a"})
    second = await client.post(
        "/api/v1/sources",
        json=registration(name="Ville B", options={"organization": "ville-b"}),
    )
    assert second.status_code == 201, second.text


async def test_existing_partner_is_matched_not_duplicated(
    client, tokens: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = await _register(client, name="City of Laval", url="https://autre.laval.example")
    assert body["source"]["partner"] == "laval"
    approved = await client.post(
        f"/api/v1/sources/{body['source']['id']}/approve", headers=auth(tokens["operator"])
    )
    assert approved.json()["partner"] == "laval"
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Partner)) == 2
        laval = await session.get(Partner, "laval")
        assert laval is not None and laval.joined_at == date.today()


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"kind": "city"}, "body.kind"),
        ({"contact_email": "pas une adresse"}, "body.contact_email"),
        ({"url": "ftp://portal.example.org"}, "body.url"),
        ({"platform": "kcan"}, "body.platform"),
        ({"options": {"organisation": "x"}}, "body.options"),
        ({"name": "   "}, "body.name"),
    ],
)
async def test_bad_input_names_the_field(client, changes: dict[str, Any], location: str) -> None:
    response = await client.post("/api/v1/sources", json=registration(**changes))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert location in {e["location"] for e in response.json()["errors"]}


async def test_unrecognized_portal_is_refused(
    client, portal: CkanPortal, sessions: async_sessionmaker[AsyncSession]
) -> None:
    portal.ckan = False
    response = await client.post("/api/v1/sources", json=registration())
    assert response.status_code == 422, response.text
    assert "could not recognize" in response.json()["detail"]
    assert response.json()["errors"][0]["location"] == "body.url"
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Source)) == 0


async def test_a_named_platform_that_does_not_answer_is_kept_with_its_problems(
    client, portal: CkanPortal
) -> None:
    portal.ckan = False
    response = await client.post("/api/v1/sources", json=registration(platform="ckan"))
    assert response.status_code == 201, response.text
    preview = response.json()["preview"]
    assert preview["sampled"] == 0
    assert preview["problems"][0] == "the address does not answer like a ckan portal"
    assert any(p.startswith("reading the catalogue failed") for p in preview["problems"])
    assert "Problems:" in preview["summary"]


async def test_registration_is_rate_limited_per_address(database_url: str, portal) -> None:
    app = make_app(database_url, registration_limit=2, config="/nonexistent/sources.toml")
    app.state.preview_client_factory = portal.client
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        codes = []
        for number in range(3):
            response = await client.post(
                "/api/v1/sources",
                json=registration(url=f"https://p{number}.example.org", name=f"Org {number}"),
            )
            codes.append(response.status_code)
        assert codes == [201, 201, 429]
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["content-type"] == "application/problem+json"


async def test_partner_edits_schedule_and_contact(
    client, tokens: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.patch(
        "/api/v1/sources/laval",
        json={"schedule": "0 2 * * *", "contact_email": "nouveau@laval.example"},
        headers=auth(tokens["laval"]),
    )
    assert response.status_code == 200, response.text
    assert response.json()["schedule"] == "0 2 * * *"
    bad = await client.patch(
        "/api/v1/sources/laval", json={"schedule": "every day"}, headers=auth(tokens["laval"])
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == "body.schedule"
    async with sessions() as session:
        source = await session.get(Source, "laval")
        assert source is not None and source.contact_email == "nouveau@laval.example"
        [event] = (await session.scalars(sa.select(AuditEvent))).all()
    assert event.action == "source.edit" and "(laval)" in event.actor
    assert event.detail["schedule"] == {"from": None, "to": "0 2 * * *"}


async def test_public_listing_hides_contacts_and_pending_sources(
    client, tokens: dict[str, str]
) -> None:
    body = await _register(client)
    public = (await client.get("/api/v1/sources")).json()
    assert [s["id"] for s in public] == ["laval"]
    assert all("contact" not in key for s in public for key in s)
    asked = await client.get("/api/v1/sources", params={"status": "pending"})
    assert [s["id"] for s in asked.json()] == ["laval"]  # anonymous: the filter is ignored
    operator = await client.get(
        "/api/v1/sources", params={"status": "pending"}, headers=auth(tokens["operator"])
    )
    assert [s["id"] for s in operator.json()] == [body["source"]["id"]]
    pending = await client.get("/api/v1/sources/pending", headers=auth(tokens["laval"]))
    assert pending.status_code == 403
