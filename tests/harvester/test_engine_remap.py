"""A new release's mapping or derivation code re-maps stored payloads and rewrites what
differs, and only that; the same code re-harvesting the same payloads writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import DatasetRecord
from connectors.base import RawRecord as FetchedRecord
from connectors.ckan import CkanConnector
from harvester import prepare
from harvester.runs import run_harvest
from harvester.search.fields import IndexFields, PartnerInfo
from harvester.search.tables import dataset_facet
from harvester.search.text import SearchDocument
from harvester.store.queries import search_datasets
from harvester.store.tables import Dataset, RawRecord
from tests.connectors.ckan_replay import PagedSearch, mixed_packages
from tests.harvester.engine_support import add_source
from tests.harvester.mapping_code_support import (
    code_fixture,  # noqa: F401  (the code fixture)
)

SOURCE = "portail"
WORD = "zorglub"
KEYWORD = ("keyword", "moisson v2")

COUNTED = {
    "sqlite": ("dataset", "raw_record", "dataset_facet", "dataset_facet_set", "search_key"),
    "postgresql": ("dataset", "raw_record", "dataset_facet", "search_doc"),
}
"""Tables whose row writes are counted, besides ``dataset_quality``."""


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    return await add_source(sessions, "https://portal.example.org", SOURCE)


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The remote ids ``CkanConnector.normalize`` was called with."""
    calls: list[str] = []
    original = CkanConnector.normalize

    def normalize(self: CkanConnector, raw: FetchedRecord) -> DatasetRecord:
        calls.append(raw.remote_id)
        return original(self, raw)

    monkeypatch.setattr(CkanConnector, "normalize", normalize)
    return calls


class Writes:
    """Row writes (insert, update, delete) per table, counted by triggers."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.tables = (*COUNTED[engine.dialect.name], "dataset_quality")

    async def install(self) -> None:
        async with self.engine.begin() as connection:
            run = connection.exec_driver_sql
            await run("CREATE TABLE test_writes (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL)")
            for name in self.tables:
                await run(f"INSERT INTO test_writes VALUES ('{name}', 0)")
            if self.postgres:
                await run(
                    "CREATE FUNCTION test_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "UPDATE test_writes SET n = n + 1 WHERE tbl = TG_TABLE_NAME; "
                    "RETURN NULL; END $$"
                )
            for name in self.tables:
                if self.postgres:
                    await run(
                        f"CREATE TRIGGER test_count_{name} AFTER INSERT OR UPDATE OR DELETE "
                        f"ON {name} FOR EACH ROW EXECUTE FUNCTION test_count()"
                    )
                    continue
                for op in ("INSERT", "UPDATE", "DELETE"):
                    await run(
                        f"CREATE TRIGGER test_count_{name}_{op} AFTER {op} ON {name} BEGIN "
                        f"UPDATE test_writes SET n = n + 1 WHERE tbl = '{name}'; END"
                    )

    async def take(self) -> dict[str, int]:
        """The writes since the last call, by table (those with any)."""
        async with self.engine.begin() as connection:
            rows = await connection.execute(sa.text("SELECT tbl, n FROM test_writes WHERE n > 0"))
            found = {str(name): int(n) for name, n in rows}
            await connection.exec_driver_sql("UPDATE test_writes SET n = 0")
        return found

    async def remove(self) -> None:
        """PostgreSQL's database outlives the test (its tables are only emptied)."""
        async with self.engine.begin() as connection:
            if self.postgres:
                for name in self.tables:
                    await connection.exec_driver_sql(
                        f"DROP TRIGGER IF EXISTS test_count_{name} ON {name}"
                    )
                await connection.exec_driver_sql("DROP FUNCTION IF EXISTS test_count()")
            await connection.exec_driver_sql("DROP TABLE IF EXISTS test_writes")


@pytest.fixture
async def writes(engine: AsyncEngine) -> AsyncIterator[Writes]:
    counter = Writes(engine)
    await counter.install()
    try:
        yield counter
    finally:
        await counter.remove()


async def _harvest(sessions: async_sessionmaker[AsyncSession], packages: list[dict[str, Any]]):
    transport = httpx.MockTransport(PagedSearch(packages))
    async with httpx.AsyncClient(transport=transport) as client:
        run = await run_harvest(sessions, SOURCE, client, batch_size=5, full=True)
    assert run.status == "succeeded", run.message
    return run


