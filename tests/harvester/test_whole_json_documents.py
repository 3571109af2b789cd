"""Migration 0022: a dataset's record and a raw payload are ``json`` on PostgreSQL (checked
and stored as written, not parsed into ``jsonb``), so they come back with their keys in the
order they were written, through the ``COPY`` of new rows and the upsert of changed ones
alike; the downgrade brings ``jsonb`` back with the same documents."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from connectors.base import RawRecord as Raw
from harvester.store.datasets import Harvested
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import alembic_config, upgrade_async
from harvester.store.tables import Dataset, RawRecord
from tests.api import corpus

# keys no sorting gives back: jsonb orders them by length, then bytes
FIRST = {"zone": "nord", "id": "d1", "a": 1, "titre": {"fr": "Pistes", "en": "Trails"}}
SECOND = {"titre": {"en": "Trails", "fr": "Pistes cyclables"}, "b": [3, 1], "id": "d1"}


def _item(payload: dict[str, Any], title: str) -> Harvested:
    item = corpus.record("d1", {"fr": title, "en": "Trails"}, keywords=["vélo"])
    item.raw = Raw("d1", payload, corpus.NOW)
    return item


@pytest.fixture(autouse=True)
async def sources(database_url: str) -> AsyncIterator[None]:
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    yield
    await engine.dispose()


async def _stored(url: str) -> tuple[Any, dict[str, Any]]:
    """The stored payload and record, read by an engine of their own (a migration changes
    the types its prepared statements were planned with)."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        payload = await session.scalar(sa.select(RawRecord.payload))
        record = await session.scalar(sa.select(Dataset.record))  # type: ignore[call-overload]
    await engine.dispose()
    assert isinstance(record, dict)
    return payload, record


async def _types(url: str) -> dict[str, str]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        rows = await session.execute(
            sa.text(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                "WHERE (table_name, column_name) IN (('dataset', 'record'), ('raw_record', 'payload'))"
            )
        )
    await engine.dispose()
    return {name: kind for name, kind in rows}


async def test_documents_keep_the_order_of_their_keys(
    database_url: str,
) -> None:
    first = _item(FIRST, "Pistes")
    await corpus.write(database_url, "ville", [first])  # new rows (COPY on PostgreSQL)
    payload, record = await _stored(database_url)
    assert list(payload) == list(FIRST) and payload == FIRST
    assert list(payload["titre"]) == ["fr", "en"]
    dumped = corpus.record_of(first).model_dump(mode="json")
    assert list(record) == list(dumped) and record == dumped

    second = _item(SECOND, "Pistes cyclables")
    await corpus.write(database_url, "ville", [second])  # changed rows (upsert)
    payload, record = await _stored(database_url)
    assert list(payload) == list(SECOND) and list(payload["titre"]) == ["en", "fr"]
    assert record["title"] == {"fr": "Pistes cyclables", "en": "Trails"}
    assert list(record) == list(corpus.record_of(second).model_dump(mode="json"))


async def test_postgresql_stores_them_as_json_and_the_downgrade_as_jsonb(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite keeps JSON as text: 0022 changes PostgreSQL only")
    await corpus.write(database_url, "ville", [_item(FIRST, "Pistes")])
    assert await _types(database_url) == {"dataset.record": "json", "raw_record.payload": "json"}
    before = await _stored(database_url)

    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0021_facet_rows_without_fk")
    assert await _types(database_url) == {"dataset.record": "jsonb", "raw_record.payload": "jsonb"}
    assert await _stored(database_url) == before  # the same documents, keys sorted

    await upgrade_async(database_url)
    assert await _types(database_url) == {"dataset.record": "json", "raw_record.payload": "json"}
    assert await _stored(database_url) == before
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        lz4 = "lz4" in str(
            await session.scalar(
                sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
            )
        )
        methods = await session.execute(
            sa.text(
                "SELECT attname, attcompression::text FROM pg_attribute WHERE attrelid IN "
                "('dataset'::regclass, 'raw_record'::regclass) AND attname IN ('record', 'payload')"
            )
        )
    await engine.dispose()
    # the type change resets a column's compression: 0022 sets lz4 again (0015)
    expected = "l" if lz4 else ""
    assert {name: method for name, method in methods} == {"record": expected, "payload": expected}
