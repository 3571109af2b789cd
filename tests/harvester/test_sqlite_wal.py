"""SQLite's write-ahead log holds a harvest's batches until a thread of its own copies them
into the database (:mod:`harvester.store.sqlite_checkpoints`) or the commit that fills
:data:`harvester.store.db.WAL_CHECKPOINT_PAGES` does; the file is cut back afterwards."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from harvester.store.db import WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, create_engine

PAGE = 4096
HOUR = 3600.0


async def _write_pages(engine: AsyncEngine, commits: int = 6) -> None:
    """~600 pages a commit."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS blob (pk INTEGER PRIMARY KEY, body BLOB)"
        )
    for _ in range(commits):
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("INSERT INTO blob (body) VALUES (randomblob(:size))"),
                [{"size": 2 * PAGE} for _ in range(250)],
            )


def _pages_in_database_file(path: Path) -> int:
    """The database size the file's own header gives: what checkpoints copied so far."""
    with path.open("rb") as file:
        return int.from_bytes(file.read(32)[28:32], "big")


async def _pragmas(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        return (
            (await pragma("PRAGMA wal_autocheckpoint")).scalar_one(),
            (await pragma("PRAGMA journal_size_limit")).scalar_one(),
        )


def _checkpoint_threads() -> int:
    return sum(thread.name == "sqlite-checkpoints" for thread in threading.enumerate())


async def test_commits_leave_pages_in_the_log_until_the_checkpoint_size(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}", sqlite_checkpoint_s=0)
    try:
        assert await _pragmas(engine) == (WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT)
        await _write_pages(engine)  # ~3,500 pages in six commits: SQLite's default would copy
        async with engine.connect() as connection:
            busy, logged, copied = (
                await connection.execute(sa.text("PRAGMA wal_checkpoint(PASSIVE)"))
            ).one()
        assert busy == 0
        assert 2_000 < logged < WAL_CHECKPOINT_PAGES, "no commit checkpointed the log"
        assert copied == logged
        assert _checkpoint_threads() == 0, "no thread checkpoints with the setting at 0"
    finally:
        await engine.dispose()


async def test_a_thread_copies_the_log_while_commits_leave_it(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", sqlite_checkpoint_s=0.05)
    try:
        assert await _pragmas(engine) == (WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT)
        await _write_pages(engine)
        for _ in range(200):  # 10 s at most
            if _pages_in_database_file(path) >= 3_000:
                break
            await asyncio.sleep(0.05)
        assert _pages_in_database_file(path) >= 3_000, "the thread copied the log back"
    finally:
        await engine.dispose()
    assert _checkpoint_threads() == 0, "disposing of the engine stops its thread"


async def test_the_log_starts_again_once_full_while_the_thread_copies(tmp_path: Path) -> None:
    """The thread copies pages but cannot restart the log; the commit that fills it does
    (or, when the thread was checkpointing just then, one of the next few), so the file
    stays within a checkpoint's worth and a few commits (~600 pages each): eight allowed,
    as a loaded machine kept the thread checkpointing through five or six (a log that
    never started again would reach the ~24,000 pages written)."""
    path = tmp_path / "wal.db"
    log = tmp_path / "wal.db-wal"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", sqlite_checkpoint_s=0.05)
    largest = 0
    try:
        for _ in range(40):  # ~24,000 pages: half again the checkpoint size
            await _write_pages(engine, commits=1)
            largest = max(largest, log.stat().st_size)
        assert _pages_in_database_file(path) > WAL_CHECKPOINT_PAGES
    finally:
        await engine.dispose()
    frame = PAGE + 24
    assert largest <= (WAL_CHECKPOINT_PAGES + 8 * 600) * frame, "the log started again"


async def test_the_thread_starts_again_when_a_disposed_engine_connects(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}", sqlite_checkpoint_s=HOUR)
    try:
        await _write_pages(engine, commits=1)
        await engine.dispose()
        assert _checkpoint_threads() == 0
        await _write_pages(engine, commits=1)
        assert _checkpoint_threads() == 1
    finally:
        await engine.dispose()


async def test_a_forgotten_engine_stops_its_thread(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}",
        sqlite_checkpoint_s=HOUR,
        poolclass=NullPool,  # no connection left open once dropped
    )
    await _write_pages(engine, commits=1)
    assert _checkpoint_threads() == 1
    del engine
    gc.collect()
    assert _checkpoint_threads() == 0


async def test_an_in_memory_database_has_no_thread() -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
        assert _checkpoint_threads() == 0
    finally:
        await engine.dispose()
