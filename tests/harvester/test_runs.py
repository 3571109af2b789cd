"""Harvest runs end to end: real recorded CKAN packages, real databases."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.client import build_client
from harvester import run_report
from harvester.runs import SourceNotFound, run_harvest
from harvester.search.changes import changes
from harvester.store.queries import search_datasets
from harvester.store.tables import (
    Dataset,
    HarvestError,
    HarvestRun,
    RawRecord,
    Source,
)
from tests.connectors.ckan_replay import PagedSearch, mixed_packages
from tests.harvester.engine_support import add_source
from tests.paths import fixture

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    await add_source(sessions, "https://portal.example.org", "portail", rows=4)
    return "portail"


def _client(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def _harvest(sessions, source: str, handler: Handler, **kwargs: Any):
    async with _client(handler) as client:
        return await run_harvest(sessions, source, client, batch_size=5, **kwargs)


async def _rows(sessions, table: type) -> list[Any]:
    async with sessions() as session:
        return list(await session.scalars(sa.select(table)))


async def test_first_harvest_adds_every_package_and_second_rewrites_nothing(sessions, source):
    packages = mixed_packages()
    run = await _harvest(sessions, source, PagedSearch(packages))
    assert run.status == "succeeded", run.message
    assert (run.seen, run.added, run.updated, run.failed) == (len(packages), len(packages), 0, 0)
    assert run.complete and run.pages == -(-len(packages) // 4)

    before = {row.id: (row.updated_at, row.content_hash) for row in await _rows(sessions, Dataset)}
    raw_before = {row.remote_id: row.fetched_at for row in await _rows(sessions, RawRecord)}
    assert len(before) == len(packages) == len(raw_before)

    again = await _harvest(sessions, source, PagedSearch(packages), full=True)
    assert again.status == "succeeded"
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(packages))
    after = {row.id: (row.updated_at, row.content_hash) for row in await _rows(sessions, Dataset)}
    assert after == before, "an unchanged harvest must not rewrite any dataset row"
    raw_after = {row.remote_id: row.fetched_at for row in await _rows(sessions, RawRecord)}
    assert raw_after == raw_before, "nor any raw record"


async def test_harvested_datasets_are_searchable_in_french_and_english(sessions, source):
    packages = mixed_packages()
    await _harvest(sessions, source, PagedSearch(packages))
    bilingual = next(p for p in packages if p.get("title_translated"))
    async with sessions() as session:
        for language in ("fr", "en"):
            title = bilingual["title_translated"][language]
            page = await search_datasets(session, f'"{title}"', limit=5)
            assert bilingual["id"] in {row.remote_id for row in page.datasets}, title
            stored = next(row for row in page.datasets if row.remote_id == bilingual["id"])
            assert stored.record["title"][language] == title


async def test_changed_package_is_updated(sessions, source):
    packages = mixed_packages()
    await _harvest(sessions, source, PagedSearch(packages))
    changed = copy.deepcopy(packages)
    changed[0]["title"] = "Titre modifié"
    changed[0].pop("title_translated", None)
    run = await _harvest(sessions, source, PagedSearch(changed), full=True)
    assert (run.added, run.updated, run.unchanged) == (0, 1, len(packages) - 1)


async def test_a_bad_record_fails_alone(sessions, source):
    packages = mixed_packages()
    broken = copy.deepcopy(packages)
    for key in ("title", "title_translated", "name"):
        broken[2].pop(key, None)
    run = await _harvest(sessions, source, PagedSearch(broken))
    assert run.status == "partial"
    assert (run.failed, run.added) == (1, len(packages) - 1)
    errors = await _rows(sessions, HarvestError)
    assert [e.remote_id for e in errors] == [broken[2]["id"]]
    assert errors[0].kind == "RecordInvalid" and errors[0].message


async def test_a_failing_page_keeps_what_was_stored(sessions, source):
    packages = mixed_packages()
    first = await _harvest(sessions, source, PagedSearch(packages))
    assert first.status == "succeeded"
    html = fixture("ckan", "bad_html_503_maintenance_catalog-data-gov.html").read_bytes()
    search = PagedSearch(packages)

    def maintenance_on_page_3(request: httpx.Request) -> httpx.Response:
        if len(search.requests) == 2:
            search.requests.append(request)
            return httpx.Response(200, content=html, headers={"content-type": "text/html"})
        return search(request)

    run = await _harvest(sessions, source, maintenance_on_page_3, full=True)
    assert run.status == "failed" and not run.complete
    assert "page 3" in (run.message or "") and "HTML" in (run.message or "")
    assert len(await _rows(sessions, Dataset)) == len(packages), "nothing already harvested is lost"
    errors = await _rows(sessions, HarvestError)
    assert any(e.remote_id is None and "page 3" in e.message for e in errors)


async def test_a_private_address_is_refused_and_loses_nothing(sessions, source):
    await _harvest(sessions, source, PagedSearch(mixed_packages()))
    async with sessions() as session, session.begin():
        row = await session.get(Source, source)
        assert row is not None
        row.url = "http://10.0.0.1/"
    async with build_client() as client:
        run = await run_harvest(sessions, source, client)
    assert run.status == "failed"
    assert "10.0.0.1" in (run.message or "")
    assert len(await _rows(sessions, Dataset)) == len(mixed_packages())


async def test_unknown_source_is_a_clear_error(sessions):
    async with _client(PagedSearch([])) as client:
        with pytest.raises(SourceNotFound, match="no source with id 'nope'"):
            await run_harvest(sessions, "nope", client)


async def test_a_run_past_four_gigabytes_stores_its_byte_count(
    sessions, source, monkeypatch: pytest.MonkeyPatch
):
    """Migration 0012: a 1 M-dataset CKAN listing is ~6 GB, and a 32-bit column (PostgreSQL)
    failed the run at 2 GB, when a batch stored the run's counters."""
    from connectors.ckan import CkanConnector

    count_bytes = CkanConnector._count_bytes

    def huge_pages(self: CkanConnector, size: int) -> None:
        count_bytes(self, size + 3_000_000_000)  # each page "weighs" 3 GB

    monkeypatch.setattr(CkanConnector, "_count_bytes", huge_pages)
    packages = mixed_packages()
    run = await _harvest(sessions, source, PagedSearch(packages))
    assert run.status == "succeeded", run.message
    stored = await _rows(sessions, HarvestRun)
    assert stored[0].bytes == run.bytes > run.pages * 3_000_000_000 > 2**32


