"""Tokens and the access rules every write endpoint uses (a matrix of callers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.auth import Operator, SourceAccess
from harvester.settings import Settings
from harvester.store.tables import ApiToken
from harvester.tokens import TokenError, create_token, hash_token, revoke_token
from tests.api.portal_replay import add_callers


@pytest.fixture
async def secrets_(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session, session.begin():
        secrets = await add_callers(session, url="https://l.example")
        revoked_row, revoked = await create_token(session, role="operator", name="old")
        assert revoked_row.id is not None
        await revoke_token(session, revoked_row.id)
    return {**secrets, "revoked": revoked}


@pytest.fixture
async def client(database_url: str, secrets_: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))

    @app.post("/test/operator")
    async def operator_only(principal: Operator) -> dict[str, str]:
        return {"actor": principal.actor}

    @app.post("/test/sources/{source_id}/poke")
    async def poke(access: SourceAccess) -> dict[str, str]:
        principal, source = access
        return {"actor": principal.actor, "source": source.id}

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        yield c


def _auth(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


@pytest.mark.parametrize(
    ("caller", "path", "status"),
    [
        (None, "/test/operator", 401),
        ("bogus", "/test/operator", 401),
        ("revoked", "/test/operator", 401),
        ("laval", "/test/operator", 403),
        ("operator", "/test/operator", 200),
        (None, "/test/sources/laval/poke", 401),
        ("gatineau", "/test/sources/laval/poke", 403),
        ("laval", "/test/sources/laval/poke", 200),
        ("operator", "/test/sources/laval/poke", 200),
        ("operator", "/test/sources/nowhere/poke", 404),
    ],
)
async def test_access_matrix(client, secrets_, caller, path, status):
    secret = secrets_.get(caller, caller) if caller else None
    response = await client.post(path, headers=_auth(secret))
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_malformed_authorization_header_is_refused(client):
    response = await client.post("/test/operator", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]


async def test_tokens_are_stored_hashed(sessions, secrets_):
    async with sessions() as session:
        rows = (await session.execute(ApiToken.__table__.select())).all()  # type: ignore[attr-defined]
    stored = {row.token_hash for row in rows}
    assert all(secret not in stored for secret in secrets_.values())
    assert hash_token(secrets_["operator"]) in stored


async def test_partner_tokens_need_a_known_partner(sessions):
    async with sessions() as session:
        with pytest.raises(TokenError, match="needs --partner"):
            await create_token(session, role="partner")
        with pytest.raises(TokenError, match="no partner with id 'x'"):
            await create_token(session, role="partner", partner_id="x")
