"""SQLite's bulk writes through the driver (:mod:`harvester.store.bulk`) store exactly what
SQLAlchemy's own ``executemany`` stores: the recorded CKAN packages written both ways,
inserted then updated, leave byte-identical tables."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import create_async_engine

from harvester.store import bulk, quality
from harvester.store.datasets import Harvested, write_batch
from harvester.store.db import create_engine, json_text, session_factory
from harvester.store.tables import Partner, Source
from harvester.store.types import JSONDocument, UTCDateTime, WholeJSONDocument, utcnow
from tests.api import corpus

NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
LATER = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
TABLES = (
    "dataset",
    "raw_record",
    "dataset_quality",
    "dataset_facet",
    "dataset_facet_set",
    "search_key",
    "search_fts",
    "search_title",
)


def _edited(items: list[Harvested]) -> list[Harvested]:
    """Every other record changed (title, modified date, no keywords): rewritten rows."""
    edited = []
    for index, item in enumerate(items):
        assert item.record is not None
        if index % 2:
            record = item.record.model_copy(
                update={
                    "title": {"fr": f"Titre {index} — révisé"},
                    "modified": LATER,
                    "keywords": {},
                }
            )
            item = Harvested(raw=item.raw, record=record)
        edited.append(item)
    return edited


async def _write(url: str, rounds: list[list[Harvested]], batch: int = 40) -> None:
    """Write ``rounds`` (at ``NOW``, then ``LATER``), ``batch`` records a transaction."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(Partner(id="portail", name="Portail", kind="public_body"))
        session.add(
            Source(id="portail", partner_id="portail", url="https://p.example.org", platform="ckan")
        )
    for now, items in zip((NOW, LATER), rounds, strict=True):
        for start in range(0, len(items), batch):
            async with sessions() as session, session.begin():
                await write_batch(
                    session, "portail", items[start : start + batch], now=now, mapping_key="m"
                )
    await engine.dispose()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    import sqlite3

    connection = sqlite3.connect(path)
    dumped = {}
    for table in TABLES:
        columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        quoted = ", ".join(
            ["quote(rowid)"] * (table.startswith("search_") and table != "search_key")
        )
        quoted += (", " if quoted else "") + ", ".join(f"quote({c}), typeof({c})" for c in columns)
        dumped[table] = connection.execute(f"SELECT {quoted} FROM {table} ORDER BY 1, 2").fetchall()
    connection.close()
    return dumped


async def test_driver_rows_store_what_sqlalchemy_stores(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quality, "utcnow", lambda: NOW)
    items = corpus.ckan_items()
    assert len(items) > 40, "several batches"
    rounds = [items, _edited(items)]
    dumps = []
    for driver_rows in (True, False):
        monkeypatch.setattr(bulk, "DRIVER_ROWS", driver_rows)
        path = tmp_path / f"driver_{driver_rows}.db"
        shutil.copy(sqlite_template, path)
        await _write(f"sqlite+aiosqlite:///{path}", rounds)
        dumps.append(_dump(path))
    through_driver, through_sqlalchemy = dumps
    assert len(through_driver["dataset"]) == len(items)
    assert sum("révisé" in str(row) for row in through_driver["dataset"]) == len(items) // 2
    for table in TABLES:
        assert through_driver[table] == through_sqlalchemy[table], table