@pytest.mark.parametrize("failing", ["datasets", "counters"])
async def test_a_database_error_in_the_final_flush_fails_the_run_at_once(
    sessions, engine, source, monkeypatch: pytest.MonkeyPatch, failing: str
):
    """The last batch's write failing (a full disk, a lost connection, a counter the column
    cannot hold) ends the run ``failed`` with the error recorded, not ``running`` until the
    liveness check; the batches written before it stay, and the run counts only them."""
    from harvester import run_report

    real_write_batch = run_report.write_batch
    batches: list[int] = []
    armed: list[bool] = []

    def disk_full(statement: str) -> sa.exc.OperationalError:
        return sa.exc.OperationalError(statement, None, OSError("disk full"))

    async def tail_fails(session, source_id, items, **kwargs: Any):
        batches.append(len(items))
        if len(items) < 5:  # 18 packages in batches of 5: the 4th and last holds 3
            if failing == "datasets":
                raise disk_full("INSERT INTO dataset")
            armed.append(True)  # its datasets are written, then the run's counters fail
        return await real_write_batch(session, source_id, items, **kwargs)

    def counters_fail(conn, cursor, statement: str, *args: Any) -> None:
        if armed and statement.startswith("UPDATE harvest_run") and "seen=" in statement:
            armed.clear()
            raise disk_full(statement)

    monkeypatch.setattr(run_report, "write_batch", tail_fails)
    sa.event.listen(engine.sync_engine, "before_cursor_execute", counters_fail)
    packages = mixed_packages()
    try:
        run = await _harvest(sessions, source, PagedSearch(packages))
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", counters_fail)
    assert batches == [5, 5, 5, 3] and not armed, "only the final flush failed"
    assert run.status == "failed" and not run.complete
    assert "disk full" in (run.message or "")
    [stored] = await _rows(sessions, HarvestRun)
    assert (stored.status, stored.seen, stored.added) == ("failed", 18, 15)
    assert stored.finished_at is not None and "disk full" in (stored.message or "")
    errors = await _rows(sessions, HarvestError)
    assert [(e.kind, e.remote_id) for e in errors] == [("OperationalError", None)]
    assert "disk full" in errors[0].message
    assert len(await _rows(sessions, Dataset)) == 15, "the earlier batches are kept"


