"""Batches mapped in a worker process write exactly what mapping in the run's process would.

The suite maps in process by default (``MOISSON_MAP_PROCESSES=0`` in conftest: many tests
patch connector methods, which a worker process would not see); these tests start a real
pool of one worker and harvest recorded CKAN packages through it.
"""

from __future__ import annotations

import os
import signal
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.base import RawRecord as FetchedRecord
from connectors.base import SourceSpec, payload_hash
from connectors.ckan import CkanConnector
from harvester import mapping_pool, run_report, runs
from harvester.mapping_pool import MappingPool
from harvester.prepare import derived, dumped
from harvester.runs import run_harvest, source_spec
from harvester.search import text
from harvester.search.fields import PartnerInfo
from harvester.search.tables import dataset_facet
from harvester.store.db import dialect_name
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.queries import search_datasets
from harvester.store.tables import Dataset, HarvestError, Partner, RawRecord, Source
from harvester.store.types import utcnow
from tests.connectors.ckan_replay import PagedSearch, mixed_packages
from tests.harvester.vector_support import stored_as_computed

SOURCE = "portail"
URL = "https://portal.example.org"


@pytest.fixture(scope="module")
def pool() -> Iterator[MappingPool]:
    started = MappingPool(1, min_records=1)
    yield started
    started.shutdown()


@pytest.fixture
def ready_pool(pool: MappingPool, monkeypatch: pytest.MonkeyPatch) -> MappingPool:
    """The worker pool, started and answering, installed as the process's pool."""
    monkeypatch.setattr(mapping_pool, "POOL", pool)
    assert pool.usable_for(CkanConnector(_spec(), httpx.AsyncClient())) or pool.wait_ready(60)
    assert pool.usable_for(CkanConnector(_spec(), httpx.AsyncClient()))
    return pool


def _spec() -> SourceSpec:
    return SourceSpec(id=SOURCE, url=URL, platform="ckan", options={"rows": 7})


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session, session.begin():
        session.add(Partner(id="portail", name="Portail", kind="public_body"))
        session.add(
            Source(id=SOURCE, partner_id="portail", url=URL, platform="ckan", options={"rows": 7})
        )
    return SOURCE


async def _harvest(
    sessions: async_sessionmaker[AsyncSession], packages: list[dict[str, Any]], batch_size=10
):
    transport = httpx.MockTransport(PagedSearch(packages))
    async with httpx.AsyncClient(transport=transport) as client:
        return await run_harvest(sessions, SOURCE, client, batch_size=batch_size, full=True)


async def test_worker_batches_write_what_the_run_process_would(
    sessions, source, ready_pool, monkeypatch
):
    packages = mixed_packages()
    sent_before = ready_pool.batches_sent
    hashed_here: list[str] = []

    def counted_hash(payload: Any) -> str:
        hashed_here.append(str(payload.get("id")))
        return payload_hash(payload)

    monkeypatch.setattr(run_report, "payload_hash", counted_hash)
    run = await _harvest(sessions, packages)
    assert run.status == "succeeded", run.message
    assert run.added == len(packages)
    assert ready_pool.batches_sent - sent_before >= len(packages) // 10, "mapped in the worker"

    async with sessions() as session:
        raws = {row.remote_id: row for row in await session.scalars(sa.select(RawRecord))}
        datasets = {row.remote_id: row for row in await session.scalars(sa.select(Dataset))}
        facets = (await session.execute(sa.select(dataset_facet))).all()
        quality = {row.dataset_pk: row for row in await session.scalars(sa.select(DatasetQuality))}
    assert set(raws) == set(datasets) == {str(p["id"]) for p in packages}
    for remote_id, raw in raws.items():  # hashed by the worker, as the run's process would
        assert raw.payload_hash == payload_hash(raw.payload), remote_id
    # new records are hashed where they are mapped: in the harvesting process only those it
    # mapped itself (a batch cut before the worker was ready, the last short batch)
    assert len(hashed_here) <= len(packages) - 10 * (ready_pool.batches_sent - sent_before)
    by_pk: dict[int, set[tuple[str, str]]] = {}
    for row in facets:
        by_pk.setdefault(row.dataset_pk, set()).add((row.facet, row.value))
    async with sessions() as session:
        source_row = await session.get(Source, SOURCE)
        assert source_row is not None
        connector = CkanConnector(await source_spec(session, source_row), None)  # type: ignore[arg-type]
    partner = PartnerInfo("portail", "public_body")
    for remote_id, raw in raws.items():
        record = connector.normalize(FetchedRecord(remote_id, raw.payload, raw.fetched_at))
        expected, derive = dumped(record), derived(record, SOURCE, partner)
        row = datasets[remote_id]
        assert row.record == orjson.loads(expected.json), remote_id
        assert row.content_hash == expected.content_hash
        assert (row.title, row.publisher_name, row.licence_id) == (
            derive.title or remote_id,
            derive.publisher_name,
            derive.licence_id,
        )
        assert (row.richness, row.title_sort) == (derive.fields.richness, derive.fields.title_sort)
        assert by_pk[row.pk] == derive.fields.facets
        facts = quality[row.pk]
        assert (facts.conforms, facts.failed_rules, facts.hvd_categories) == (
            derive.quality.conforms,
            derive.quality.failed_rules,
            derive.quality.hvd_categories,
        )
    title = datasets[str(packages[-1]["id"])].title.split()[0]
    async with sessions() as session:
        found = await search_datasets(session, title, limit=50)
    assert str(packages[-1]["id"]) in {d.remote_id for d in found.datasets}

    again = await _harvest(sessions, packages)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(packages))


