"""Stored facet totals of the whole catalogue: equal to a fresh count, refreshed when a run
closes and on the scheduler's tick, served as approximate once the catalogue changes, and
(PostgreSQL) never of a state that
transactions still writing datasets could change below the stored version. Search
transactions on PostgreSQL plan with their values."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.runs import run_harvest
from harvester.search import facet_counts, facet_totals, facets
from harvester.search.engine import SearchRequest, load_datasets, search, search_rows
from harvester.search.facets import count_facets
from harvester.search.fields import FACETS
from harvester.search.filters import Filters
from harvester.search.tables import facet_total
from harvester.search.version import catalog_version
from harvester.store.tables import Dataset, HarvestRun
from harvester.store.withdrawals import withdraw
from tests.api import corpus
from tests.connectors.ckan_replay import PagedSearch, mixed_packages
from tests.harvester.engine_support import add_source
from tests.harvester.stale_once import StaleOnce


def _items(n: int) -> list[corpus.Harvested]:
    return [
        corpus.record(
            f"d{i:02}",
            {"fr": f"Jeu {i}"},
            keywords=["eau", "transport", "culture"][: 1 + i % 3],
            formats=["CSV", "JSON", "SHP"][i % 3 :],
            licence="CC-BY-4.0" if i % 2 else None,
            publisher="Ville de Québec" if i % 4 else None,
        )
        for i in range(n)
    ]


async def _seed(sessions: async_sessionmaker[AsyncSession], url: str, n: int = 12) -> None:
    await corpus.add_sources(sessions)
    await corpus.write(url, "ville", _items(n))


async def _fresh_count(sessions: async_sessionmaker[AsyncSession]) -> dict:
    async with sessions() as session:
        return await count_facets(session, FACETS, None, limit=1000)


async def _stored(sessions: async_sessionmaker[AsyncSession]) -> dict | None:
    async with sessions() as session:
        version = facet_totals.version_key(await catalog_version(session))
        return await facet_totals.stored_counts(session, FACETS, version, limit=1000)


async def test_stored_totals_equal_a_fresh_count_and_serve_the_empty_query(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(sessions, database_url)
    assert await _stored(sessions) is None, "nothing stored before the first refresh"
    assert await facet_totals.refresh(sessions)
    expected = await _fresh_count(sessions)
    assert expected["format"] and await _stored(sessions) == expected
    assert not await facet_totals.refresh(sessions), "current totals are kept"

    facet_counts.clear()
    stored = facet_counts.stats["stored"]
    async with sessions() as session:
        result = await search(session, SearchRequest(limit=1, facets=["format", "licence"]))
    assert facet_counts.stats["stored"] == stored + 1
    assert result.facets == {"format": expected["format"], "licence": expected["licence"]}


async def test_a_refresher_that_waited_for_another_does_not_count_again(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two stale readers that both decide to refresh take turns; the second finds the
    totals current once it holds the lock and keeps them."""
    await _seed(sessions, database_url)
    recounts = await asyncio.gather(*(facet_totals.refresh(sessions) for _ in range(3)))
    assert recounts.count(True) == 1, recounts
    assert await _stored(sessions) == await _fresh_count(sessions)

    async with sessions() as session, session.begin():  # a row no recount would keep
        await session.execute(sa.insert(facet_total).values(facet="format", value="SENTINEL", n=99))
    check = StaleOnce(facet_totals.current)
    monkeypatch.setattr(facet_totals, "current", check)
    assert not await facet_totals.refresh(sessions), "current under the lock: kept"
    assert check.calls == 2
    async with sessions() as session:
        kept = await session.scalar(
            sa.select(facet_total.c.n).where(facet_total.c.value == "SENTINEL")
        )
    assert kept == 99