async def _state(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessions() as session:
        datasets = {
            row.remote_id: (row.content_hash, row.record, row.updated_at, row.change_seq)
            for row in await session.scalars(sa.select(Dataset))
        }
        raws = {
            row.remote_id: (row.payload_hash, row.fetched_at, row.mapping_key)
            for row in await session.scalars(sa.select(RawRecord))
        }
        pks = dict(
            (await session.execute(sa.select(col(Dataset.pk), col(Dataset.remote_id)))).all()
        )
        facets: dict[str, set[tuple[str, str]]] = {remote_id: set() for remote_id in datasets}
        for pk, facet, value in await session.execute(
            sa.select(dataset_facet.c.dataset_pk, dataset_facet.c.facet, dataset_facet.c.value)
        ):
            facets[pks[pk]].add((facet, value))
        found = await search_datasets(session, WORD, limit=100)
        matches = {d.remote_id for d in found.datasets}
    return {"datasets": datasets, "raws": raws, "facets": facets, "matches": matches}


def _new_derivation(monkeypatch: pytest.MonkeyPatch, identifiers: set[str]) -> None:
    """What a release changing the facets and search analysis (of some records) does."""
    fields, text = prepare.index_fields, prepare.search_document

    def index_fields(record: DatasetRecord, source_id: str, partner: PartnerInfo) -> IndexFields:
        result = fields(record, source_id, partner)
        if record.identifier in identifiers:
            result.facets.add(KEYWORD)
        return result

    def search_document(record: DatasetRecord) -> SearchDocument:
        doc = text(record)
        if record.identifier not in identifiers:
            return doc
        return SearchDocument(doc.title_fr, doc.title_en, f"{doc.body_fr} {WORD}", doc.body_en)

    monkeypatch.setattr(prepare, "index_fields", index_fields)
    monkeypatch.setattr(prepare, "search_document", search_document)


async def _some(sessions: async_sessionmaker[AsyncSession]) -> tuple[set[str], set[str]]:
    """Every other dataset: (remote ids, record identifiers)."""
    async with sessions() as session:
        rows = (
            await session.execute(
                sa.select(col(Dataset.remote_id), col(Dataset.record)).order_by(
                    col(Dataset.remote_id)
                )
            )
        ).all()
    chosen = rows[::2]
    return {remote_id for remote_id, _ in chosen}, {record["identifier"] for _, record in chosen}


async def test_same_code_same_payloads_write_nothing(sessions, source, mapped, code, writes):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    before = await _state(sessions)
    await writes.take()
    mapped.clear()

    again = await _harvest(sessions, packages)
    assert mapped == [], "nothing mapped"
    assert again.unchanged == len(packages)
    assert await writes.take() == {}, "no row written"
    assert await _state(sessions) == before


async def test_new_code_with_the_same_output_rewrites_only_the_mapping_key(
    sessions, source, mapped, code, writes
):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    before = await _state(sessions)
    await writes.take()
    mapped.clear()

    code.edit("connectors/ckan_mapping.py", "# a refactoring: same records\n")
    run = await _harvest(sessions, packages)
    assert sorted(mapped) == sorted(before["raws"]), "every payload mapped again"
    assert (run.added, run.updated, run.unchanged) == (0, 0, len(packages))
    assert await writes.take() == {"raw_record": len(packages)}, "the new key, nothing else"
    after = await _state(sessions)
    assert {k: v for k, v in after.items() if k != "raws"} == {
        k: v for k, v in before.items() if k != "raws"
    }
    for remote_id, (digest, fetched_at, key) in after["raws"].items():
        assert (digest, fetched_at) == before["raws"][remote_id][:2]
        assert key != before["raws"][remote_id][2]


async def test_new_derivation_code_rewrites_the_derived_rows_that_differ(
    sessions, source, mapped, code, writes, monkeypatch: pytest.MonkeyPatch
):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    before = await _state(sessions)
    assert before["matches"] == set()
    changed, identifiers = await _some(sessions)
    assert 0 < len(changed) < len(packages)
    await writes.take()
    mapped.clear()

    _new_derivation(monkeypatch, identifiers)
    code.edit("harvester/search/fields.py")
    run = await _harvest(sessions, packages)
    assert sorted(mapped) == sorted(before["raws"]), "every payload mapped again"
    assert (run.added, run.updated, run.unchanged) == (0, 0, len(packages)), "same records"

    after = await _state(sessions)
    assert after["matches"] == changed, "the new search text is indexed"
    for remote_id, facets in after["facets"].items():
        expected = before["facets"][remote_id] | ({KEYWORD} if remote_id in changed else set())
        assert facets == expected
    for remote_id, (content, record, updated_at, seq) in after["datasets"].items():
        old_content, old_record, old_updated_at, old_seq = before["datasets"][remote_id]
        assert (content, record, updated_at) == (old_content, old_record, old_updated_at)
        assert (seq != old_seq) == (remote_id in changed), "stamped: the catalogue moved"

    n, rewritten = len(packages), len(changed)
    counted = await writes.take()
    search = {"search_key": 2 * rewritten} if "search_key" in counted else {"search_doc": rewritten}
    facet_sets = {"dataset_facet_set": rewritten} if "dataset_facet_set" in counted else {}
    assert counted == {
        "raw_record": n,  # the new mapping key
        "dataset": rewritten,  # derived columns and stamp, one write each
        "dataset_facet": rewritten,  # the one new facet row each
        "dataset_quality": rewritten,
        **search,
        **facet_sets,
    }

    mapped.clear()
    settled = await _harvest(sessions, packages)
    assert mapped == [] and settled.unchanged == len(packages)
    assert await writes.take() == {}
    assert await _state(sessions) == after
