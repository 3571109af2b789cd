"""Unchanged payloads are not normalized again: raw hash + mapping key decide, before mapping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import DatasetRecord
from connectors.base import RawRecord as FetchedRecord
from connectors.ckan import CkanConnector
from connectors.errors import RecordInvalid, RecordSkipped
from harvester.runs import run_harvest
from harvester.search.tables import dataset_facet
from harvester.store.queries import search_datasets
from harvester.store.tables import Dataset, Partner, RawRecord, Source
from tests.connectors.ckan_replay import PagedSearch, mixed_packages

SOURCE = "portail"


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session, session.begin():
        session.add(Partner(id="portail", name="Portail", kind="public_body"))
        session.add(
            Source(
                id=SOURCE,
                partner_id="portail",
                url="https://portal.example.org",
                platform="ckan",
                options={"rows": 4},
            )
        )
    return SOURCE


class Spy:
    """Counts ``CkanConnector.normalize`` calls (by remote id); can alter or break them."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: set[str] = set()
        self.skip: set[str] = set()
        self.suffix = ""


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    recorded = Spy()
    original = CkanConnector.normalize

    def normalize(self: CkanConnector, raw: FetchedRecord) -> DatasetRecord:
        recorded.calls.append(raw.remote_id)
        if raw.remote_id in recorded.fail:
            raise RecordInvalid(f"broken mapping of {raw.remote_id}")
        if raw.remote_id in recorded.skip:
            raise RecordSkipped(f"{raw.remote_id} is private")
        record = original(self, raw)
        if recorded.suffix:
            record.title = {lang: text + recorded.suffix for lang, text in record.title.items()}
        return record

    monkeypatch.setattr(CkanConnector, "normalize", normalize)
    yield recorded


async def _harvest(sessions, packages: list[dict[str, Any]], **kwargs: Any):
    transport = httpx.MockTransport(PagedSearch(packages))
    async with httpx.AsyncClient(transport=transport) as client:
        run = await run_harvest(sessions, SOURCE, client, batch_size=5, full=True, **kwargs)
    assert run.status in ("succeeded", "partial"), run.message
    return run


async def _state(sessions) -> dict[str, Any]:
    """Every row a harvest may write, to compare before and after."""
    async with sessions() as session:
        datasets = {
            row.remote_id: (row.content_hash, row.updated_at, row.withdrawn_at, row.title)
            for row in await session.scalars(sa.select(Dataset))
        }
        raws = {
            row.remote_id: (row.payload_hash, row.fetched_at, row.mapping_key)
            for row in await session.scalars(sa.select(RawRecord))
        }
        facets = set((await session.execute(sa.select(dataset_facet))).all())
    return {"datasets": datasets, "raws": raws, "facets": facets}


def _id(package: dict[str, Any]) -> str:
    return str(package["id"])


async def test_unchanged_payloads_are_not_normalized_again(sessions, source, spy):
    packages = mixed_packages()
    first = await _harvest(sessions, packages)
    assert first.added == len(packages)
    assert sorted(spy.calls) == sorted(_id(p) for p in packages)
    before = await _state(sessions)
    assert all(key for _, _, key in before["raws"].values()), "mapping key stored"

    spy.calls.clear()
    again = await _harvest(sessions, packages)
    assert spy.calls == [], "an unchanged payload must not be mapped"
    assert (again.seen, again.added, again.updated, again.unchanged) == (
        len(packages),
        0,
        0,
        len(packages),
    )
    assert (again.failed, again.skipped, again.withdrawn) == (0, 0, 0)
    assert await _state(sessions) == before

    changed = [dict(p) for p in packages]
    changed[0]["notes"] = "Une description toute neuve pour ce jeu de données."
    spy.calls.clear()
    third = await _harvest(sessions, changed)
    assert spy.calls == [_id(changed[0])], "only the changed payload is mapped"
    assert (third.added, third.updated, third.unchanged) == (0, 1, len(packages) - 1)