async def test_a_write_or_a_withdrawal_makes_the_totals_stale(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """Stale totals are served flagged approximate (not counted afresh on every call while
    a harvest writes) until they are recounted."""
    await _seed(sessions, database_url)
    assert await facet_totals.refresh(sessions)
    before = await _fresh_count(sessions)
    new = corpus.record("new", {"fr": "Nouveau"}, formats=["XLS"])
    await corpus.write(database_url, "ville", [new], now=corpus.LATER)
    assert await _stored(sessions) is None
    facet_counts.clear()
    request = SearchRequest(limit=1, facets=["format"])
    async with sessions() as session:
        stale = await search(session, request)
    assert not stale.facets_exact, "the stored totals are older than the catalogue"
    assert stale.facets["format"] == before["format"]
    assert stale.total == 13, "the total is counted, not stored"

    assert await facet_totals.refresh(sessions)
    async with sessions() as session:
        fresh = await search(session, request)
    assert fresh.facets_exact and ("XLS", 1) in fresh.facets["format"]
    async with sessions() as session, session.begin():
        pk = await session.scalar(sa.select(col(Dataset.pk)).where(col(Dataset.remote_id) == "new"))
        assert pk is not None
        await withdraw(session, [pk], corpus.LATER)
    assert await _stored(sessions) is None, "a withdrawal moves the catalogue version"
    async with sessions() as session:
        assert not (await search(session, request)).facets_exact
    assert await facet_totals.refresh(sessions)
    assert await _stored(sessions) == await _fresh_count(sessions)
    async with sessions() as session:
        result = await search(session, request)
    assert result.facets_exact and "XLS" not in dict(result.facets["format"])


async def test_without_stored_totals_the_empty_query_counts_afresh(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(sessions, database_url)
    facet_counts.clear()
    async with sessions() as session:
        result = await search(session, SearchRequest(limit=1, facets=["format"]))
    assert result.facets_exact
    assert result.facets["format"] == (await _fresh_count(sessions))["format"]


async def test_the_tick_recounts_stale_totals_at_once_when_no_run_is_going(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(sessions, database_url)
    clock = [0.0]
    tick = facet_totals.TickRefresh(sessions, during_runs_every=300, clock=lambda: clock[0])
    assert await tick(), "nothing stored yet (a new or upgraded database)"
    assert not await tick(), "current totals are kept"
    await corpus.write(database_url, "ville", [corpus.record("new", {"fr": "N"})], now=corpus.LATER)
    assert await tick(), "no run is going: recounted at the next tick"
    assert await _stored(sessions) == await _fresh_count(sessions)


async def test_while_a_run_writes_the_tick_recounts_every_few_minutes(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(sessions, database_url)
    async with sessions() as session, session.begin():
        session.add(HarvestRun(source_id="ville", status="running"))
    clock = [1000.0]
    tick = facet_totals.TickRefresh(sessions, during_runs_every=300, clock=lambda: clock[0])
    assert await tick()
    for i, minutes in enumerate((1, 4)):
        await corpus.write(
            database_url, "ville", [corpus.record(f"n{i}", {"fr": "N"})], now=corpus.LATER
        )
        clock[0] = 1000.0 + 60 * minutes
        assert not await tick(), f"{minutes} min after the last recount, a run going"
    assert await _stored(sessions) is None
    clock[0] = 1000.0 + 301
    assert await tick()
    assert await _stored(sessions) == await _fresh_count(sessions)


async def test_closing_a_run_refreshes_the_totals(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_source(sessions, "https://portal.example.org", "portail", rows=4)
    transport = httpx.MockTransport(PagedSearch(mixed_packages()))
    async with httpx.AsyncClient(transport=transport) as client:
        run = await run_harvest(sessions, "portail", client, batch_size=5)
    assert run.status == "succeeded", run.message
    stored = await _stored(sessions)
    assert stored is not None and stored == await _fresh_count(sessions)
    assert sum(n for _, n in stored["partner"]) == run.added


async def test_search_transactions_plan_with_their_values(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL planner settings")
    async with sessions() as session:
        await search(session, SearchRequest(q="jeu", limit=1))
        settings = await session.execute(
            sa.text("SELECT current_setting('plan_cache_mode'), current_setting('jit')")
        )
        assert tuple(settings.one()) == ("force_custom_plan", "off")
        await session.rollback()
        settings = await session.execute(sa.text("SELECT current_setting('plan_cache_mode')"))
        assert settings.scalar() == "auto", "the settings end with the transaction"


async def test_refresh_waits_for_transactions_writing_datasets(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """A transaction that wrote a dataset (stamped with a change_seq below a later one's)
    and commits after the refresh began must not leave totals the version calls current."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: its refresh holds the write lock")
    await _seed(sessions, database_url)
    async with sessions() as writer:
        await writer.begin()
        await writer.execute(
            sa.update(Dataset)
            .where(col(Dataset.remote_id) == "d00")
            .values(withdrawn_at=corpus.LATER)
        )
        refreshing = asyncio.create_task(facet_totals.refresh(sessions))
        await asyncio.sleep(0.5)
        assert not refreshing.done(), "the refresh waits for the writer"
        await writer.commit()
    assert await refreshing
    assert await _stored(sessions) == await _fresh_count(sessions)


async def test_refresh_gives_up_after_the_lock_timeout(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL lock timeout")
    await _seed(sessions, database_url)
    monkeypatch.setattr(facet_totals, "LOCK_TIMEOUT", "200ms")
    async with sessions() as writer:
        await writer.begin()
        await writer.execute(
            sa.update(Dataset)
            .where(col(Dataset.remote_id) == "d00")
            .values(withdrawn_at=corpus.LATER)
        )
        assert not await facet_totals.refresh(sessions)
        await writer.rollback()
    assert await _stored(sessions) is None


async def test_tsvectors_are_kept_in_the_row_with_fine_statistics(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """Migration 0009: the ``@@`` checks of capped totals and facet samples read the
    tsvector from the row, not from TOAST, and rare lexemes are estimated from a long list
    of common ones."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL storage")
    async with sessions() as session:
        storage: dict[str, str] = dict(
            (
                await session.execute(
                    sa.text(
                        "SELECT attname, attstorage::text || attstattarget FROM pg_attribute "
                        "WHERE attrelid = 'search_doc'::regclass "
                        "AND attname IN ('vector', 'title_vector', 'body_fr')"
                    )
                )
            ).all()
        )
    assert storage == {"vector": "m1000", "title_vector": "m1000"}  # no text since 0018


async def test_writers_go_on_while_the_totals_are_counted(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: the count runs on a snapshot taken before a write that commits during it;
    the totals are those of that snapshot, stored under its version."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: its refresh holds the write lock")
    await _seed(sessions, database_url)
    before = await _fresh_count(sessions)
    calls = []

    async def version_then_write(session: AsyncSession) -> tuple:
        version = await catalog_version(session)
        calls.append(version)
        if len(calls) == 2:  # inside the refresh, after its snapshot
            async with sessions() as writer, writer.begin():
                await writer.execute(
                    sa.update(Dataset)
                    .where(col(Dataset.remote_id) == "d00")
                    .values(withdrawn_at=corpus.LATER)
                )
        return version

    monkeypatch.setattr(facet_totals, "catalog_version", version_then_write)
    assert await asyncio.wait_for(facet_totals.refresh(sessions), 10)
    async with sessions() as session:
        stored = await facet_totals.stored_counts(
            session, FACETS, facet_totals.version_key(calls[1]), limit=1000
        )
    assert stored == before != await _fresh_count(sessions)
    assert await _stored(sessions) is None, "the write moved the catalogue past the totals"


async def test_current_totals_are_read_once_per_catalogue_version(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The catalogue's first page read the stored totals on every call; current ones are
    now kept until the catalogue changes, stale ones are read again each time (a refresh
    may land at any moment)."""
    await _seed(sessions, database_url)
    assert await facet_totals.refresh(sessions)
    reads: list[int] = []
    latest_counts = facet_totals.latest_counts

    async def spy(*args: object, **kwargs: object) -> object:
        reads.append(1)
        return await latest_counts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(facet_totals, "latest_counts", spy)
    facet_counts.clear()
    request = SearchRequest(limit=1, facets=["format"])
    results = []
    for _ in range(3):
        async with sessions() as session:
            results.append(await search(session, request))
    assert len(reads) == 1
    assert (
        results[0].facets
        == results[2].facets
        == {"format": (await _fresh_count(sessions))["format"]}
    )
    results[0].facets["format"].clear()  # a caller's copy: the kept counts are not touched
    async with sessions() as session:
        assert (await search(session, request)).facets == results[2].facets

    new = corpus.record("new", {"fr": "Nouveau"}, formats=["XLS"])
    await corpus.write(database_url, "ville", [new], now=corpus.LATER)
    for _ in range(2):
        async with sessions() as session:
            assert not (await search(session, request)).facets_exact
    assert len(reads) == 3, "stale totals are read on each call"
    assert await facet_totals.refresh(sessions)
    for _ in range(2):
        async with sessions() as session:
            fresh = await search(session, request)
    assert len(reads) == 4 and fresh.facets_exact and ("XLS", 1) in fresh.facets["format"]


async def test_dense_filters_are_judged_once_per_catalogue_version(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which filters a search tests by probes comes from the stored totals: read once per
    catalogue version when the caller gives it (the API does), every call otherwise."""
    await _seed(sessions, database_url)
    assert await facet_totals.refresh(sessions)
    monkeypatch.setattr(facets, "DENSE_MIN", 3)  # "CSV": 4 of the 12 datasets
    judged: list[dict[str, list[str]]] = []
    dense_facets = facets.dense_facets

    async def spy(session: AsyncSession, chosen: dict[str, list[str]]) -> frozenset[str]:
        judged.append(chosen)
        return await dense_facets(session, chosen)

    monkeypatch.setattr(facet_counts, "dense_facets", spy)
    facet_counts.clear()
    request = SearchRequest(limit=2, filters=Filters(facets={"format": ["CSV"]}))
    pages = []
    for _ in range(3):
        async with sessions() as session:
            version = await catalog_version(session)
            pages.append(await search_rows(session, request, load_datasets, version=version))
    assert judged == [{"format": ["CSV"]}]
    assert [d.id for d in pages[0].datasets] == [d.id for d in pages[2].datasets]
    async with sessions() as session:
        await search(session, request)  # no version given: judged afresh
    assert len(judged) == 2
    await corpus.write(database_url, "ville", [corpus.record("new", {"fr": "N"})], now=corpus.LATER)
    async with sessions() as session:
        version = await catalog_version(session)
        await search_rows(session, request, load_datasets, version=version)
    assert len(judged) == 3, "a new catalogue version is judged again"
