"""On PostgreSQL, the dataset, raw, quality and search rows a batch knows to be new go by
``COPY`` (:func:`harvester.store.bulk.copy_new_rows`, :func:`~harvester.store.bulk.copy_text`):
what is stored is what the upsert stores, for batches of new rows, of rewritten ones and of
both."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from harvester.search import backend
from harvester.search.pg_vectors import vectors
from harvester.search.text import search_document
from harvester.store import bulk, quality
from harvester.store.datasets import Harvested
from harvester.store.db import create_engine, session_factory
from tests.api import corpus
from tests.conftest import _truncate
from tests.harvester.test_store_bulk import NOW, _edited, _write

STAMPS = {"pk", "dataset_pk", "change_seq", "change_txid"}
"""Columns that differ between two runs whatever wrote them: serial keys (rows are named by
their remote id instead), change stamps drawn from a sequence and the transaction id."""

DUMPED = {
    "dataset": "SELECT d.* FROM dataset d",
    "raw_record": "SELECT r.* FROM raw_record r",
    "dataset_facet": (
        "SELECT d.remote_id, f.facet, f.value, f.visible FROM dataset_facet f "
        "JOIN dataset d ON d.pk = f.dataset_pk"
    ),
    "dataset_quality": (
        "SELECT d.remote_id, q.* FROM dataset_quality q JOIN dataset d ON d.pk = q.dataset_pk"
    ),
    "search_doc": (
        "SELECT d.remote_id, s.vector, s.title_vector FROM search_doc s "
        "JOIN dataset d ON d.pk = s.dataset_pk"
    ),
}
"""Every table a batch writes, rows named by their dataset's remote id."""


async def _written(url: str, rounds: list[list[Harvested]]) -> dict[str, list[tuple[Any, ...]]]:
    """Write ``rounds`` (16 records a batch, as :func:`test_store_bulk._write` does) into an
    emptied database; its tables."""
    await _truncate(url)
    await _write(url, rounds, batch=16)
    engine = create_engine(url)
    dumped: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        for table, sql in DUMPED.items():
            result = await connection.execute(sa.text(sql))
            kept = [index for index, name in enumerate(result.keys()) if name not in STAMPS]
            dumped[table] = sorted(
                (tuple(str(row[index]) for index in kept) for row in result), key=str
            )
    await engine.dispose()
    return dumped


async def test_copied_rows_store_what_the_upsert_stores(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quality, "utcnow", lambda: NOW)
    items = corpus.ckan_items()
    assert len(items) > 40, "batches of new rows, of rewritten ones and of both"
    # the second round rewrites half of the first 20 records and brings the others new:
    # its second batch (16 to 31) holds both
    rounds = [items[:20], _edited(items)]
    plain = sum(vectors(search_document(corpus.record_of(item))) is not None for item in items)
    assert 0 < plain < len(items), "documents written as vectors and by to_tsvector"
    copied: list[tuple[str, int]] = []
    copy_rows = bulk.copy_rows

    async def counted(session: Any, table: str, columns: Any, records: Any) -> None:
        copied.append((table, len(records)))
        await copy_rows(session, table, columns, records)

    async def counted_text(session: Any, table: str, columns: Any, data: str) -> None:
        copied.append((table, data.count("\n")))
        await copy_text(session, table, columns, data)

    copy_text = backend.copy_text
    monkeypatch.setattr(bulk, "copy_rows", counted)
    monkeypatch.setattr(backend, "copy_text", counted_text)
    dumps = []
    for copy_new in (True, False):
        monkeypatch.setattr(bulk, "COPY_NEW_ROWS", copy_new)
        copied.clear()
        dumps.append(await _written(postgres_url, rounds))
        written = {table: sum(n for t, n in copied if t == table) for table, _ in copied}
        expected = len(items) if copy_new else 0
        assert (written.get("dataset", 0), written.get("raw_record", 0)) == (expected, expected)
        assert written.get("dataset_quality", 0) == expected
        # every new document but those whose text needs the server's parser
        assert written.get("search_doc", 0) == (plain if copy_new else 0)
    with_copy, with_upsert = dumps
    assert len(with_copy["dataset"]) == len(items)
    assert sum("révisé" in str(row) for row in with_copy["dataset"]) == len(items) // 2
    for table in DUMPED:
        assert with_copy[table] == with_upsert[table], table


async def test_text_copy_reads_escapes_and_null(postgres_url: str) -> None:
    values = ["plain", "tab\there", "line\nend", "back\\slash", "", "é ✓ 𝄞"]
    escaped = ["plain", "tab\\there", "line\\nend", "back\\\\slash", "", "é ✓ 𝄞"]
    engine = create_engine(postgres_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(sa.text("CREATE TEMPORARY TABLE copied (n int, t text, u text)"))
            await bulk.copy_text(session, "copied", ["n", "t", "u"], "")  # nothing sent
            data = "".join(f"{n}\t{text}\t\\N\n" for n, text in enumerate(escaped))
            await bulk.copy_text(session, "copied", ["n", "t", "u"], data)
            found = await session.execute(sa.text("SELECT n, t, u FROM copied ORDER BY n"))
            assert [tuple(row) for row in found] == [(n, v, None) for n, v in enumerate(values)]
    finally:
        await engine.dispose()
