"""Walking every page of a search by its cursors; recording the SQL a search runs and the
counts it makes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from harvester.search import engine as engine_module
from harvester.search import facet_counts, ranked
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


def spy_counts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The counts searches make from here on, recorded in the list returned: totals (``ranked.total``, ``engine._total``),
    facet counts (``count_facets``) and PostgreSQL's one-statement reads that count
    (``ranked.read_once`` with a cap or facets)."""
    calls: list[str] = []

    def spy(module: Any, name: str) -> None:
        original = getattr(module, name)

        async def counting(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return await original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)

    for module, name in (
        (ranked, "total"),
        (engine_module, "_total"),
        (engine_module, "count_facets"),
        (facet_counts, "count_facets"),
    ):
        spy(module, name)
    read_once = ranked.read_once

    async def reading(*args: Any, **kwargs: Any) -> Any:
        if kwargs["count_limit"] is not None or kwargs["facets"]:
            calls.append("read_once")
        return await read_once(*args, **kwargs)

    monkeypatch.setattr(ranked, "read_once", reading)
    return calls
