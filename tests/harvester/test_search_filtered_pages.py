"""Filtered searches: on SQLite, facets held by many datasets are tested by probes and a
filter-only page walks the newest-first index (within a window, else it sorts the
matches), with the same pages, cursors and totals as the plain plan; a first page that
holds every match counts nothing more; a text query's total is never cached."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search import engine, facet_counts, facet_totals, facets
from harvester.search.engine import SearchRequest, Sort, search
from harvester.search.filters import Filters
from harvester.store import sqlite_shaped
from harvester.store.db import create_engine, session_factory
from tests.api import corpus
from tests.harvester.search_support import every_page, recorded_sql

FORMATS = ["CSV", "JSON", "SHP"]
FILTERS = [
    {"format": ["CSV"]},
    {"format": ["CSV", "SHP"], "licence": ["CC-BY-4.0"]},
    {"keyword": ["eau"]},
]


def _items(n: int = 120, seed: int = 11) -> list[corpus.Harvested]:
    rng = random.Random(seed)
    start = date(2020, 1, 1)
    return [
        corpus.record(
            f"f{i:03}",
            {"fr": f"Jeu {rng.choice(['parc', 'budget', 'arbre'])} {i}"},
            description="Données parc" if i % 3 else "Données",
            keywords=rng.sample(["culture", "transport", "eau"], rng.randint(0, 2)),
            formats=rng.sample(FORMATS, rng.randint(0, 3)),
            licence=rng.choice([None, "CC-BY-4.0"]),
            # ties and missing dates: the walk must order them as the sort does
            modified=None if i % 17 == 0 else start + timedelta(days=rng.randint(0, 40)),
        )
        for i in range(n)
    ]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine_ = create_engine(database_url)
    await corpus.add_sources(session_factory(engine_))
    await corpus.write(database_url, "ville", _items())
    made = session_factory(engine_)
    await facet_totals.refresh(made)  # the stored totals dense_facets reads
    facet_counts.clear()
    yield made
    await engine_.dispose()


@pytest.fixture
def statements(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    with recorded_sql(sessions.kw["bind"], monkeypatch) as seen:
        yield seen


Pages = tuple[list[str], list[tuple[int, bool, Any]]]


async def _pages(sessions: async_sessionmaker[AsyncSession], request: SearchRequest) -> Pages:
    pages = await every_page(sessions, request)
    ids = [row.remote_id for page in pages for row in page.datasets]
    return ids, [(p.total, p.total_exact, p.facets) for p in pages]


async def _plain(
    sessions: async_sessionmaker[AsyncSession],
    request: SearchRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Pages:
    """The same pages with every facet tested by its list of pks (no probe, no walk)."""
    with monkeypatch.context() as patch:
        patch.setattr(facets, "DENSE_MIN", 10**9)
        facet_counts.clear()
        return await _pages(sessions, request)


@pytest.mark.parametrize("limit", [2, 7])  # 2: pages end within ties of modified
@pytest.mark.parametrize("window", [10_000, 60, 3])
@pytest.mark.parametrize("chosen", FILTERS)
async def test_filtered_pages_walk_the_newest_index_and_match_the_sorted_pages(
    sessions: async_sessionmaker[AsyncSession],
    statements: list[str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    chosen: dict[str, list[str]],
    window: int,
    limit: int,
) -> None:
    def request() -> SearchRequest:
        return SearchRequest(filters=Filters(facets=chosen), limit=limit, facets=["format"])

    expected = await _plain(sessions, request(), monkeypatch)
    assert len(expected[0]) > 14, "the filter keeps several pages"
    monkeypatch.setattr(facets, "DENSE_MIN", 1)
    monkeypatch.setattr(engine, "WALK_WINDOW", window)
    statements.clear()
    assert await _pages(sessions, request()) == expected
    walked = [s for s in statements if "INDEXED BY ix_dataset_visible_modified" in s]
    if database_url.startswith("sqlite"):
        assert walked, "the pages walked the newest-first index"
        if window == 3:  # a window smaller than a page: each page sorted its matches
            assert any("IN (SELECT dataset_facet.dataset_pk" in s for s in statements)
    else:  # PostgreSQL orders by its own plan: no walk
        assert not walked


@pytest.mark.parametrize("q", ["parc", "données -budget"])
async def test_text_pages_probe_dense_facets_with_the_same_results(
    sessions: async_sessionmaker[AsyncSession],
    statements: list[str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
) -> None:
    def request() -> SearchRequest:
        return SearchRequest(
            q=q, filters=Filters(facets={"format": ["CSV"]}), limit=6, facets=["licence"]
        )

    expected = await _plain(sessions, request(), monkeypatch)
    assert len(expected[0]) > 12
    monkeypatch.setattr(facets, "DENSE_MIN", 1)
    statements.clear()
    assert await _pages(sessions, request()) == expected
    probed = [s for s in statements if "EXISTS (SELECT" in s and "MATCH" in s]
    assert bool(probed) == database_url.startswith("sqlite")


async def test_a_first_page_holding_every_match_counts_nothing_more(
    sessions: async_sessionmaker[AsyncSession], statements: list[str], database_url: str
) -> None:
    statements.clear()
    async with sessions() as session:
        few = await search(session, SearchRequest(q="arbre", limit=100))
        many = await search(session, SearchRequest(q="arbre", limit=5))
    assert few.total == len(few.datasets) > 5 and few.total_exact
    assert many.total == few.total and len(many.datasets) == 5
    if database_url.startswith("sqlite"):  # PostgreSQL counts in its page's statement
        assert sum("count(*)" in s for s in statements) == 1, "only the second one counted"


@pytest.mark.parametrize(
    "chosen", [*FILTERS, {"format": ["CSV", "JSON"]}, {"format": ["SHP"], "keyword": ["eau"]}]
)
async def test_facet_only_totals_and_counts_read_from_the_facet_index_are_exact(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    chosen: dict[str, list[str]],
) -> None:
    await corpus.withdraw(database_url, "f001")
    await corpus.withdraw(database_url, "f002")
    monkeypatch.setattr(facets, "DENSE_MIN", 1)  # the other facets probed, too
    async with sessions() as session:
        pairs = await session.execute(
            sa.text(
                "SELECT d.remote_id, f.facet, f.value FROM dataset d "
                "JOIN dataset_facet f ON f.dataset_pk = d.pk WHERE d.withdrawn_at IS NULL"
            )
        )
        held: dict[str, set[tuple[str, str]]] = {}
        for remote_id, facet, value in pairs:
            held.setdefault(remote_id, set()).add((facet, value))
        result = await search(
            session,
            SearchRequest(filters=Filters(facets=chosen), limit=3, facets=["format", "licence"]),
        )
    matching = [
        rid
        for rid, have in held.items()
        if all(any((facet, v) in have for v in values) for facet, values in chosen.items())
    ]
    expected: dict[str, dict[str, int]] = {"format": {}, "licence": {}}
    for rid in matching:
        for facet, value in held[rid]:
            if facet in expected:
                expected[facet][value] = expected[facet].get(value, 0) + 1
    assert (result.total, result.total_exact) == (len(matching), True)
    assert result.facets_exact
    assert {name: dict(values) for name, values in result.facets.items()} == expected
    assert "f001" not in {row.remote_id for row in result.datasets}


async def test_text_totals_on_the_plain_path_are_never_served_from_the_cache(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    chosen = Filters(facets={"format": ["CSV"]})
    totals: dict[str, set[int]] = {}
    async with sessions() as session:
        for q in ("parc", "budget", "parc"):  # sorted by date: not the relevance path
            request = SearchRequest(q=q, filters=chosen, sort="modified", limit=2)
            totals.setdefault(q, set()).add((await search(session, request)).total)
        everything = await search(session, SearchRequest(filters=chosen, sort="modified"))
    assert len(totals["parc"]) == 1
    assert totals["parc"] != totals["budget"]
    assert max(*totals["parc"], *totals["budget"]) < everything.total


@pytest.mark.parametrize("sort", ["modified", "title", "pk"])
async def test_pages_without_text_from_kept_sql_are_the_statements_pages(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    sort: Sort,
) -> None:
    """The catalogue's pages without a text query (sorts, filters, cursors within ties and
    missing dates, offsets) read on SQLite from SQL kept per shape and bound per call: the
    same pages as the statements run through SQLAlchemy."""

    async def through_sqlalchemy(
        session: AsyncSession, _shape: Any, build: Any, _changed: Any = None
    ) -> list[Any]:
        connection = await session.connection()
        return list(await connection.execute(build()))

    def requests() -> list[SearchRequest]:
        since = datetime(2020, 1, 20, tzinfo=UTC)
        return [
            SearchRequest(sort=sort, limit=4),
            SearchRequest(sort=sort, limit=3, filters=Filters(facets={"format": ["CSV"]})),
            SearchRequest(sort=sort, limit=5, filters=Filters(modified_since=since)),
        ]

    async def read() -> list[Any]:
        found: list[Any] = []
        for request in requests():
            found.append((await _pages(sessions, request))[0])
            for offset in (1, 4, 9):
                request.cursor, request.offset = None, offset
                async with sessions() as session:
                    page = await search(session, request)
                found.append([row.remote_id for row in page.datasets])
        return found

    sqlite_shaped.clear()
    kept = await read()
    if database_url.startswith("sqlite"):
        assert sqlite_shaped.stats["reused"] > sqlite_shaped.stats["built"] > 0
    with monkeypatch.context() as patch:
        patch.setattr(engine, "read_shaped", through_sqlalchemy)
        assert kept == await read()
    assert all(kept) and len(kept[0]) > 100
