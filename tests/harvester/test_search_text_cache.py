"""A text query's total and facet counts are cached per catalogue version: its next pages,
or the same query asked again, read the page alone; a write counts afresh; distinct text
queries do not evict the counts without text."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search import facet_counts
from harvester.search.engine import SearchRequest, SearchResult, search
from harvester.search.filters import Filters
from tests.api import corpus
from tests.api.app_client import app_client
from tests.harvester.search_support import every_page, spy_counts
from tests.harvester.test_search_ranked import _seed

FACETS = ["format", "licence", "keyword"]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return spy_counts(monkeypatch)


async def _fresh(
    sessions: async_sessionmaker[AsyncSession], request: SearchRequest
) -> SearchResult[Any]:
    """``request``'s first page, counted with every cache emptied."""
    facet_counts.clear()
    async with sessions() as session:
        return await search(session, replace(request, cursor=None))


async def _search(
    sessions: async_sessionmaker[AsyncSession], request: SearchRequest
) -> SearchResult[Any]:
    async with sessions() as session:
        return await search(session, request)


@pytest.mark.parametrize("sort", ["relevance", "modified"])
async def test_the_next_pages_of_a_text_query_count_nothing(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    counted: list[str],
    sort: Any,
) -> None:
    await _seed(database_url)
    request = SearchRequest(q="parc", sort=sort, limit=6, facets=FACETS)
    expected = await _fresh(sessions, request)
    assert expected.total > 3 * request.limit and expected.facets["format"]

    facet_counts.clear()
    counted.clear()
    first = await every_page(sessions, replace(request))
    assert len(first) > 3
    assert counted, "the first page counts"
    counted.clear()
    pages = await every_page(sessions, replace(request))
    assert not counted, "every page of the same query, same catalogue: counted once"
    for page in [*first, *pages]:
        assert (page.total, page.total_exact) == (expected.total, expected.total_exact)
        assert page.facets == expected.facets
    assert [row.pk for p in pages for row in p.datasets] == [
        row.pk for p in first for row in p.datasets
    ]


async def test_a_write_counts_a_text_query_afresh(
    database_url: str, sessions: async_sessionmaker[AsyncSession], counted: list[str]
) -> None:
    await _seed(database_url)
    request = SearchRequest(q="parc", limit=5, facets=FACETS)
    before = await _fresh(sessions, request)
    counted.clear()
    again = await _search(sessions, request)
    assert (again.total, again.facets) == (before.total, before.facets) and not counted
    assert not any(value == "XLS" for value, _ in before.facets["format"])

    await corpus.write(
        database_url,
        "ville",
        [corpus.record("new", {"fr": "Parc riverain"}, formats=["XLS"])],
        now=corpus.LATER,
    )
    after = await _search(sessions, request)
    assert counted, "a new catalogue version is counted"
    assert after.total == before.total + 1
    assert ("XLS", 1) in after.facets["format"]
    fresh = await _fresh(sessions, request)
    assert (after.total, after.facets) == (fresh.total, fresh.facets)


async def test_distinct_text_queries_keep_the_counts_without_text(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    counted: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _seed(database_url)
    monkeypatch.setattr(facet_counts, "TEXT_CACHE_SIZE", 2)
    facet_counts.clear()
    filtered = SearchRequest(limit=2, facets=FACETS, filters=Filters(facets={"format": ["CSV"]}))
    counted.clear()
    await _search(sessions, filtered)
    assert counted, "the filter is counted once"
    for word in ("parc", "piste", "budget", "arbre", "autobus"):
        assert (await _search(sessions, SearchRequest(q=word, limit=2, facets=FACETS))).total
    counted.clear()
    await _search(sessions, filtered)
    assert not counted, "five text queries later, the filter's counts are still kept"
    await _search(sessions, SearchRequest(q="autobus", limit=2, facets=FACETS))
    assert not counted, "the newest text query is kept"
    await _search(sessions, SearchRequest(q="parc", limit=2, facets=FACETS))
    assert counted, "the oldest of five text queries left a cache of two"


@pytest.mark.parametrize("kept", [512, 0])
async def test_the_api_keeps_as_many_text_queries_as_configured(
    database_url: str, counted: list[str], monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    """``MOISSON_SEARCH_TEXT_CACHE`` (0: every call counts)."""
    monkeypatch.setattr(facet_counts, "TEXT_CACHE_SIZE", facet_counts.TEXT_CACHE_SIZE)
    await _seed(database_url)
    facet_counts.clear()
    async with app_client(database_url, search_text_cache=kept) as client:
        calls = []
        for _ in range(3):
            counted.clear()
            response = await client.get("/api/v1/datasets", params={"q": "parc", "limit": 2})
            assert response.status_code == 200 and response.json()["total"] > 2
            calls.append(bool(counted))
    assert calls == ([True, False, False] if kept else [True, True, True])


async def test_a_total_serves_requests_for_other_facets(
    database_url: str, sessions: async_sessionmaker[AsyncSession], counted: list[str]
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL counts a total and its facets in one statement, cached as one")
    await _seed(database_url)
    facet_counts.clear()
    first = await _search(sessions, SearchRequest(q="parc", limit=2, facets=["format"]))
    counted.clear()
    other = await _search(sessions, SearchRequest(q="parc", limit=2, facets=["licence"]))
    assert other.total == first.total and other.facets["licence"]
    assert counted == ["count_facets"], "the total is the one counted for the first request"
