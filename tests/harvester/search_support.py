"""Walking every page of a search by its cursors; recording the SQL a search runs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from harvester.search.engine import SearchRequest, SearchResult, search
from harvester.store.sqlite_inline import InlineReadConnection


async def every_page(
    sessions: async_sessionmaker[AsyncSession], request: SearchRequest
) -> list[SearchResult[Any]]:
    """Each page of ``request``, following ``next_cursor`` from the first (one session per
    page, as separate API calls would)."""
    pages = []
    cursor = None
    while True:
        request.cursor = cursor
        async with sessions() as session:
            result = await search(session, request)
        pages.append(result)
        cursor = result.next_cursor
        if cursor is None:
            return pages


@contextmanager
def recorded_sql(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL run while the block runs: ``engine``'s statements through SQLAlchemy's
    cursors, and SQLite's reads as SQL text past them (``read_rows``, on any engine)."""
    seen: list[str] = []
    read = InlineReadConnection.read

    def record(_connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    async def read_recorded(
        self: InlineReadConnection, operation: str, parameters: Sequence[Any]
    ) -> list[Any]:
        seen.append(operation)
        return await read(self, operation, parameters)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(InlineReadConnection, "read", read_recorded)
            yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
