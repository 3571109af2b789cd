"""A CKAN portal replaying real recorded packages (../shared/fixtures/ckan), as an
``httpx.MockTransport`` handler, plus helpers shared by the registration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from harvester.settings import Settings
from harvester.store.tables import Partner, Source
from harvester.tokens import create_token
from tests.connectors.ckan_replay import result_of

RECORDED = "ridl-unhcr_package_search_start0_rows5.json"
PORTAL = "https://portal.example.org"


def recorded_packages() -> list[dict[str, Any]]:
    """The five real packages of the recorded RIDL ``package_search``."""
    return list(result_of(RECORDED)["results"])


@dataclass
class CkanPortal:
    """``status_show`` and a ``package_search`` paging over ``packages`` (by host)."""

    packages: list[dict[str, Any]] = field(default_factory=recorded_packages)
    requests: list[httpx.Request] = field(default_factory=list)
    ckan: bool = True
    """False: every path answers 404 (not a portal)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if not self.ckan:
            return httpx.Response(404, text="not found")
        if path.endswith("/api/3/action/status_show"):
            result = {"ckan_version": "2.9.5", "site_title": "Portail de test"}
            return httpx.Response(200, json={"success": True, "result": result})
        if path.endswith("/api/3/action/package_search"):
            start = int(request.url.params.get("start", 0))
            rows = int(request.url.params.get("rows", 10))
            page = self.packages[start : start + rows]
            body = {"count": len(self.packages), "results": page}
            return httpx.Response(200, json={"success": True, "result": body})
        return httpx.Response(404, text="not found")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def auth(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def registration(url: str = PORTAL, **changes: Any) -> dict[str, Any]:
    body = {
        "url": url,
        "name": "Ville de Saint-Jérôme",
        "kind": "municipality",
        "contact_email": "donnees@saint-jerome.example",
    }
    return {**body, **changes}


@pytest.fixture
def portal() -> CkanPortal:
    return CkanPortal()


async def add_callers(session: AsyncSession, **laval_source: Any) -> dict[str, str]:
    """Add partners 'laval' (owning source 'laval', with ``laval_source``'s columns) and
    'gatineau'; the secrets of an operator token and of a token of each partner."""
    session.add_all(
        [
            Partner(id="laval", name="Ville de Laval", kind="municipality"),
            Partner(id="gatineau", name="Ville de Gatineau", kind="municipality"),
        ]
    )
    await session.flush()
    session.add(Source(id="laval", partner_id="laval", platform="ckan", **laval_source))
    _, operator = await create_token(session, role="operator")
    _, laval = await create_token(session, role="partner", partner_id="laval")
    _, gatineau = await create_token(session, role="partner", partner_id="gatineau")
    return {"operator": operator, "laval": laval, "gatineau": gatineau}


@pytest.fixture
async def tokens(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Secrets: an operator, and partners 'laval' (owns source 'laval') and 'gatineau'."""
    async with sessions() as session, session.begin():
        return await add_callers(
            session, url="https://laval.example.org", contact_email="laval@example.org"
        )


def make_app(database_url: str, **settings: Any) -> FastAPI:
    settings.setdefault("scheduler", False)  # no background harvests in tests
    return create_app(Settings(database_url=database_url, auto_migrate=False, **settings))


@pytest.fixture
async def app_and_client(
    database_url: str, portal: CkanPortal
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with previews going to ``portal``, and an ASGI client."""
    app = make_app(database_url, config="/nonexistent/sources.toml")
    app.state.preview_client_factory = portal.client
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield app, client


@pytest.fixture
async def client(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]
