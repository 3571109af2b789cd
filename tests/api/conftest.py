"""An API client over ASGI, with the app's lifespan run (engine, migrations)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from harvester.settings import Settings

AppClient = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def api_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to a Moisson app bound to the test database."""
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        yield client
