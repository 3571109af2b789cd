"""Batched upserts and full-text search on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.model import DatasetRecord, Provenance
from connectors.base import RawRecord
from harvester.store.datasets import Harvested, dataset_id, write_batch
from harvester.store.queries import get_dataset, search_datasets
from harvester.store.tables import Dataset, Partner, Source

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _item(remote_id: str, title: dict[str, str], description: str = "") -> Harvested:
    record = DatasetRecord(
        identifier=remote_id,
        title=title,
        description={"fr": description} if description else {},
        provenance=Provenance(source_id="src", remote_id=remote_id, platform="ckan"),
    )
    return Harvested(
        raw=RawRecord(remote_id, {"id": remote_id, "title": title}, NOW), record=record
    )


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session, session.begin():
        session.add(Partner(id="ville", name="Ville", kind="municipality"))
        session.add(
            Source(id="src", partner_id="ville", url="https://example.org", platform="ckan")
        )
    return "src"


CORPUS = [
    _item("a", {"fr": "Consommation d'énergie des bâtiments", "en": "Building energy use"}),
    _item("b", {"fr": "Bibliothèques municipales"}, "Liste des bibliothèques et horaires"),
    _item("c", {"fr": "Transports collectifs"}, "Horaires des autobus de nuit"),
    _item("d", {"en": "Public libraries"}, "Adresses des bibliothèques"),
]


async def _search(sessions: async_sessionmaker[AsyncSession], q: str) -> list[str]:
    async with sessions() as session:
        page = await search_datasets(session, q, limit=50)
    assert page.total == len(page.datasets)
    return sorted(row.remote_id for row in page.datasets)


async def test_write_batch_counts_and_skips_unchanged(sessions, source):
    async with sessions() as session, session.begin():
        first = await write_batch(session, source, CORPUS, now=NOW)
    assert (first.added, first.updated, first.unchanged) == (4, 0, 0)

    later = datetime(2026, 11, 2, tzinfo=UTC)
    changed = [*CORPUS[:3], _item("d", {"en": "Public libraries (updated)"})]
    async with sessions() as session, session.begin():
        second = await write_batch(session, source, changed, now=later)
    assert (second.added, second.updated, second.unchanged) == (0, 1, 3)

    async with sessions() as session:
        rows = {row.remote_id: row for row in await session.scalars(sa.select(Dataset))}
    assert len(rows) == 4
    assert rows["a"].updated_at == NOW, "an unchanged record is not rewritten"
    assert rows["d"].updated_at == later and rows["d"].first_seen == NOW
    assert rows["d"].title == "Public libraries (updated)"
    assert rows["a"].id == dataset_id("src", "a")


async def test_search_is_accent_insensitive_and_stemmed(sessions, source):
    async with sessions() as session, session.begin():
        await write_batch(session, source, CORPUS, now=NOW)
    assert await _search(sessions, "energie") == ["a"]
    assert await _search(sessions, "ÉNERGIE") == ["a"]
    assert await _search(sessions, "bibliothèque") == ["b", "d"]
    assert await _search(sessions, "bibliotheques") == ["b", "d"]
    assert await _search(sessions, "libraries") == ["d"]
    assert await _search(sessions, "horaires -autobus") == ["b"]
    assert await _search(sessions, '"transports collectifs"') == ["c"]
    assert await _search(sessions, '"collectifs transports"') == []
    assert await _search(sessions, "énergie OR autobus") == ["a", "c"]
    assert await _search(sessions, "") == ["a", "b", "c", "d"]


async def test_title_matches_rank_first(sessions, source):
    async with sessions() as session, session.begin():
        await write_batch(session, source, CORPUS, now=NOW)
    async with sessions() as session:
        page = await search_datasets(session, "bibliothèques", limit=10)
    assert page.datasets[0].remote_id == "b"


async def test_updated_record_is_reindexed(sessions, source):
    async with sessions() as session, session.begin():
        await write_batch(session, source, CORPUS, now=NOW)
    async with sessions() as session, session.begin():
        await write_batch(session, source, [_item("a", {"fr": "Qualité de l'eau"})], now=NOW)
    assert await _search(sessions, "energie") == []
    assert await _search(sessions, "eau") == ["a"]
    async with sessions() as session:
        stored = await get_dataset(session, dataset_id("src", "a"))
    assert stored is not None and stored.record["title"] == {"fr": "Qualité de l'eau"}


async def test_a_batch_read_is_planned_for_its_parameters(sessions, source):
    """PostgreSQL: the batch's lookups of hundreds of keys get custom plans (a generic plan
    made while the source was filling tested each row against every parameter); the
    statements around them, the batch's big inserts among them, keep the default."""
    from harvester.store.db import custom_plans

    async with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite plans every statement for its values")
        async with session.begin():
            show = sa.text("SHOW plan_cache_mode")
            assert await session.scalar(show) == "auto"
            async with custom_plans(session):
                assert await session.scalar(show) == "force_custom_plan"
            assert await session.scalar(show) == "auto"


def test_dataset_id_is_the_uuid5_of_the_unique_key() -> None:
    """Dataset ids are public and stored: the fast path must give uuid5's, for any key."""
    import uuid

    from harvester.store.datasets import DATASET_NAMESPACE

    assert dataset_id("src", "a") == "dc5176f78512510cb1142280644b8a84"  # as stored since 0001
    keys = [("src", "a"), ("", ""), ("montreal", "é" * 300), ("s\x1f", "x"), ("ç", "𝔘\u00a0")]
    keys += [(f"source-{n}", f"{n:08x}-ded0-4a1b-9c2d") for n in range(0, 5000, 37)]
    for source_id, remote_id in keys:
        expected = uuid.uuid5(DATASET_NAMESPACE, f"{source_id}\x1f{remote_id}").hex
        assert dataset_id(source_id, remote_id) == expected, (source_id, remote_id)
