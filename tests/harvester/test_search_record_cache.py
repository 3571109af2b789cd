"""Search results' stored records kept per process (:mod:`harvester.search.record_cache`):
a page reads only the records it has not kept, a changed record is read again, and with
no cache every page reads them all. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search import record_cache
from harvester.search.engine import SearchRequest, SummaryRow, load_summary_rows, search_rows
from tests.api import corpus
from tests.api.app_client import app_client


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> list[record_cache.Key]:
    """The keys of the records each page had to read (and then kept)."""
    record_cache.clear()
    read: list[record_cache.Key] = []
    put = record_cache.put

    def spy(key: record_cache.Key, record: dict) -> record_cache.Kept:
        read.append(key)
        return put(key, record)

    monkeypatch.setattr(record_cache, "put", spy)
    return read


async def _page(sessions: async_sessionmaker[AsyncSession], q: str) -> list[SummaryRow]:
    async with sessions() as session:
        found = await search_rows(session, SearchRequest(q=q, limit=10), load_summary_rows)
    return found.datasets


async def test_a_page_reads_only_the_records_it_has_not_kept(
    sessions: async_sessionmaker[AsyncSession], database_url: str, kept: list
) -> None:
    await corpus.add_sources(sessions)
    items = [corpus.record(f"d{i}", {"fr": f"Parc numéro {i}"}) for i in range(4)]
    items.append(corpus.record("lib", {"fr": "Bibliothèques"}))
    await corpus.write(database_url, "ville", items)

    parks = await _page(sessions, "parc")
    assert sorted(row.record["title"]["fr"] for row in parks) == [
        f"Parc numéro {i}" for i in range(4)
    ]
    assert len(kept) == 4
    assert await _page(sessions, "parc") == parks, "the same rows, records from the cache"
    assert len(kept) == 4
    both = await _page(sessions, "parc OR bibliothèque")
    assert len(both) == 5 and len(kept) == 5, "only the new row's record was read"

    changed = corpus.record("d1", {"fr": "Parc renommé"})
    await corpus.write(database_url, "ville", [changed], now=corpus.LATER)
    again = {row.id: row.record["title"]["fr"] for row in await _page(sessions, "parc")}
    assert sorted(again.values()) == [
        "Parc numéro 0",
        "Parc numéro 2",
        "Parc numéro 3",
        "Parc renommé",
    ]
    assert len(kept) == 6, "the changed record, under its new content hash"
    earlier = [key for key in kept[:4] if key[1] == kept[-1][1]]
    assert len(earlier) == 1 and earlier[0][2] != kept[-1][2], "same dataset, new hash"


async def test_without_a_cache_every_page_reads_its_records(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    kept: list,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(record_cache, "SIZE", 0)
    await corpus.add_sources(sessions)
    await corpus.write(database_url, "ville", [corpus.record("a", {"fr": "Parc"})])
    first = await _page(sessions, "parc")
    second = await _page(sessions, "parc")
    assert first == second and len(first) == 1
    assert len(kept) == 2 and record_cache.get(kept[0]) is None


@pytest.mark.parametrize("size", [1024, 0])
async def test_the_api_keeps_as_many_records_as_configured(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    kept: list,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
) -> None:
    """``MOISSON_SEARCH_RECORD_CACHE`` (0: every page reads its records); the results are
    the same either way."""
    monkeypatch.setattr(record_cache, "SIZE", record_cache.SIZE)
    await corpus.add_sources(sessions)
    items = [corpus.record(f"d{i}", {"fr": f"Parc {i}"}) for i in range(3)]
    await corpus.write(database_url, "ville", items)
    async with app_client(database_url, search_record_cache=size) as client:
        bodies = []
        for _ in range(2):
            response = await client.get("/api/v1/datasets", params={"q": "parc"})
            assert response.status_code == 200
            bodies.append(response.json()["results"])
    assert bodies[0] == bodies[1] and len(bodies[0]) == 3
    assert len(kept) == (3 if size else 6)