THINGS = sa.Table(
    "things",
    sa.MetaData(),
    sa.Column("pk", sa.Integer, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("seen", UTCDateTime),
    sa.Column("doc", JSONDocument),
    sa.Column("kind", sa.String, default="plain"),
    sa.Column("stamped", UTCDateTime, default=utcnow),
    sa.Column("score", sa.Integer),
)
DIALECT = create_engine("sqlite+aiosqlite://").sync_engine.dialect


def test_rows_become_tuples_with_literals_scalar_defaults_and_sqlalchemys_conversions() -> None:
    statement = bulk.BulkStatement(
        sqlite.insert(THINGS).values(score=sa.literal(7) + 1),
        ["name", "seen", "doc", "stamped"],
        DIALECT,
    )
    assert statement.sql == (
        "INSERT INTO things (name, seen, doc, kind, stamped, score)"
        " VALUES (?, ?, CAST(? AS TEXT), ?, ?, (? + ?))"
    )
    row = {"name": "a", "seen": NOW, "doc": {"b": [1, None]}, "stamped": None}
    assert statement.tuples([row]) == [
        ("a", "2026-03-04 05:06:07.890123", b'{"b":[1,null]}', "plain", None, 7, 1)
    ]
    with pytest.raises(KeyError):
        statement.tuples([row, {"name": "b"}])


def test_json_goes_as_utf8_cast_to_text_only_with_moissons_serializer() -> None:
    """The bytes bound are what the engine's serializer would have decoded; an engine with
    another serializer binds its text as SQLAlchemy does."""
    import sqlite3

    doc = {"titre": "Données — l’œuvre", "n": [1.5, None]}
    keys = ["name", "doc", "stamped"]
    row = {"name": "a", "doc": doc, "stamped": None}
    statement = bulk.BulkStatement(sqlite.insert(THINGS), keys, DIALECT)
    ((_, value, *_),) = statement.tuples([row])
    assert value == json_text(doc).encode()
    connection = sqlite3.connect(":memory:")
    stored = connection.execute("SELECT CAST(? AS TEXT), typeof(CAST(? AS TEXT))", (value, value))
    assert stored.fetchone() == (json_text(doc), "text")

    assert bulk._with_casts("SELECT '?', ?", [False]) == "SELECT '?', ?"
    with pytest.raises(ValueError):
        bulk._with_casts("SELECT '?', ?", [True])

    other = sa.create_engine("sqlite://").dialect
    plain = bulk.BulkStatement(sqlite.insert(THINGS), keys, other)
    assert "CAST" not in plain.sql
    ((_, text_value, *_),) = plain.tuples([row])
    assert isinstance(text_value, str) and json.loads(text_value) == doc


def test_dates_repeated_across_rows_convert_as_each_alone() -> None:
    """Date conversions are remembered per value within a batch: the same instant in
    another zone, a naive time (taken as UTC), absent and repeated values all come out as
    each row converted alone would."""
    statement = bulk.BulkStatement(sqlite.insert(THINGS), ["name", "seen", "stamped"], DIALECT)
    montreal = timezone(timedelta(hours=-5))
    values = [NOW, NOW.astimezone(montreal), NOW.replace(tzinfo=None), None, LATER, NOW, None]
    rows = [{"name": str(i), "seen": v, "stamped": values[-1 - i]} for i, v in enumerate(values)]
    together = statement.tuples(rows)
    alone = [statement.tuples([row])[0] for row in rows]
    assert together == alone
    assert {row[1] for row in together} == {
        "2026-03-04 05:06:07.890123",
        "2026-05-06 07:08:09.000000",
        None,
    }


def test_a_parameter_without_a_value_or_scalar_default_is_refused() -> None:
    with pytest.raises(KeyError, match="stamped"):  # a callable default: each row's own
        bulk.BulkStatement(sqlite.insert(THINGS), ["name"], DIALECT)
    with pytest.raises(KeyError, match="score"):
        bulk.BulkStatement(
            sqlite.insert(THINGS).values(score=sa.bindparam("score")), ["stamped"], DIALECT
        )
    with pytest.raises(ValueError, match="positions"):
        bulk.BulkStatement(
            postgresql.insert(THINGS), ["name"], postgresql.dialect(paramstyle="pyformat")
        )


async def test_copied_rows_belong_to_the_session_transaction(database_url: str) -> None:
    """PostgreSQL's ``COPY`` goes around SQLAlchemy; even as a transaction's first statement
    it is rolled back with it."""
    if database_url.startswith("sqlite"):
        pytest.skip("COPY is PostgreSQL's; SQLite inserts facet rows through the driver")
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            await session.begin()
            await bulk.copy_rows(
                session, "facet_total", ("facet", "value", "n"), [("format", "CSV", 3)]
            )
            assert await session.scalar(sa.text("SELECT count(*) FROM facet_total")) == 1
            await session.rollback()
        async with sessions() as session:
            assert await session.scalar(sa.text("SELECT count(*) FROM facet_total")) == 0
    finally:
        await engine.dispose()


def test_utc_times_are_written_as_sqlalchemy_writes_them() -> None:
    """``UTCDateTime``'s SQLite conversion (no %-formatting; every SQLite write, the bulk
    path's too) gives the text of SQLAlchemy's own chain for UTC, naive, offset and zoned
    values, around DST changes and at the ends of
    the calendar; in one batch too, where the second 1:30 of a DST change (equal to the
    first in its zone) is not taken for the first."""
    from zoneinfo import ZoneInfo

    from harvester.store.types import sqlite_utc_text

    montreal = ZoneInfo("America/Montreal")
    values = [
        None,
        NOW,
        NOW.replace(microsecond=0),
        NOW.replace(tzinfo=None),
        NOW.astimezone(timezone(timedelta(hours=5, minutes=30))),
        datetime(2024, 11, 3, 1, 30, tzinfo=montreal),
        datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=montreal),
        datetime(2024, 1, 1, tzinfo=ZoneInfo("UTC")),
        datetime(999, 1, 2, 3, 4, 5, 6),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-1))),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    column = UTCDateTime().dialect_impl(DIALECT)
    assert isinstance(column, UTCDateTime)  # a TypeDecorator's dialect copy
    assert column.bind_processor(DIALECT) is sqlite_utc_text  # every SQLite write
    # SQLAlchemy's own chain: process_bind_param, then SQLite's DATETIME formatting
    sqlalchemys = sa.types.TypeDecorator.bind_processor(column, DIALECT)
    assert sqlalchemys is not None
    assert [sqlite_utc_text(v) for v in values] == [sqlalchemys(v) for v in values]
    statement = bulk.BulkStatement(sqlite.insert(THINGS), ["name", "seen", "stamped"], DIALECT)
    rows = [{"name": "a", "seen": v, "stamped": None} for v in values]
    assert [row[1] for row in statement.tuples(rows)] == [sqlalchemys(v) for v in values]


