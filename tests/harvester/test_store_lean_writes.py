"""Migration 0014: one secondary index on ``dataset_facet`` (a ``WITHOUT ROWID`` table on
SQLite) that both facet readers use alone, and SQLite's inserts stamped with their change
position in the statement instead of a trigger that wrote each new row twice. Migration
0015: PostgreSQL compresses the large documents with lz4."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search.fields import FACETS
from harvester.store.migrate import alembic_config, upgrade_async
from tests.api import corpus

BEFORE = "0012_run_bytes_bigint"
LZ4_COLUMNS = {
    ("dataset", "record"),
    ("raw_record", "payload"),
    ("search_doc", "vector"),  # the texts it was generated from are gone since 0018
}


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's insert trigger and planner; PostgreSQL stamps in a BEFORE trigger")
    return database_url


async def _facet_rows(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[object, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.text(
                "SELECT d.remote_id, f.facet, f.value, f.visible FROM dataset_facet f "
                "JOIN dataset d ON d.pk = f.dataset_pk ORDER BY 1, 2, 3"
            )
        )
        return [
            (remote_id, facet, value, bool(visible)) for remote_id, facet, value, visible in rows
        ]


async def _facet_indexes(sessions: async_sessionmaker[AsyncSession], sqlite: bool) -> set[str]:
    async with sessions() as session:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dataset_facet' "
            "AND sql IS NOT NULL"
            if sqlite
            else "SELECT indexname FROM pg_indexes WHERE tablename = 'dataset_facet' "
            "AND indexname NOT LIKE '%pkey'"
        )
        return set((await session.execute(sa.text(query))).scalars())


async def test_migration_keeps_every_facet_row_both_ways(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sqlite = database_url.startswith("sqlite")
    await corpus.real(database_url)
    await corpus.synthetic(database_url)
    await corpus.withdraw(database_url, corpus.VILLE[0].raw.remote_id)
    written = await _facet_rows(sessions)
    assert len(written) > 500 and any(not visible for *_, visible in written)
    assert await _facet_indexes(sessions, sqlite) == {"ix_dataset_facet_value"}

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), BEFORE)
    assert await _facet_rows(sessions) == written
    assert await _facet_indexes(sessions, sqlite) == {
        "ix_dataset_facet_value",
        "ix_dataset_facet_visible",
    }
    await upgrade_async(database_url)
    assert await _facet_rows(sessions) == written
    assert await _facet_indexes(sessions, sqlite) == {"ix_dataset_facet_value"}
    if sqlite:
        async with sessions() as session:
            table = await session.scalar(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'dataset_facet'")
            )
        assert table is not None and table.rstrip().endswith("WITHOUT ROWID")
    # withdrawal still flips the rows' visibility through the recreated update trigger
    await corpus.withdraw(database_url, corpus.VILLE[1].raw.remote_id)
    hidden = {remote_id for remote_id, *_, visible in await _facet_rows(sessions) if not visible}
    assert hidden == {corpus.VILLE[0].raw.remote_id, corpus.VILLE[1].raw.remote_id}


async def test_facet_readers_use_the_one_index_alone(
    sqlite_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await corpus.synthetic(sqlite_url)
    names = ", ".join(f"'{name}'" for name in FACETS)
    readers = [  # a facet filter, and the whole-catalogue counts (facet_totals.refresh)
        "SELECT dataset_pk FROM dataset_facet WHERE facet = 'format' AND value IN ('CSV', 'PDF')",
        f"SELECT facet, value, count(*) FROM dataset_facet WHERE facet IN ({names}) "
        "AND visible = 1 GROUP BY facet, value",
    ]
    async with sessions() as session:
        for query in readers:
            plan = " ".join(
                str(row[-1])
                for row in await session.execute(sa.text(f"EXPLAIN QUERY PLAN {query}"))
            )
            assert "USING COVERING INDEX ix_dataset_facet_value" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


async def test_sqlite_inserts_write_each_new_dataset_row_once(
    sqlite_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(sa.text("CREATE TABLE rewritten (pk INTEGER)"))
        await session.execute(
            sa.text(
                "CREATE TRIGGER probe AFTER UPDATE ON dataset "
                "BEGIN INSERT INTO rewritten VALUES (NEW.pk); END"
            )
        )
    await corpus.synthetic(sqlite_url)
    async with sessions() as session:
        rewritten = (await session.execute(sa.text("SELECT count(*) FROM rewritten"))).scalar()
        stamps = (
            await session.execute(sa.text("SELECT change_seq FROM dataset ORDER BY pk"))
        ).scalars()
        assert rewritten == 0, "an inserted dataset row was written a second time"
        assert list(stamps) == list(range(1, len(corpus.SYNTHETIC) + 1))

    # a content change is still stamped (by the update trigger) after every insert
    changed = corpus.record(
        corpus.VILLE[0].raw.remote_id, {"fr": "Titre changé"}, keywords=["nouveau"]
    )
    await corpus.write(sqlite_url, "ville", [changed], now=corpus.NOW + timedelta(days=1))
    async with sessions() as session:
        stamp = await session.scalar(
            sa.text("SELECT change_seq FROM dataset WHERE remote_id = :r"),
            {"r": corpus.VILLE[0].raw.remote_id},
        )
    assert stamp == len(corpus.SYNTHETIC) + 1


async def test_a_row_inserted_without_a_stamp_still_gets_one(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await corpus.synthetic(database_url)
    async with sessions() as session, session.begin():
        highest = await session.scalar(sa.text("SELECT max(change_seq) FROM dataset"))
        now = corpus.NOW.replace(tzinfo=None) if database_url.startswith("sqlite") else corpus.NOW
        await session.execute(
            sa.text(
                "INSERT INTO dataset (id, source_id, remote_id, content_hash, record, title, "
                "first_seen, last_seen, updated_at) VALUES ('x' , 'ville', 'by-hand', 'h', "
                "'{}', 'By hand', :now, :now, :now)"
            ),
            {"now": now},
        )
    async with sessions() as session:
        stamp = await session.scalar(
            sa.text("SELECT change_seq FROM dataset WHERE remote_id = 'by-hand'")
        )
    assert highest is not None and stamp is not None and stamp > highest


async def test_postgresql_compresses_new_documents_with_lz4(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("TOAST compression is PostgreSQL's")
    async with sessions() as session:
        offered = await session.scalar(
            sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        )
        if "lz4" not in offered:
            pytest.skip("this PostgreSQL server was built without lz4")
        methods = {
            (table, column): method
            for table, column, method in await session.execute(
                sa.text(
                    "SELECT c.relname, a.attname, a.attcompression::text FROM pg_attribute a "
                    "JOIN pg_class c ON c.oid = a.attrelid "
                    "WHERE c.relname IN ('dataset', 'raw_record', 'search_doc') AND a.attnum > 0 "
                    "AND NOT a.attisdropped"
                )
            )
        }
    assert {key for key, method in methods.items() if method == "l"} == LZ4_COLUMNS
    await corpus.real(database_url)
    async with sessions() as session:
        compressed = await session.execute(
            sa.text(
                "SELECT DISTINCT pg_column_compression(record) FROM dataset "
                "WHERE pg_column_size(record) < octet_length(record::text)"
            )
        )
        assert set(compressed.scalars()) == {"lz4"}


async def test_quality_keeps_one_index_on_published(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sqlite = database_url.startswith("sqlite")
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dataset_quality' "
        "AND sql IS NOT NULL"
        if sqlite
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'dataset_quality' "
        "AND indexname NOT LIKE '%pkey'"
    )
    async with sessions() as session:
        names = set((await session.execute(sa.text(query))).scalars())
    assert names == {"ix_dataset_quality_published_order", "ix_dataset_quality_published_month"}