async def test_the_saved_cursor_is_that_of_the_last_batch_written(
    sessions, source, monkeypatch: pytest.MonkeyPatch
):
    """DESIGN §2: "a run is resumable: its cursor is saved as it goes". The close must not
    store the connector's final position (``start`` 18, the whole listing) when the last
    batch was never written: the cursor stays the one written with the batch before
    (``start`` 12: the batch ending with package 15 was cut on the page starting at 12)."""
    from harvester import run_report

    real_write_batch = run_report.write_batch

    async def tail_fails(session, source_id, items, **kwargs: Any):
        if len(items) < 5:  # 18 packages in batches of 5: the 4th and last holds 3
            raise sa.exc.OperationalError("INSERT INTO dataset", None, OSError("disk full"))
        return await real_write_batch(session, source_id, items, **kwargs)

    monkeypatch.setattr(run_report, "write_batch", tail_fails)
    run = await _harvest(sessions, source, PagedSearch(mixed_packages()))
    assert run.status == "failed" and run.added == 15
    [stored] = await _rows(sessions, HarvestRun)
    assert stored.cursor == run.cursor == {"start": 12}


async def test_a_write_failing_mid_listing_keeps_the_cursor_of_what_was_written(
    sessions, source, monkeypatch: pytest.MonkeyPatch
):
    """The second batch's write fails while the listing goes on: the run ends failed with
    the error (its own kind, not a wrapper's), the first batch stays, and the saved cursor
    is the one written with it (``start`` 4: the batch ending with package 5 was cut on the
    page starting at 4), not the connector's position when the listing stopped."""
    from harvester import run_report

    real_write_batch = run_report.write_batch
    writes: list[int] = []

    async def second_fails(session, source_id, items, **kwargs: Any):
        writes.append(len(items))
        if len(writes) == 2:
            raise sa.exc.OperationalError("INSERT INTO dataset", None, OSError("disk full"))
        return await real_write_batch(session, source_id, items, **kwargs)

    monkeypatch.setattr(run_report, "write_batch", second_fails)
    run = await _harvest(sessions, source, PagedSearch(mixed_packages()))
    assert run.status == "failed" and run.added == 5 and "disk full" in (run.message or "")
    [stored] = await _rows(sessions, HarvestRun)
    assert stored.cursor == {"start": 4}
    errors = await _rows(sessions, HarvestError)
    assert [e.kind for e in errors] == ["OperationalError"]
    assert len(await _rows(sessions, Dataset)) == 5


async def test_a_record_whose_derivation_fails_in_process_fails_alone(
    sessions, source, monkeypatch: pytest.MonkeyPatch
):
    """Like a mapping worker, the run's own process counts a record whose dump or derivation
    raises as that record's failure: the batch and the run go on."""
    from harvester import mapping_pool, prepare
    from harvester.mapping_pool import MappingPool

    monkeypatch.setattr(mapping_pool, "POOL", MappingPool(0))  # map in this process
    packages = mixed_packages()
    broken = str(packages[6]["id"])
    quality_facts = prepare.quality_facts

    def fails_for_one(record: Any) -> Any:
        if record.provenance.remote_id == broken:
            raise ValueError(f"no quality for {broken}")
        return quality_facts(record)

    monkeypatch.setattr(prepare, "quality_facts", fails_for_one)
    run = await _harvest(sessions, source, PagedSearch(packages))
    assert run.status == "partial", run.message
    assert (run.failed, run.added) == (1, len(packages) - 1)
    stored = {row.remote_id for row in await _rows(sessions, Dataset)}
    assert stored == {str(p["id"]) for p in packages} - {broken}
    errors = await _rows(sessions, HarvestError)
    assert [(e.remote_id, e.kind) for e in errors] == [(broken, "ValueError")]
    assert f"no quality for {broken}" in errors[0].message


