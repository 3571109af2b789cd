"""A search request reads the catalogue version once."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from harvester.settings import Settings
from tests.harvester.search_support import recorded_sql


async def test_the_empty_faceted_search_reads_the_version_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue's first page (every facet, no query) read the version for its ETag and
    again for its facet counts: one statement in four of the request's. (On SQLite the
    version is read as SQL text past SQLAlchemy's events: recorded too.)"""
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    async with app.router.lifespan_context(app):
        engine = app.state.sessions.kw["bind"]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with recorded_sql(engine, monkeypatch) as statements:
                for _call in range(2):  # the second one from the facet cache
                    statements.clear()
                    response = await client.get("/api/v1/datasets")
                    assert response.status_code == 200, response.text
                    assert "format" in response.json()["facets"]
                    version_reads = [s for s in statements if "max(dataset.change_seq)" in s]
                    assert len(version_reads) == 1, statements
