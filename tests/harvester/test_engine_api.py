"""The harvest engine's HTTP API: run reports with grouped errors, "harvest now" with the
access rule (operator or owning partner), held withdrawals, schedule/pause, /metrics."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from harvester.search import facet_totals
from harvester.search.version import catalog_version
from harvester.store.datasets import dataset_id
from harvester.store.tables import Source
from harvester.tokens import create_token
from tests.harvester.engine_support import SOURCE, add_source, datasets, engine_settings, ids
from tests.harvester.fault_server import Portal, recorded_packages, serve

Sessions = async_sessionmaker[AsyncSession]
ALL = recorded_packages()


@pytest.fixture
def portal() -> Portal:
    return Portal(packages=list(ALL))


@pytest.fixture
async def api(
    sessions: Sessions, database_url: str, portal: Portal
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI, dict[str, str]]]:
    with serve(portal) as url:
        await add_source(sessions, url)
        await add_source(sessions, url, "autre", partner="autre")
        async with sessions() as session, session.begin():
            _, operator = await create_token(session, role="operator")
            _, owner = await create_token(session, role="partner", partner_id="portail")
            _, stranger = await create_token(session, role="partner", partner_id="autre")
        app = create_app(engine_settings(database_url))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            yield c, app, {"operator": operator, "owner": owner, "stranger": stranger}


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def _harvest(client: httpx.AsyncClient, app: FastAPI, secret: str, **params: Any) -> int:
    response = await client.post(
        f"/api/v1/sources/{SOURCE}/harvest", headers=_auth(secret), params=params
    )
    assert response.status_code == 202, response.text
    await app.state.harvests.wait()
    runs = (await client.get(f"/api/v1/sources/{SOURCE}/runs")).json()
    return int(runs[0]["id"])


async def test_harvest_now_follows_the_access_rule(api, sessions: Sessions) -> None:
    client, app, tokens = api
    url = f"/api/v1/sources/{SOURCE}/harvest"
    assert (await client.post(url)).status_code == 401
    assert (await client.post(url, headers=_auth(tokens["stranger"]))).status_code == 403
    assert (
        await client.post("/api/v1/sources/nope/harvest", headers=_auth(tokens["operator"]))
    ).status_code == 404
    response = await client.post(url, headers=_auth(tokens["owner"]))
    assert response.json() == {"source_id": SOURCE, "status": "started", "full": False}
    await app.state.harvests.wait()
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)
    runs = (await client.get(f"/api/v1/sources/{SOURCE}/runs")).json()
    assert [(r["status"], r["trigger"], r["added"], r["seen"]) for r in runs] == [
        ("succeeded", "api", 18, 18)
    ]
    assert (await client.get("/api/v1/sources/nope/runs")).status_code == 404


async def test_a_running_source_answers_409(api, sessions: Sessions) -> None:
    from harvester.store.tables import HarvestRun

    client, _, tokens = api
    async with sessions() as session, session.begin():
        session.add(HarvestRun(source_id=SOURCE))
    response = await client.post(
        f"/api/v1/sources/{SOURCE}/harvest", headers=_auth(tokens["operator"])
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "still running" in response.json()["detail"]


async def test_run_detail_groups_errors_by_cause(api, portal: Portal) -> None:
    client, app, tokens = api
    broken = copy.deepcopy(ALL)
    for package in broken[:3]:
        for key in ("title", "title_translated", "name"):
            package.pop(key, None)
    portal.packages = broken
    run_id = await _harvest(client, app, tokens["operator"])
    detail = (await client.get(f"/api/v1/runs/{run_id}")).json()
    assert (detail["status"], detail["failed"], detail["added"]) == ("partial", 3, 15)
    [group] = detail["errors"]
    assert group["kind"] == "RecordInvalid" and group["count"] == 3
    assert "{id}" in group["message"] or group["message"]
    assert set(group["remote_ids"]) == ids(broken[:3])
    assert detail["duration_seconds"] is not None and detail["cursor"]["start"] == 18
    assert (await client.get("/api/v1/runs/999999")).status_code == 404


async def test_held_withdrawals_are_confirmed_by_an_operator(
    api, portal: Portal, sessions: Sessions
) -> None:
    client, app, tokens = api
    await _harvest(client, app, tokens["operator"], full=True)
    portal.packages = ALL[:9]
    run_id = await _harvest(client, app, tokens["operator"], full=True)
    run = (await client.get(f"/api/v1/runs/{run_id}")).json()
    assert (run["held"], run["withdrawn"]) == (9, 0)
    confirm = f"/api/v1/runs/{run_id}/withdrawals/confirm"
    assert (await client.post(confirm, headers=_auth(tokens["owner"]))).status_code == 403
    async with sessions() as session:
        assert await facet_totals.current(session), "the run's close stored the totals"
    response = await client.post(confirm, headers=_auth(tokens["operator"]))
    assert response.json() == {"run_id": run_id, "decision": "confirmed", "count": 9}
    async with sessions() as session:  # recounted after the withdrawals, not left stale
        assert await facet_totals.current(session)
        source_counts = await facet_totals.stored_counts(
            session, ["source"], facet_totals.version_key(await catalog_version(session)), limit=5
        )
    assert source_counts == {"source": [(SOURCE, 9)]}
    assert (await client.post(confirm, headers=_auth(tokens["operator"]))).status_code == 409
    gone = ALL[9]["id"]
    shown = (await client.get(f"/api/v1/datasets/{dataset_id(SOURCE, gone)}")).json()
    provenance = shown["provenance"]
    assert provenance["status"] == "withdrawn" and provenance["withdrawn_at"]
    search = (await client.get("/api/v1/datasets", params={"limit": 50})).json()
    assert search["total"] == 9
    assert await datasets(sessions) == {
        **dict.fromkeys(ids(ALL[:9]), True),
        **dict.fromkeys(ids(ALL[9:]), False),
    }


async def test_schedule_pause_and_resume(api, sessions: Sessions) -> None:
    client, _, tokens = api
    url = f"/api/v1/sources/{SOURCE}"
    shown = (await client.get(f"{url}/schedule")).json()
    assert (shown["paused"], shown["consecutive_failures"]) == (False, 0)
    bad = await client.put(
        f"{url}/schedule", json={"schedule": "every day"}, headers=_auth(tokens["owner"])
    )
    assert bad.status_code == 422 and "bad schedule" in bad.json()["detail"]
    assert (
        await client.put(
            f"{url}/schedule", json={"schedule": "6h"}, headers=_auth(tokens["stranger"])
        )
    ).status_code == 403
    ok = (
        await client.put(
            f"{url}/schedule", json={"schedule": "0 3 * * 1"}, headers=_auth(tokens["owner"])
        )
    ).json()
    assert ok["schedule"] == "0 3 * * 1" and ok["next_harvest_at"]
    assert (await client.post(f"{url}/pause", headers=_auth(tokens["owner"]))).json()["paused"]
    async with sessions() as session:
        source = await session.get(Source, SOURCE)
        assert source is not None and source.paused and source.schedule == "0 3 * * 1"
    resumed = await client.post(f"{url}/resume", headers=_auth(tokens["operator"]))
    assert resumed.json()["paused"] is False


async def test_metrics_count_runs_per_source_and_platform(api) -> None:
    client, app, tokens = api
    await _harvest(client, app, tokens["operator"])
    text = (await client.get("/metrics")).text
    assert 'moisson_harvest_runs_total{platform="ckan",source="portail",status="succeeded"}' in text
    assert 'moisson_harvest_records_total{outcome="added",platform="ckan",source="portail"}' in text
    assert 'moisson_harvest_duration_seconds_count{platform="ckan",source="portail"}' in text
    assert 'moisson_source_datasets{source="portail"} 18.0' in text
    assert 'moisson_source_consecutive_failures{source="portail"} 0.0' in text