def test_row_builders_quote_keys_and_keep_constants_and_processors_in_place() -> None:
    """The generated row function reads any key as a literal (quotes, backslashes, code),
    puts constants where they stand and calls each processor on its own column."""
    odd = ["it's", 'say "hi"', "back\\slash", "x']); import os; (['", "é\n"]
    columns = [
        bulk._Column(odd[0], None, True),
        bulk._Column(None, ("a", "constant"), False),
        bulk._Column(odd[1], None, False),
        bulk._Column(odd[2], None, True),
        bulk._Column(odd[3], None, False),
        bulk._Column(None, None, False),
        bulk._Column(odd[4], None, False),
    ]
    build = bulk._row_builder(columns)
    rows = [{key: f"{key}{n}" for key in odd} for n in range(3)]
    built = build(rows, str.upper, len)
    assert built == [
        (
            row[odd[0]].upper(),
            ("a", "constant"),
            row[odd[1]],
            len(row[odd[2]]),
            row[odd[3]],
            None,
            row[odd[4]],
        )
        for row in rows
    ]
    assert bulk._row_builder([])(rows) == [(), (), ()]


def test_postgresql_json_goes_as_utf8() -> None:
    """On PostgreSQL, bulk rows hand ``json`` and ``jsonb`` columns orjson's bytes, which the
    engine's codecs take as they are (no ``CAST``: ``COPY`` has no SQL); an engine with
    another serializer binds its text as SQLAlchemy does."""
    dialect = create_engine("postgresql+asyncpg://moisson@127.0.0.1/none").sync_engine.dialect
    table = sa.Table(
        "docs",
        sa.MetaData(),
        sa.Column("whole", WholeJSONDocument),
        sa.Column("queried", JSONDocument),
    )
    doc = {"titre": "Données — l’œuvre", "n": [1.5, None]}
    statement = bulk.BulkStatement(postgresql.insert(table), ["whole", "queried"], dialect)
    assert "CAST" not in statement.sql
    assert statement.tuples([{"whole": doc, "queried": doc}]) == [(json_text(doc).encode(),) * 2]

    other = create_async_engine("postgresql+asyncpg://moisson@127.0.0.1/none").sync_engine.dialect
    plain = bulk.BulkStatement(postgresql.insert(table), ["whole", "queried"], other)
    ((whole, queried),) = plain.tuples([{"whole": doc, "queried": doc}])
    assert isinstance(whole, str) and isinstance(queried, str)


async def test_postgresql_json_codecs_take_bytes_and_text(postgres_url: str) -> None:
    """The engine's ``json`` and ``jsonb`` codecs take orjson's bytes and text alike (a
    database not yet migrated to 0022 still has ``jsonb`` records); ``json`` reads documents
    back with their keys in order, ``jsonb`` sorted."""
    engine = create_engine(postgres_url)
    async with engine.connect() as connection:
        for sent in (b'{"zone":"nord","a":[1,"\xc3\xa9"]}', '{"zone":"nord","a":[1,"é"]}'):
            read = await connection.scalar(sa.text("SELECT CAST(:doc AS json)"), {"doc": sent})
            assert read == {"zone": "nord", "a": [1, "é"]} and list(read) == ["zone", "a"]
            read = await connection.scalar(sa.text("SELECT CAST(:doc AS jsonb)"), {"doc": sent})
            assert read == {"zone": "nord", "a": [1, "é"]} and list(read) == ["a", "zone"]
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        assert await driver.fetchval("SELECT $1::json", b'{"b":2}') == {"b": 2}
        assert await driver.fetchval("SELECT $1::jsonb", b'{"b":2,"a":1}') == {"a": 1, "b": 2}
    await engine.dispose()