async def test_mapping_version_bump_renormalizes_and_rewrites(
    sessions, source, spy, monkeypatch: pytest.MonkeyPatch
):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    spy.suffix = " (v2)"  # the mapping changes its output…

    spy.calls.clear()
    same_version = await _harvest(sessions, packages)
    assert spy.calls == [], "…but until its version is bumped the stored rows stand"
    assert same_version.unchanged == len(packages)

    monkeypatch.setattr(CkanConnector, "mapping_version", "2")
    spy.calls.clear()
    bumped = await _harvest(sessions, packages)
    assert len(spy.calls) == len(packages)
    assert (bumped.added, bumped.updated, bumped.unchanged) == (0, len(packages), 0)
    state = await _state(sessions)
    assert all(title.endswith(" (v2)") for *_, title in state["datasets"].values())
    assert len({key for *_, key in state["raws"].values()}) == 1
    assert all("/2/" in key for *_, key in state["raws"].values())

    spy.calls.clear()
    settled = await _harvest(sessions, packages)
    assert spy.calls == [] and settled.unchanged == len(packages)


async def test_new_mapping_key_with_same_output_rewrites_only_the_key(sessions, source, spy):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    before = await _state(sessions)
    async with sessions() as session, session.begin():
        await session.execute(
            sa.update(Source).where(col(Source.id) == SOURCE).values(options={"rows": 3})
        )

    spy.calls.clear()
    run = await _harvest(sessions, packages)
    assert len(spy.calls) == len(packages), "other options: mapped again"
    assert run.unchanged == len(packages)
    after = await _state(sessions)
    assert after["datasets"] == before["datasets"] and after["facets"] == before["facets"]
    for remote_id, (digest, fetched_at, key) in after["raws"].items():
        old_digest, old_fetched_at, old_key = before["raws"][remote_id]
        assert (digest, fetched_at) == (old_digest, old_fetched_at)
        assert key != old_key

    spy.calls.clear()
    await _harvest(sessions, packages)
    assert spy.calls == []


async def test_records_that_failed_or_were_skipped_are_mapped_again(sessions, source, spy):
    packages = mixed_packages()
    broken, private = _id(packages[1]), _id(packages[2])
    spy.fail, spy.skip = {broken}, {private}
    first = await _harvest(sessions, packages)
    assert first.status == "partial"
    assert (first.added, first.failed, first.skipped) == (len(packages) - 2, 1, 1)

    spy.calls.clear()
    again = await _harvest(sessions, packages)
    assert sorted(spy.calls) == sorted([broken, private]), "no dataset row: mapped again"
    assert (again.added, again.failed, again.skipped) == (0, 1, 1)
    assert again.unchanged == len(packages) - 2

    spy.fail, spy.skip = set(), set()
    spy.calls.clear()
    fixed = await _harvest(sessions, packages)
    assert sorted(spy.calls) == sorted([broken, private])
    assert (fixed.added, fixed.updated, fixed.unchanged) == (2, 0, len(packages) - 2)
    assert fixed.status == "succeeded"


async def test_a_failing_change_keeps_the_stored_record_and_is_retried(sessions, source, spy):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    target = _id(packages[0])
    changed = [dict(p) for p in packages]
    changed[0]["notes"] = "Changed, but the mapping now fails."
    spy.fail = {target}

    spy.calls.clear()
    failed = await _harvest(sessions, changed)
    assert spy.calls == [target] and failed.failed == 1

    spy.calls.clear()
    again = await _harvest(sessions, changed)
    assert spy.calls == [target] and again.failed == 1, "a failed change is retried"

    spy.fail = set()
    spy.calls.clear()
    back = await _harvest(sessions, packages)  # the old payload again: stored, unchanged
    assert spy.calls == [] and back.unchanged == len(packages)


