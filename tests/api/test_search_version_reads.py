"""A search request reads the catalogue version once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.app import create_app
from harvester.search import version
from harvester.settings import Settings


async def test_the_empty_faceted_search_reads_the_version_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue's first page (every facet, no query) read the version for its ETag and
    again for its facet counts: one statement in four of the request's. (On SQLite the
    version is read as SQL text past SQLAlchemy's events: recorded too.)"""
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    statements: list[str] = []
    read_rows = version.read_rows

    async def read_recorded(session: Any, sql: str, params: Any = ()) -> list[Any]:
        statements.append(sql)
        return await read_rows(session, sql, params)

    monkeypatch.setattr(version, "read_rows", read_recorded)
    async with app.router.lifespan_context(app):
        engine = app.state.sessions.kw["bind"]
        event.listen(
            engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_rest: statements.append(statement),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for _call in range(2):  # the second one from the facet cache
                statements.clear()
                response = await client.get("/api/v1/datasets")
                assert response.status_code == 200, response.text
                assert "format" in response.json()["facets"]
                version_reads = [s for s in statements if "max(dataset.change_seq)" in s]
                assert len(version_reads) == 1, statements
