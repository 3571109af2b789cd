"""SQLite reads on the event loop's thread, everything else on the connection's thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from harvester.store import sqlite_inline
from harvester.store.db import create_engine
from harvester.store.sqlite_inline import LongReads, _reads_never_wait, long_reads, read_rows

read_within = sqlite_inline._read_within

COUNT_TO = 3_000_000  # a read of ~0.3-1 s: far past any budget below
LONG_READ = sa.text(
    "SELECT (SELECT count(*) FROM (WITH RECURSIVE c(x) AS "
    f"(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {COUNT_TO}) SELECT x FROM c)), "
    "thread_name()"
)


def _engine(path: Path, budget_ms: float) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}", sqlite_inline_ms=budget_ms)

    @event.listens_for(engine.sync_engine, "connect")
    def _thread_name(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_name", 0, lambda: threading.current_thread().name)

    return engine


@pytest.fixture
async def inline(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = _engine(tmp_path / "inline.db", budget_ms=5)
    long_reads.clear()  # no statement remembered as long by another test
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE t (n INTEGER, thread TEXT)"))
    yield engine
    await engine.dispose()


async def test_a_short_read_runs_on_the_event_loop_thread(inline: AsyncEngine) -> None:
    async with inline.connect() as connection:
        name = await connection.scalar(sa.text("SELECT thread_name()"))
    assert name == threading.current_thread().name


async def test_with_no_budget_every_read_runs_on_the_connection_thread(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "thread.db", budget_ms=0)
    try:
        async with engine.connect() as connection:
            name = await connection.scalar(sa.text("SELECT thread_name()"))
    finally:
        await engine.dispose()
    assert name != threading.current_thread().name


async def test_writes_run_on_the_connection_thread_and_persist(inline: AsyncEngine) -> None:
    async with inline.begin() as connection:
        await connection.execute(sa.text("INSERT INTO t VALUES (1, thread_name())"))
        await connection.execute(
            sa.text("INSERT INTO t (n) VALUES (:n)"), [{"n": n} for n in range(2, 6)]
        )
    async with inline.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT n, thread FROM t ORDER BY n"))).all()
    assert [n for n, _ in rows] == [1, 2, 3, 4, 5]
    assert rows[0][1] not in (None, threading.current_thread().name)


async def test_a_long_read_moves_to_the_thread_without_holding_the_loop(
    inline: AsyncEngine,
) -> None:
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    async with inline.connect() as connection:
        count, name = (await connection.execute(LONG_READ)).one()
    took = time.perf_counter() - started
    stop.set()
    await ticking
    assert count == COUNT_TO  # run again from the start on the thread: the whole answer
    assert name != threading.current_thread().name
    # the read took far longer than the budget, but the loop was held only ~the budget
    assert took > 0.1
    assert max(gaps) < took / 2


async def test_a_failing_read_raises_as_before(inline: AsyncEngine) -> None:
    async with inline.connect() as connection:
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(sa.text("SELECT * FROM missing"))
        assert await connection.scalar(sa.text("SELECT 1")) == 1  # still usable


async def test_streamed_rows_come_from_the_thread_in_chunks(inline: AsyncEngine) -> None:
    async with inline.begin() as connection:
        await connection.execute(
            sa.text("INSERT INTO t (n) VALUES (:n)"), [{"n": n} for n in range(3000)]
        )
    async with inline.connect() as connection:
        result = await connection.stream(sa.text("SELECT n, thread_name() FROM t ORDER BY n"))
        seen = [row async for row in result]
    assert [row[0] for row in seen] == list(range(3000))
    assert {row[1] for row in seen} != {threading.current_thread().name}


def test_reads_inline_only_where_a_reader_never_waits(tmp_path: Path) -> None:
    wal = sqlite3.connect(tmp_path / "wal.db")
    wal.execute("PRAGMA journal_mode=WAL")
    rollback_journal = sqlite3.connect(tmp_path / "delete.db")
    rollback_journal.execute("PRAGMA journal_mode=DELETE")
    memory = sqlite3.connect(":memory:")
    try:
        assert _reads_never_wait(wal)
        assert _reads_never_wait(memory)
        assert not _reads_never_wait(rollback_journal)  # a reader may wait for a writer
    finally:
        for connection in (wal, rollback_journal, memory):
            connection.close()


async def test_read_rows_runs_sql_text_inline_and_moves_long_reads(inline: AsyncEngine) -> None:
    """``read_rows`` (a search's fixed statements as SQL text) reads as the cursor does:
    on the loop's thread within the budget, on the connection's past it."""
    from sqlalchemy.ext.asyncio import AsyncSession

    loop_thread = threading.current_thread().name
    async with AsyncSession(inline) as session:
        rows = await read_rows(session, "SELECT ?, thread_name()", [7])
        assert rows == [(7, loop_thread)]
        long_sql = str(LONG_READ.compile(dialect=inline.dialect))
        [(count, thread)] = await read_rows(session, long_sql)
        assert count == COUNT_TO and thread != loop_thread
        with pytest.raises(sqlite3.OperationalError):
            await read_rows(session, "SELECT * FROM no_such_table")


async def test_read_rows_on_an_engine_of_sqlalchemys_own_adapter(tmp_path: Path) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    try:
        async with AsyncSession(engine) as session:
            assert await read_rows(session, "SELECT ? + 1, 'x'", [1]) == [(2, "x")]
    finally:
        await engine.dispose()


async def test_a_read_once_past_the_budget_goes_straight_to_the_thread(
    inline: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same SQL again skips the inline attempt (the budget spent for nothing), until a
    run on the thread fits in the budget; then it is read inline again."""
    from sqlalchemy.ext.asyncio import AsyncSession

    loop_thread = threading.current_thread().name
    long_reads.clear()
    attempts: list[str] = []

    def counted(connection: Any, cursor: Any, operation: str, *rest: Any) -> Any:
        attempts.append(operation)
        return read_within(connection, cursor, operation, *rest)

    monkeypatch.setattr(sqlite_inline, "_read_within", counted)
    long_sql = str(LONG_READ.compile(dialect=inline.dialect))
    short_sql = "SELECT ?, thread_name()"
    async with AsyncSession(inline) as session:
        assert (await read_rows(session, long_sql))[0][0] == COUNT_TO
        assert attempts == [long_sql] and long_sql in long_reads
        [(count, thread)] = await read_rows(session, long_sql)
        assert (count, attempts) == (COUNT_TO, [long_sql])  # no second inline attempt
        assert thread != loop_thread and long_sql in long_reads  # still past the budget
        long_reads.mark(short_sql)  # as if it had been slow once
        assert (await read_rows(session, short_sql, [1]))[0][1] != loop_thread
        assert short_sql not in long_reads  # it fitted: forgotten
        assert await read_rows(session, short_sql, [2]) == [(2, loop_thread)]
    long_reads.clear()


def test_long_reads_keep_the_latest_statements() -> None:
    kept = LongReads(size=2)
    for sql in ("a", "b", "a", "c"):
        kept.mark(sql)
    assert ("a" in kept, "b" in kept, "c" in kept) == (True, False, True)
    kept.forget("a")
    assert "a" not in kept
