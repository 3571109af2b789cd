"""Walking every page of a search by its cursors."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search.engine import SearchRequest, SearchResult, search


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