async def test_worker_failures_and_skips_are_counted_per_record(sessions, source, ready_pool):
    packages = [dict(p) for p in mixed_packages()]
    broken, private = packages[3], packages[12]
    broken.pop("title", None)
    broken.pop("title_translated", None)
    private["private"] = True
    run = await _harvest(sessions, packages)
    assert run.status == "partial", run.message
    assert (run.failed, run.skipped, run.added) == (1, 1, len(packages) - 2)
    async with sessions() as session:
        errors = list(await session.scalars(sa.select(HarvestError)))
        stored = set(await session.scalars(sa.select(col(Dataset.remote_id))))
    assert [(e.remote_id, e.kind) for e in errors] == [(str(broken["id"]), "RecordInvalid")]
    assert "no title" in errors[0].message
    assert str(broken["id"]) not in stored and str(private["id"]) not in stored


async def test_a_dead_worker_falls_back_to_mapping_in_process(sessions, source, monkeypatch):
    dying = MappingPool(1, min_records=1)
    monkeypatch.setattr(mapping_pool, "POOL", dying)
    probe = CkanConnector(_spec(), httpx.AsyncClient())
    assert dying.usable_for(probe) or dying.wait_ready(60)
    for pid in dying.worker_pids():
        os.kill(pid, signal.SIGKILL)
    packages = mixed_packages()
    run = await _harvest(sessions, packages)
    dying.shutdown()
    assert dying.losses >= 1, "the dead worker was noticed"
    assert run.status == "succeeded", run.message
    assert run.added == len(packages)


