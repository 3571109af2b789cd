"""An API client over ASGI, with the app's lifespan run (engine, migrations); ``client``
serves the synthetic catalogue (modules that need another define their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api import corpus
from tests.api.app_client import app_client


@pytest.fixture
async def api_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to a Moisson app bound to the test database."""
    async with app_client(database_url) as client:
        yield client


@pytest.fixture
async def client(
    database_url: str, api_client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """:func:`api_client` over the synthetic catalogue (:func:`corpus.synthetic`)."""
    await corpus.synthetic(database_url)
    yield api_client