async def test_withdrawn_dataset_that_reappears_is_restored(sessions, source, spy):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    gone = packages[0]
    shorter = await _harvest(sessions, packages[1:])
    assert shorter.withdrawn == 1, shorter.withdrawals
    async with sessions() as session:
        row = await session.scalar(sa.select(Dataset).where(col(Dataset.remote_id) == _id(gone)))
        assert row is not None and row.withdrawn_at is not None
        hidden = await session.scalar(
            sa.select(sa.func.count())
            .select_from(dataset_facet)
            .where(dataset_facet.c.dataset_pk == row.pk, dataset_facet.c.visible.is_(True))
        )
        assert hidden == 0

    spy.calls.clear()
    back = await _harvest(sessions, packages)
    assert spy.calls == [_id(gone)], "a withdrawn dataset is mapped and rewritten"
    assert (back.added, back.updated, back.unchanged) == (0, 1, len(packages) - 1)
    async with sessions() as session:
        row = await session.scalar(sa.select(Dataset).where(col(Dataset.remote_id) == _id(gone)))
        assert row is not None and row.withdrawn_at is None
        facets = (
            await session.execute(
                sa.select(dataset_facet.c.visible).where(dataset_facet.c.dataset_pk == row.pk)
            )
        ).all()
        assert facets and all(visible for (visible,) in facets)
        found = await search_datasets(session, row.title, limit=50)
        assert row.id in [dataset.id for dataset in found.datasets]


async def _facets_of(sessions, remote_id: str) -> set[tuple[str, str, bool]]:
    async with sessions() as session:
        pk = await session.scalar(
            sa.select(col(Dataset.pk)).where(col(Dataset.remote_id) == remote_id)
        )
        rows = await session.execute(
            sa.select(dataset_facet.c.facet, dataset_facet.c.value, dataset_facet.c.visible).where(
                dataset_facet.c.dataset_pk == pk
            )
        )
        return {(facet, value, visible) for facet, value, visible in rows}


async def test_updated_dataset_gets_exactly_its_new_facet_rows(sessions, source, spy):
    packages = mixed_packages()
    await _harvest(sessions, packages)
    target = _id(packages[0])
    before = await _facets_of(sessions, target)
    changed = [dict(p) for p in packages]
    changed[0]["tags"] = [{"name": "Nouveau mot-clé"}, {"name": "Énergie"}]
    run = await _harvest(sessions, changed)
    assert run.updated == 1
    after = await _facets_of(sessions, target)
    keywords = {value for facet, value, _ in after if facet == "keyword"}
    assert keywords == {"nouveau mot-clé", "énergie"}
    assert {row for row in after if row[0] != "keyword"} == {
        row for row in before if row[0] != "keyword"
    }
    assert all(visible for *_, visible in after)


async def test_mapping_key_names_everything_the_mapping_reads(monkeypatch: pytest.MonkeyPatch):
    from connectors.base import SourceSpec

    spec = SourceSpec(id="s", url="https://a.example", platform="ckan", options={"rows": 4})
    async with httpx.AsyncClient() as client:
        _check_keys(spec, client, monkeypatch)


def _check_keys(spec: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from harvester.runs import mapping_key

    key = mapping_key(CkanConnector(spec, client), spec)
    assert key == mapping_key(CkanConnector(spec, client), spec), "stable"
    assert key.startswith("ckan/1/") and len(key) <= 100
    others = [
        spec.model_copy(update={"url": "https://b.example"}),
        spec.model_copy(update={"options": {"rows": 5}}),
        spec.model_copy(update={"partner_name": "Ville"}),
    ]
    assert all(mapping_key(CkanConnector(o, client), o) != key for o in others)
    monkeypatch.setattr(CkanConnector, "mapping_version", "7")
    assert mapping_key(CkanConnector(spec, client), spec).startswith("ckan/7/")


async def test_collector_thresholds_are_restored_after_runs(sessions, source, spy):
    import gc

    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    original = CkanConnector.normalize

    def normalize(self: CkanConnector, raw: FetchedRecord) -> DatasetRecord:
        during.append(gc.get_threshold())
        return original(self, raw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CkanConnector, "normalize", normalize)
        await _harvest(sessions, mixed_packages())
    assert during and during[0][0] >= 50_000, "relaxed while the run maps"
    assert gc.get_threshold() == before, "restored after it"
