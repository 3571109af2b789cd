"""An API process keeps its database connections open through a burst of requests."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import event

from api.app import create_app
from harvester.settings import Settings
from harvester.store.db import create_engine, in_memory


async def test_a_burst_reuses_the_connections_it_opened(database_url: str) -> None:
    """With SQLAlchemy's default pool (5, and 10 more closed once returned) two waves of 16
    requests opened ~25 connections, each with cold caches (SQLite: a new thread, its page
    and statement caches); the API's pool keeps them."""
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    async with app.router.lifespan_context(app):
        sessions = app.state.sessions
        engine = sessions.kw["bind"]
        await engine.dispose()  # count from none open
        opened: list[object] = []
        event.listen(engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))

        async def request() -> None:
            async with sessions() as session:
                assert await session.scalar(sa.text("SELECT 1")) == 1
                await asyncio.sleep(0.05)  # holds its connection, as a request does

        for _wave in range(2):
            await asyncio.gather(*(request() for _ in range(16)))
    assert len(opened) == 16


async def test_memory_databases_keep_their_one_connection() -> None:
    url = "sqlite+aiosqlite://"
    assert in_memory(url) and in_memory("sqlite+aiosqlite:///file:x?mode=memory&uri=true")
    assert in_memory("sqlite+aiosqlite:///file::memory:?uri=true")
    assert in_memory("sqlite+aiosqlite:///file:x%3Fmode%3Dmemory?uri=true")
    assert not in_memory("sqlite+aiosqlite:///data/moisson.db")
    engine = create_engine(url, pool_size=20)  # no pool size for a single shared connection
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(sa.text("SELECT 1")) == 1
    finally:
        await engine.dispose()