def _fifteen_in_parts_of_three(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[SourceSpec, PartnerInfo, list[FetchedRecord], list[mapping_pool.Mapped]]:
    """15 recorded packages sent in parts of 3, and what mapping them in process gives."""
    monkeypatch.setattr(mapping_pool, "CHUNK", 3)
    spec, partner = _spec(), PartnerInfo("portail", "public_body")
    raws = [FetchedRecord(str(p["id"]), p, utcnow()) for p in mixed_packages()[:15]]
    records = mapping_pool.packed(raws, [None] * len(raws))
    assert records is not None
    return spec, partner, raws, mapping_pool.map_records(spec, partner, records)


async def test_a_run_waiting_for_a_worker_maps_a_later_batchs_queued_part_itself(
    ready_pool, monkeypatch
):
    """While a batch's results are awaited, the harvesting process takes the last part of
    the next batch that no worker has started, maps it in its thread, and each batch's
    results come back complete and in order, as mapping them in process gives them."""
    spec, partner, raws, expected = _fifteen_in_parts_of_three(monkeypatch)
    stolen_before = ready_pool.parts_stolen

    first = ready_pool.submit(spec, partner, raws[:9])
    second = ready_pool.submit(spec, partner, raws[9:])
    assert first is not None and second is not None
    assert await first.result() == expected[:9]
    assert ready_pool.parts_stolen == stolen_before + 1
    assert first.stolen_parts == frozenset(), "never the part it waits for"
    assert second.stolen_parts == {1}, "the last of the next batch's two parts"
    assert await second.result() == expected[9:]
    assert ready_pool.parts_stolen == stolen_before + 1, "its other part was started"


async def test_a_run_waiting_for_its_last_batch_maps_a_queued_part_of_it_itself(
    ready_pool, monkeypatch
):
    """With no later batch (the listing's last), the waiting process takes the last part
    of the batch it waits for that no worker has started: the batch is mapped on both
    sides, and its results come back complete and in order."""
    spec, partner, raws, expected = _fifteen_in_parts_of_three(monkeypatch)
    stolen_before = ready_pool.parts_stolen

    last = ready_pool.submit(spec, partner, raws)
    assert last is not None
    assert await last.result() == expected
    assert last.stolen_parts == {4}, "the last of its five parts"
    assert ready_pool.parts_stolen == stolen_before + 1


def test_connectors_that_are_not_portable_stay_in_process(pool: MappingPool) -> None:
    class Patched(CkanConnector):
        """A subclass the worker's registry would not know."""

    assert not pool.usable_for(Patched(_spec(), httpx.AsyncClient()))
    assert mapping_pool.packed([FetchedRecord("x", {"when": object()}, utcnow())], [None]) is None


async def test_an_unchanged_re_harvest_never_starts_the_pool(sessions, source, monkeypatch):
    packages = mixed_packages()
    monkeypatch.setattr(mapping_pool, "POOL", MappingPool(0))
    first = await _harvest(sessions, packages)
    assert first.added == len(packages)
    idle = MappingPool(1, min_records=1)
    monkeypatch.setattr(mapping_pool, "POOL", idle)
    again = await _harvest(sessions, packages)
    assert again.unchanged == len(packages)
    assert (idle.batches_sent, idle.worker_pids()) == (0, [])
    idle.shutdown()


async def test_a_first_harvest_starts_the_pool_before_its_first_batch(
    sessions, source, monkeypatch
):
    """A source with nothing stored will have every record mapped: its run starts the
    worker before reading, so the worker's start-up overlaps the first batch's fetching
    (without that, the pool starts when the first batch is sent)."""
    early = MappingPool(1, min_records=1)
    monkeypatch.setattr(mapping_pool, "POOL", early)
    started_at_first_batch: list[bool] = []
    original = runs.map_ahead

    async def watched(*args: Any, **kwargs: Any) -> None:
        if not started_at_first_batch:
            started_at_first_batch.append(bool(early.worker_pids()))
        await original(*args, **kwargs)

    monkeypatch.setattr(runs, "map_ahead", watched)
    try:
        run = await _harvest(sessions, mixed_packages())
    finally:
        early.shutdown()
    assert run.status == "succeeded", run.message
    assert started_at_first_batch == [True]


async def test_after_a_batch_without_changes_the_next_is_not_read_ahead(
    sessions, source, ready_pool, monkeypatch
):
    """An unchanged batch's state is read once, when it is written: the batch after one
    without changes is not read ahead for the worker; what changed in it is mapped in
    process and written all the same, and the batch after that is read ahead again."""
    packages = mixed_packages()
    assert len(packages) >= 15
    first = await _harvest(sessions, packages, batch_size=3)
    assert first.added == len(packages)
    edited = [dict(p) for p in packages]
    for package in edited[6:9]:  # the third batch of three
        package["title"] = f"{package.get('title') or package['name']} (révisé)"
    read_ahead: list[str] = []
    original = runs.map_ahead

    async def spy(sessions_, source_id, cut, *args):
        read_ahead.append(cut.raws[0].remote_id)
        return await original(sessions_, source_id, cut, *args)

    monkeypatch.setattr(runs, "map_ahead", spy)
    again = await _harvest(sessions, edited, batch_size=3)
    assert (again.added, again.updated, again.unchanged) == (0, 3, len(packages) - 3)
    first_of = [str(p["id"]) for p in edited[::3]]
    # batch 1 is read ahead; 2 follows an unchanged batch, so does 3 (its changes are
    # mapped when it is written); 4 follows a changed one; 5 and after follow unchanged ones
    assert read_ahead == [first_of[0], first_of[3]]
    async with sessions() as session:
        titles = {
            row.remote_id: row.title
            for row in await session.scalars(
                sa.select(Dataset).where(col(Dataset.remote_id).in_([str(p["id"]) for p in edited]))
            )
        }
    for package in edited[6:9]:
        assert titles[str(package["id"])].endswith("(révisé)")


def test_each_mapping_thread_stems_with_its_own_stemmer() -> None:
    """A stemmer keeps state while it stems: the thread that maps stolen parts must not
    share the harvesting thread's."""
    here = text._stemmer("fr")
    assert text._stemmer("fr") is here and text._stemmer("en") is not here
    with ThreadPoolExecutor(1) as other:
        there = other.submit(text._stemmer, "fr").result()
        assert there is not here
        assert other.submit(text._stemmer, "fr").result() is there
    assert text.stems("Bibliothèques publiques", "fr") == ["bibliothequ", "publiqu"]


def test_payloads_sent_to_a_worker_hold_no_spare_room() -> None:
    """A batch's payloads wait in the harvesting process until a worker takes them: each
    is held in a buffer its own size, not the ~10× orjson reserves for escaping."""
    payload = {"id": "x", "notes": "Données ouvertes de la Ville. " * 300}
    tracemalloc.start()
    try:
        records = mapping_pool.packed([FetchedRecord("x", payload, utcnow())] * 20, [None] * 20)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records is not None
    assert [record[1] for record in records] == [orjson.dumps(payload)] * 20
    assert held < 2 * sum(len(record[1]) for record in records)


async def test_worker_batches_for_postgresql_carry_their_search_vectors(
    sessions, source, ready_pool, monkeypatch
):
    """Batches bound for PostgreSQL are mapped with their search vectors (written by the
    worker, off the harvesting process's path), and the stored vectors are those
    ``to_tsvector`` gives for each dataset's texts; SQLite's batches carry none."""
    asked: list[bool] = []
    submit = ready_pool.submit

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("pg_vectors", False))
        return submit(*args, **kwargs)

    monkeypatch.setattr(ready_pool, "submit", spy)
    packages = mixed_packages()
    run = await _harvest(sessions, packages)
    assert run.status == "succeeded", run.message
    async with sessions() as session:
        postgresql = dialect_name(session) == "postgresql"
    assert asked and set(asked) == {postgresql}
    if not postgresql:
        return

    async with sessions() as session:
        source_row = await session.get(Source, SOURCE)
        assert source_row is not None
        connector = CkanConnector(await source_spec(session, source_row), None)  # type: ignore[arg-type]
        raws = list(await session.scalars(sa.select(RawRecord)))
        partner = PartnerInfo("portail", "public_body")
        # the payloads as listed: JSONB orders keys otherwise, and the order of a record's
        # languages is the order of its search text
        listed = {str(package["id"]): package for package in packages}
        for raw in raws:
            payload = listed[raw.remote_id]
            record = connector.normalize(FetchedRecord(raw.remote_id, payload, raw.fetched_at))
            doc = derived(record, SOURCE, partner).search
            same = await stored_as_computed(session, raw.remote_id, doc)
            assert same == (True, True), raw.remote_id


