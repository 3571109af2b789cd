"""SQLite's write-ahead log holds a harvest's batches before they are copied into the database
(:data:`harvester.store.db.WAL_CHECKPOINT_PAGES`), and is cut back afterwards."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from harvester.store.db import WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, create_engine

PAGE = 4096


async def test_commits_leave_pages_in_the_log_until_the_checkpoint_size(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        async with engine.begin() as connection:
            pragma = connection.exec_driver_sql
            assert (await pragma("PRAGMA wal_autocheckpoint")).scalar() == WAL_CHECKPOINT_PAGES
            assert (await pragma("PRAGMA journal_size_limit")).scalar() == WAL_SIZE_LIMIT
            await pragma("CREATE TABLE blob (pk INTEGER PRIMARY KEY, body BLOB)")
        for _ in range(6):  # ~3,500 pages in six commits: SQLite's default would copy
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text("INSERT INTO blob (body) VALUES (randomblob(:size))"),
                    [{"size": 2 * PAGE} for _ in range(250)],
                )
        async with engine.connect() as connection:
            busy, logged, copied = (
                await connection.execute(sa.text("PRAGMA wal_checkpoint(PASSIVE)"))
            ).one()
        assert busy == 0
        assert 2_000 < logged < WAL_CHECKPOINT_PAGES, "no commit checkpointed the log"
        assert copied == logged
    finally:
        await engine.dispose()
