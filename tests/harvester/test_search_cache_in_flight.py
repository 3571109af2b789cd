"""PostgreSQL commits out of stamp order: a text query's cached counts must be made again
after a commit that leaves the catalogue version as it was, and must not be made again
after commits that wrote nothing this database's datasets hold."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search import facet_counts
from harvester.search.engine import SearchRequest, SearchResult, search
from harvester.search.version import catalog_version
from harvester.store.datasets import write_batch
from harvester.store.db import create_engine, session_factory
from tests.api import corpus
from tests.harvester.search_support import spy_counts
from tests.harvester.test_search_ranked import _seed

REQUEST = SearchRequest(q="parc", limit=2, facets=["format"])


def _postgres(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: nothing commits below the newest stamp")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return spy_counts(monkeypatch)


async def _search(sessions: async_sessionmaker[AsyncSession]) -> SearchResult[Any]:
    async with sessions() as session:
        return await search(session, REQUEST)


async def _stamp(sessions: async_sessionmaker[AsyncSession]) -> Any:
    """The catalogue's newest stamp and write time."""
    async with sessions() as session:
        return (await catalog_version(session))[:2]


async def test_a_commit_below_the_newest_stamp_counts_afresh_behind_an_older_transaction(
    database_url: str, sessions: async_sessionmaker[AsyncSession], counted: list[str]
) -> None:
    """An older transaction (here one holding an id and doing nothing) pins the snapshot's
    oldest running id; a dataset committed below the newest stamp must still be counted."""
    _postgres(database_url)
    await _seed(database_url)
    engine = create_engine(database_url)
    older, slow = session_factory(engine)(), session_factory(engine)()
    try:
        await older.begin()
        await older.execute(sa.text("SELECT pg_current_xact_id()"))
        await slow.begin()
        slow_item = corpus.record("lent", {"fr": "Parc lent"}, formats=["XLS"])
        await write_batch(slow, "ville", [slow_item], now=corpus.NOW)
        await corpus.write(
            database_url, "ville", [corpus.record("vite", {"fr": "Parc vite"})], corpus.LATER
        )
        facet_counts.clear()
        before = await _search(sessions)
        stamp = await _stamp(sessions)
        await slow.commit()
        assert await _stamp(sessions) == stamp, "the commit landed below the newest stamp"
        counted.clear()
        after = await _search(sessions)
    finally:
        await older.rollback()
        await older.close()
        await slow.close()
        await engine.dispose()
    assert counted, "the counts are made again"
    assert after.total == before.total + 1
    assert ("XLS", 1) in after.facets["format"]


async def test_a_transaction_that_took_its_id_after_the_read_counts_afresh(
    database_url: str, sessions: async_sessionmaker[AsyncSession], counted: list[str]
) -> None:
    """A stamp drawn before the counts were read, by a transaction whose id came after them
    (the stamp trigger draws the sequence first): here a dataset written after the counts
    and given an old stamp and write time, which leaves the version as it was."""
    _postgres(database_url)
    await _seed(database_url)
    facet_counts.clear()
    before = await _search(sessions)
    stamp = await _stamp(sessions)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            item = corpus.record("tard", {"fr": "Parc tardif"}, formats=["XLS"])
            await write_batch(session, "ville", [item], now=corpus.NOW - timedelta(days=1))
            # the trigger stamps content changes only: this update keeps the low stamp
            await session.execute(
                sa.text("UPDATE dataset SET change_seq = 1 WHERE remote_id = 'tard'")
            )
    finally:
        await engine.dispose()
    assert await _stamp(sessions) == stamp, "the version did not move"
    counted.clear()
    after = await _search(sessions)
    assert counted, "the counts are made again"
    assert after.total == before.total + 1
    assert ("XLS", 1) in after.facets["format"]


async def _take_an_id_and_commit(database_url: str) -> None:
    """A transaction of this database that takes an id and commits, writing nothing."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(sa.text("SELECT pg_current_xact_id()"))
    finally:
        await engine.dispose()


async def test_commits_that_wrote_no_dataset_keep_the_counts(
    database_url: str, sessions: async_sessionmaker[AsyncSession], counted: list[str]
) -> None:
    """Transactions that come and go between two calls (here ones taking an id and
    committing, as writes to other tables or other databases of the cluster do) leave the
    cached counts in use."""
    _postgres(database_url)
    await _seed(database_url)
    facet_counts.clear()
    before = await _search(sessions)
    for _ in range(3):
        await _take_an_id_and_commit(database_url)
    counted.clear()
    again = await _search(sessions)
    assert not counted, "nothing in flight, nothing written: the counts are served"
    assert (again.total, again.facets) == (before.total, before.facets)


async def test_transactions_of_other_databases_keep_the_counts(
    database_url: str, sessions: async_sessionmaker[AsyncSession], counted: list[str]
) -> None:
    """Transaction ids are cluster-wide: one running in another database cannot write this
    catalogue and must not change the key while it runs."""
    _postgres(database_url)
    await _seed(database_url)
    facet_counts.clear()
    before = await _search(sessions)
    other_url = os.environ["MOISSON_TEST_POSTGRES_URL"]  # the base database, not this test's
    assert make_url(other_url).database != make_url(database_url).database
    other = create_engine(other_url)
    try:
        async with other.connect() as connection:
            await connection.execute(sa.text("SELECT pg_current_xact_id()"))  # holds an id
            await _take_an_id_and_commit(database_url)  # its id is now below any xmax
            counted.clear()
            again = await _search(sessions)
            assert not counted, "a transaction in another database is not this catalogue's"
            await connection.rollback()
    finally:
        await other.dispose()
    assert (again.total, again.facets) == (before.total, before.facets)