async def test_arcgis_portal_items_map_in_a_worker_as_in_process(pool: MappingPool) -> None:
    """A portal item's mapping reads only the spec and the item, so a worker maps it (byte
    for byte as the harvesting process would); a Hub feed's records read the feed that
    answered, so none is portable before one did (tests/harvester/test_mapping_pool_feeds.py
    harvests a Hub feed through a worker)."""
    from connectors.arcgis import ArcgisConnector
    from tests.paths import fixture

    portal = SourceSpec(id="agol", url="https://www.arcgis.com", platform="arcgis")
    hub = SourceSpec(id="hub", url="https://donnees-ville.hub.arcgis.com", platform="arcgis")
    client = httpx.AsyncClient()
    waiting = ArcgisConnector(hub, client)
    assert pool.possible_for(waiting)
    assert not waiting.portable(FetchedRecord("d", {"identifier": "d", "title": "D"}, utcnow()))
    connector = ArcgisConnector(portal, client)
    assert pool.possible_for(connector)
    assert pool.usable_for(connector) or pool.wait_ready(60)

    group = orjson.loads(
        fixture("arcgis", "agol_sharing_search_group_livingatlas.json").read_bytes()
    )
    items = [
        *group["results"],  # Map Services and a Web Map
        *(
            orjson.loads(fixture("arcgis", f"agol_sharing_content_item_{name}.json").read_bytes())
            for name in ("csv", "feature-service", "no-url", "with-metadata")
        ),
    ]
    raws = [FetchedRecord(item["id"], item, utcnow()) for item in items]
    partner = PartnerInfo("agol", "public_body")
    sent_before = pool.batches_sent
    batch = pool.submit(portal, partner, raws)
    assert batch is not None and pool.batches_sent == sent_before + 1
    results = await batch.result()
    assert len(results) == len(raws) == 14
    mapped_here = [mapping_pool.mapped(connector, raw, "agol", partner) for raw in raws]
    assert [m.error for m in results] == [m.error for m in mapped_here] == [None] * 14
    prepared = [(t.prepared, h.prepared) for t, h in zip(results, mapped_here, strict=True)]
    both = [(there, here) for there, here in prepared if there is not None and here is not None]
    assert len(both) == 14
    for there, here in both:
        assert there[0].json == here[0].json
        assert there[1].fields.facets == here[1].fields.facets


def test_a_worker_imports_neither_structlog_nor_httpxs_command_line(
    ready_pool: MappingPool,
) -> None:
    """~8 MB of each worker's memory: structlog (and the rich it imports) and httpx's
    command line (click, pygments, rich), none of which mapping uses."""
    assert ready_pool._executor is not None  # its worker has imported the mapping code
    heavy = (
        "[m for m in ('structlog', 'rich', 'click', 'pygments') if m in __import__('sys').modules]"
    )
    assert ready_pool._executor.submit(eval, heavy).result(60) == []
