"""An httpx client over ASGI to a Moisson app with the given settings, its lifespan run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.app import create_app
from harvester.settings import Settings


@asynccontextmanager
async def app_client(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app bound to ``database_url`` (not migrated by it) with ``settings``."""
    app = create_app(Settings(database_url=database_url, auto_migrate=False, **settings))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client
