"""Every write endpoint of the app × every kind of caller → the expected status (DESIGN §6).

Callers: anonymous, a partner token of another partner ("wrong"), a token of the partner
owning the source ("right"), an operator. The route list is read from the app itself, so
a new write route without an entry in :data:`MATRIX` fails
:func:`test_every_write_route_is_in_the_matrix` (and a stale entry fails it too).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.store.tables import HarvestRun
from tests.api import portal_replay
from tests.api.portal_replay import CkanPortal, auth, make_app, registration

portal = portal_replay.portal
tokens = portal_replay.tokens

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CALLERS = ("anonymous", "wrong_partner", "right_partner", "operator")


@dataclass(frozen=True)
class Case:
    """How to call one route, and the status each caller gets."""

    path: str
    expect: tuple[int, int, int, int]
    """anonymous, wrong partner, right partner, operator."""
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)


# "laval" is an approved source owned by partner laval; "ville-de-laval" a pending registration by
# "Ville de Laval" (so laval is its right partner); run 1 is a finished run of "laval".
MATRIX: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/sources"): Case(
        "/api/v1/sources",
        (201, 201, 201, 201),
        body={},  # open registration (rate-limited)
    ),
    ("PUT", "/api/v1/sources/{source_id}/registration"): Case(
        "/api/v1/sources/ville-de-laval/registration",  # needs the registration key, not a token
        (403, 403, 403, 403),
        body=registration(url="https://pending.example.org", name="Ville de Laval"),
    ),
    ("POST", "/api/v1/sources/{source_id}/approve"): Case(
        "/api/v1/sources/ville-de-laval/approve", (401, 403, 403, 200)
    ),
    ("POST", "/api/v1/sources/{source_id}/reject"): Case(
        "/api/v1/sources/ville-de-laval/reject",
        (401, 403, 403, 200),
        body={"reason": "Pas un portail."},
    ),
    ("POST", "/api/v1/sources/{source_id}/request-changes"): Case(
        "/api/v1/sources/ville-de-laval/request-changes",
        (401, 403, 403, 200),
        body={"changes": "URL"},
    ),
    ("PATCH", "/api/v1/sources/{source_id}"): Case(
        "/api/v1/sources/laval", (401, 403, 200, 200), body={"schedule": "6h"}
    ),
    ("POST", "/api/v1/sources/{source_id}/harvest"): Case(
        "/api/v1/sources/laval/harvest", (401, 403, 202, 202)
    ),
    ("PUT", "/api/v1/sources/{source_id}/schedule"): Case(
        "/api/v1/sources/laval/schedule", (401, 403, 200, 200), body={"schedule": "6h"}
    ),
    ("POST", "/api/v1/sources/{source_id}/pause"): Case(
        "/api/v1/sources/laval/pause", (401, 403, 200, 200)
    ),
    ("POST", "/api/v1/sources/{source_id}/resume"): Case(
        "/api/v1/sources/laval/resume", (401, 403, 200, 200)
    ),
    ("POST", "/api/v1/runs/{run_id}/withdrawals/confirm"): Case(
        "/api/v1/runs/1/withdrawals/confirm",
        (401, 403, 403, 409),  # 409: nothing held
    ),
    ("POST", "/api/v1/runs/{run_id}/withdrawals/discard"): Case(
        "/api/v1/runs/1/withdrawals/discard", (401, 403, 403, 409)
    ),
    ("POST", "/api/3/action/{action}"): Case(
        "/api/3/action/status_show",
        (200, 200, 200, 200),
        body={},  # CKAN reads over POST
    ),
    ("POST", "/api/action/{action}"): Case(
        "/api/action/status_show", (200, 200, 200, 200), body={}
    ),
}


def write_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route accepting a write method, however it was included."""
    found: set[tuple[str, str]] = set()

    def visit(routes: list[Any]) -> None:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if contexts is not None:
                visit(list(contexts()))
            elif getattr(route, "path", None) is not None:
                for method in set(getattr(route, "methods", None) or ()) & WRITE_METHODS:
                    found.add((method, route.path))

    visit(list(app.routes))
    with warnings.catch_warnings():  # e.g. a GET+POST route's duplicate operation id
        warnings.simplefilter("ignore", UserWarning)
        schema = app.openapi()
    for path, operations in schema["paths"].items():
        found.update((m.upper(), path) for m in operations if m.upper() in WRITE_METHODS)
    return found


def test_every_write_route_is_in_the_matrix() -> None:
    routes = write_routes(make_app("sqlite+aiosqlite:///unused.db"))
    assert sorted(routes - set(MATRIX)) == [], "write routes without a matrix entry"
    assert sorted(set(MATRIX) - routes) == [], "matrix entries for routes that do not exist"


class FakeLauncher:
    """Stands in for the embedded scheduler: records "harvest now" requests, runs nothing."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    async def submit(self, source_id: str, *, full: bool = False, trigger: str = "api") -> str:
        self.submitted.append(source_id)
        return "queued"

    async def close(self) -> None:
        pass


@pytest.fixture
async def client(
    database_url: str,
    portal: CkanPortal,
    tokens: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(database_url, config="/nonexistent/sources.toml")
    app.state.preview_client_factory = portal.client
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        await app.state.harvests.close()
        app.state.harvests = FakeLauncher()
        pending = await http.post(
            "/api/v1/sources",
            json=registration(url="https://pending.example.org", name="Ville de Laval"),
        )
        assert pending.status_code == 201, pending.text
        assert pending.json()["source"]["id"] == "ville-de-laval"
        app.state.registration_limiter = None  # a fresh allowance for the call under test
        async with sessions() as session, session.begin():
            session.add(HarvestRun(source_id="laval", status="succeeded", complete=True))
        yield http


def _cases() -> Iterator[Any]:
    for (method, route), case in MATRIX.items():
        for caller, status in zip(CALLERS, case.expect, strict=True):
            yield pytest.param(method, case, caller, status, id=f"{method} {route} {caller}")


@pytest.mark.parametrize(("method", "case", "caller", "status"), list(_cases()))
async def test_write_matrix(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    method: str,
    case: Case,
    caller: str,
    status: int,
) -> None:
    secret = {"wrong_partner": tokens["gatineau"], "right_partner": tokens["laval"]}.get(
        caller, tokens["operator"] if caller == "operator" else None
    )
    path = case.path
    body = case.body
    if body == {} and path == "/api/v1/sources":
        body = registration(url=f"https://{caller.replace('_', '-')}.example.org", name=caller)
    response = await client.request(
        method, path, json=body, params=case.params, headers=auth(secret)
    )
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
