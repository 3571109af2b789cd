"""Rewriting changed datasets and withdrawing datasets delete and update their rows by key,
never by scanning a table: a re-harvest that changes 5 % of a million datasets rewrites
50 k datasets' rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from harvester.store.datasets import write_batch
from harvester.store.db import session_factory
from harvester.store.withdrawals import withdraw
from tests.api import corpus
from tests.harvester.plan_support import plan_lines

TITLES = {f"jeu-{n}": f"Jeu de données {n}" for n in range(12)}


@contextmanager
def _writes(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The ``DELETE`` and ``UPDATE`` statements run on ``engine`` meanwhile, with their
    first rows' parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cu: Any, statement: str, parameters: Any, _x: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("DELETE", "UPDATE")):
            seen.append((statement, parameters[0] if many else parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _full_scans(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    """The plan lines of ``statement`` that read a whole table (FTS5 tables look their
    rows up through their own virtual-table index)."""
    async with engine.begin() as connection:
        lines = await plan_lines(connection, statement, parameters)
    if engine.dialect.name == "sqlite":
        return [line for line in lines if "SCAN" in line and "VIRTUAL TABLE" not in line]
    return [line for line in lines if "Seq Scan" in line]


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on a catalogue of the :data:`TITLES` datasets, indexed."""
    sessions = session_factory(engine)
    await corpus.add_sources(sessions)
    first = [
        corpus.record(key, {"fr": title}, keywords=["ancien"]) for key, title in TITLES.items()
    ]
    async with sessions() as session, session.begin():
        await write_batch(session, "ville", first, now=corpus.NOW)
    return sessions


async def test_changed_datasets_lose_their_old_index_rows_by_key(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    changed = [
        corpus.record(key, {"fr": f"{title} (révisé)"}, keywords=["nouveau"])
        for key, title in TITLES.items()
    ]
    with _writes(engine) as deletes:
        async with sessions() as session, session.begin():
            result = await write_batch(session, "ville", changed[:5], now=corpus.LATER)
    assert result.updated == 5
    tables = {
        re.split(r"\s+", statement.split("FROM", 1)[1].strip())[0] for statement, _ in deletes
    }
    assert "dataset_facet" in tables, "a keyword that went away deletes its facet row"
    if engine.dialect.name == "sqlite":  # PostgreSQL upserts its search rows
        assert {"search_fts", "search_title", "search_key"} <= tables
    for statement, parameters in deletes:
        assert not await _full_scans(engine, statement, parameters), statement
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            keys = await connection.execute(
                sa.text("SELECT count(*), count(DISTINCT rank_key) FROM search_key")
            )
            assert tuple(keys.one()) == (len(TITLES), len(TITLES))
            orphans = await connection.scalar(
                sa.text(
                    "SELECT count(*) FROM search_fts "
                    "WHERE rowid NOT IN (SELECT rank_key FROM search_key)"
                )
            )
            assert orphans == 0


async def test_withdrawn_datasets_leave_the_index_by_key(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with engine.connect() as connection:
        pks = list(
            (await connection.execute(sa.text("SELECT pk FROM dataset ORDER BY pk"))).scalars()
        )
    with _writes(engine) as writes:
        async with sessions() as session, session.begin():
            assert await withdraw(session, pks[:4], corpus.LATER) == 4
    assert any(statement.lstrip().upper().startswith("UPDATE") for statement, _ in writes)
    for statement, parameters in writes:
        assert not await _full_scans(engine, statement, parameters), statement
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            kept = await connection.execute(sa.text("SELECT dataset_pk FROM search_key"))
            assert sorted(kept.scalars()) == pks[4:]