async def test_a_huge_database_error_is_stored_cut(
    sessions, source, monkeypatch: pytest.MonkeyPatch
):
    """A failed multi-row INSERT's text holds its SQL and parameters (megabytes, and a NUL
    PostgreSQL would refuse): the run's message keeps its start, cut and marked."""
    from harvester import run_report
    from harvester.mapping_pool import MESSAGE_CHARS

    statement = "INSERT INTO dataset \x00 VALUES " + "(?, ?), " * 300_000

    async def fails(*args: Any, **kwargs: Any) -> Any:
        raise sa.exc.OperationalError(statement, None, OSError("disk full"))

    monkeypatch.setattr(run_report, "write_batch", fails)
    run = await _harvest(sessions, source, PagedSearch(mixed_packages()))
    assert run.status == "failed"
    [stored] = await _rows(sessions, HarvestRun)
    for message in (run.message or "", stored.message or ""):
        assert len(message) <= MESSAGE_CHARS and message.endswith("…")
        assert "\x00" not in message and "INSERT INTO dataset \ufffd VALUES" in message
    errors = await _rows(sessions, HarvestError)
    assert errors and {e.kind for e in errors} == {"OperationalError"}
    assert all(len(e.message) <= MESSAGE_CHARS and "\x00" not in e.message for e in errors)


async def test_nul_characters_in_a_record_error_are_stored_replaced(
    sessions, source, monkeypatch: pytest.MonkeyPatch
):
    """PostgreSQL's text refuses NUL: a record error carrying one (message, detail, url)
    is stored with U+FFFD in its place and the run closes normally."""
    from connectors.base import RawRecord as FetchedRecord
    from connectors.ckan import CkanConnector
    from connectors.errors import RecordInvalid

    packages = mixed_packages()
    broken = str(packages[1]["id"])
    normalize = CkanConnector.normalize

    def nul_error(self: CkanConnector, raw: FetchedRecord) -> Any:
        if raw.remote_id == broken:
            raise RecordInvalid(
                "title is \x00", detail="payload \x00 here", url="https://a.example/\x00"
            )
        return normalize(self, raw)

    monkeypatch.setattr(CkanConnector, "normalize", nul_error)
    run = await _harvest(sessions, source, PagedSearch(packages))
    assert run.status == "partial", run.message
    assert (run.failed, run.added) == (1, len(packages) - 1)
    [stored] = await _rows(sessions, HarvestRun)
    assert stored.status == "partial" and stored.finished_at is not None
    [error] = await _rows(sessions, HarvestError)
    assert (error.remote_id, error.message) == (broken, "title is \ufffd")
    assert (error.detail, error.url) == ("payload \ufffd here", "https://a.example/\ufffd")


async def test_each_batch_is_dated_when_written_not_at_the_run_start(sessions, source, monkeypatch):
    """The change feed's date form finds a batch committed late in a long run."""
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    ticks = itertools.count(1)
    monkeypatch.setattr(run_report, "utcnow", lambda: start + timedelta(minutes=next(ticks)))
    packages = mixed_packages()
    run = await _harvest(sessions, source, PagedSearch(packages))
    assert run.status == "succeeded" and run.added == len(packages) > 10

    rows = await _rows(sessions, Dataset)
    dates = sorted({row.updated_at for row in rows})
    assert len(dates) == -(-len(packages) // 5), "one date per batch of five"
    assert all(row.first_seen == row.last_seen == row.updated_at for row in rows)
    last = {row.remote_id for row in rows if row.updated_at == dates[-1]}
    async with sessions() as session:
        page = await changes(session, changed_since=dates[-1], limit=len(packages))
    assert {row.remote_id for row in page.rows} == last
    assert 0 < len(last) < len(packages)
