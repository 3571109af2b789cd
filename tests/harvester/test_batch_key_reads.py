"""A harvest batch's reads by key bind their keys as one parameter
(:mod:`harvester.store.among`), and the search index takes each dataset's rank key from the
richness the batch wrote: on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from harvester.search.rank import rank_key
from harvester.store.among import among
from harvester.store.db import create_engine, session_factory
from harvester.store.tables import Dataset
from tests.api import corpus
from tests.harvester.plan_support import plan_lines

ODD_IDS = ["plain", "o'brien", 'say "hi"', "back\\slash", "Montréal-été", "[1, 2]", "ﬁn ✓"]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    items = [corpus.record(remote_id, {"fr": f"Jeu {remote_id}"}) for remote_id in ODD_IDS]
    await corpus.write(database_url, "ville", items)
    yield engine
    await engine.dispose()


async def _remote_ids(engine: AsyncEngine, ids: list[Any]) -> list[str]:
    d = Dataset.__table__.c  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.select(d.remote_id).where(
                d.source_id == "ville", among(d.remote_id, ids, engine.dialect.name)
            )
        )
        return sorted(found.scalars())


@pytest.mark.parametrize(
    "ids",
    [[], ["plain"], ODD_IDS, ["o'brien", "o'brien", "missing", "ﬁn ✓", "PLAIN", "plain "]],
    ids=["none", "one", "all odd", "duplicates and misses"],
)
async def test_among_selects_exactly_the_listed_keys(engine: AsyncEngine, ids: list[str]) -> None:
    assert await _remote_ids(engine, ids) == sorted(set(ids) & set(ODD_IDS))


async def test_among_takes_integer_keys(engine: AsyncEngine) -> None:
    d = Dataset.__table__.c  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        pks = sorted((await connection.execute(sa.select(d.pk))).scalars())
        wanted = [pks[0], pks[-1], pks[-1] + 1000]
        found = await connection.execute(
            sa.select(d.pk).where(among(d.pk, wanted, engine.dialect.name))
        )
        assert sorted(found.scalars()) == [pks[0], pks[-1]]


async def test_the_statement_is_the_same_for_any_number_of_keys(engine: AsyncEngine) -> None:
    """One statement text for every batch (an expanding ``IN`` renders one per count)."""
    statements: list[str] = []

    def remember(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        assert await _remote_ids(engine, ODD_IDS[:2]) == sorted(ODD_IDS[:2])
        assert await _remote_ids(engine, ODD_IDS) == sorted(ODD_IDS)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    reads = [sql for sql in statements if "remote_id" in sql]
    assert len(reads) == 2 and reads[0] == reads[1]


async def test_the_keys_are_looked_up_in_the_unique_index(engine: AsyncEngine) -> None:
    d = Dataset.__table__.c  # type: ignore[attr-defined]
    statement = sa.select(d.pk).where(
        d.source_id == "ville", among(d.remote_id, ODD_IDS, engine.dialect.name)
    )
    compiled = statement.compile(dialect=engine.dialect)
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        plan = " ".join(await plan_lines(connection, str(compiled), parameters))
    if sqlite:
        assert "SEARCH dataset USING COVERING INDEX" in plan, plan
        assert "(source_id=? AND remote_id=?)" in plan, plan
    else:
        assert "Seq Scan" not in plan and "uq_dataset_source_remote" in plan, plan
        assert "remote_id)::text = ANY" in plan, plan


async def _index_keys(engine: AsyncEngine) -> dict[str, int]:
    table = "search_key" if engine.dialect.name == "sqlite" else "search_doc"
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                f"SELECT dataset.remote_id, {table}.rank_key FROM {table} "
                f"JOIN dataset ON dataset.pk = {table}.dataset_pk"
            )
        )
        return {remote_id: key for remote_id, key in rows}


async def _expected_keys(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT remote_id, richness, pk FROM dataset"))
        return {remote_id: rank_key(richness, pk) for remote_id, richness, pk in rows}


async def test_index_keys_follow_the_richness_each_batch_writes(
    engine: AsyncEngine, database_url: str
) -> None:
    before = await _index_keys(engine)
    assert before == await _expected_keys(engine) and len(before) == len(ODD_IDS)
    # a re-harvest describes two datasets better: their rows and their keys move together
    richer = [
        corpus.record(
            remote_id,
            {"fr": f"Jeu {remote_id}", "en": f"Set {remote_id}"},
            description=corpus.LONG,
            keywords=["eau", "vélo", "parc"],
            licence="cc-by-4.0",
        )
        for remote_id in ODD_IDS[:2]
    ]
    await corpus.write(database_url, "ville", richer)
    after = await _index_keys(engine)
    assert after == await _expected_keys(engine)
    assert {rid for rid in ODD_IDS if after[rid] != before[rid]} == set(ODD_IDS[:2])
    if engine.dialect.name == "sqlite":  # one full-text row per dataset, under its new key
        async with engine.connect() as connection:
            rowids = (await connection.execute(sa.text("SELECT rowid FROM search_fts"))).scalars()
            assert sorted(rowids) == sorted(after.values())
