"""The report of a run in progress: counters, per-record errors, batched flushes."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.base import Connector, RawRecord, SourceSpec
from harvester import mapping_pool
from harvester.mapping_pool import BatchMapping, Mapped, MappingError, storable
from harvester.search.fields import PartnerInfo
from harvester.seen_ids import SeenIds
from harvester.store.datasets import (
    Harvested,
    Stored,
    payload_hash,
    source_partner,
    stored_state,
    write_batch,
)
from harvester.store.db import dialect_name
from harvester.store.tables import HarvestError as HarvestErrorRow
from harvester.store.tables import HarvestRun
from harvester.store.types import utcnow

MAX_ERRORS_PER_RUN = 1000


class RunLost(Exception):
    """Someone else declared this run dead (no heartbeat): it must stop writing."""

    def __init__(self, run_id: int | None) -> None:
        super().__init__(f"run {run_id} was declared interrupted by the liveness check")


@dataclass(slots=True)
class RunProgress:
    """What a progress display needs; ``on_progress`` is called after every batch."""

    seen: int = 0
    expected: int | None = None
    on_progress: Callable[[RunProgress], None] | None = field(default=None, repr=False)


class Report:
    """Counters and errors of a run in progress, flushed to its row at each batch."""

    def __init__(self, run: HarvestRun) -> None:
        self.run = run
        self.errors: list[HarvestErrorRow] = []
        self.recorded_errors = 0
        self.seen_ids = SeenIds()

    def error(self, error: Exception, remote_id: str | None = None) -> None:
        self.record_error(MappingError.of(error), remote_id)

    def record_error(self, error: MappingError, remote_id: str | None = None) -> None:
        if self.recorded_errors >= MAX_ERRORS_PER_RUN:
            return
        self.recorded_errors += 1
        self.errors.append(
            HarvestErrorRow(
                run_id=self.run.id or 0,
                remote_id=storable(remote_id) if remote_id is not None else None,
                kind=error.kind,
                message=error.message,
                detail=error.detail,
                url=error.url,
            )
        )


_COUNTERS = ("seen", "added", "updated", "unchanged", "failed", "skipped", "pages", "bytes")


@dataclass(slots=True)
class Cut:
    """A batch cut from the listing, with the connector's position when it was cut (what
    the run row records when the batch is written) and, when a worker maps it, the
    pending mapping of the records that needed one."""

    raws: list[RawRecord]
    pages: int
    bytes: int
    cursor: dict[str, Any]
    digests: list[str | None] | None = None
    """Payload hashes read ahead (None for a record never stored: its worker hashes it)."""
    sent: list[int] = field(default_factory=list)
    """Positions in ``raws`` of the records sent to the worker, in order."""
    mapping: BatchMapping | None = None
    changed: int = 0
    """Records its write found changed (mapped, by the worker or in process)."""

    @classmethod
    def of(cls, raws: list[RawRecord], connector: Connector) -> Cut:
        stats = connector.stats
        return cls(raws, stats.pages, stats.bytes, dict(stats.cursor))


async def map_ahead(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    cut: Cut,
    mapping_key: str | None,
    connector: Connector,
    spec: SourceSpec,
    partner: PartnerInfo,
) -> None:
    """Send the records of ``cut`` that look changed to a mapping worker. What is written
    is still decided against the state read when the batch is written
    (:func:`_map_batch`): this read only chooses what to map early."""
    async with sessions() as session:
        stored = await stored_state(session, source_id, [raw.remote_id for raw in cut.raws])
        postgresql = dialect_name(session) == "postgresql"
    # a record never stored is mapped whatever its hash: the worker computes it
    cut.digests = [
        raw.digest or (payload_hash(raw.payload) if raw.remote_id in stored else None)
        for raw in cut.raws
    ]
    sent = []
    for index, (raw, digest) in enumerate(zip(cut.raws, cut.digests, strict=True)):
        known = stored.get(raw.remote_id)
        changed = known is None or digest is None or not known.unchanged(digest, mapping_key)
        if changed and mapping_pool.portable(connector, raw):
            sent.append(index)
    pool = mapping_pool.POOL
    # the pool starts once a batch has records to map (or with a first harvest, see
    # runs._fetch_all): an unchanged re-harvest never starts it
    if len(sent) < pool.min_records or not pool.usable_for(connector):
        return
    cut.mapping = pool.submit(
        spec,
        partner,
        [cut.raws[index] for index in sent],
        [cut.digests[index] for index in sent],
        pg_vectors=postgresql,
        context=mapping_pool.mapping_context(connector),
    )
    cut.sent = sent if cut.mapping is not None else []


async def _premapped(cut: Cut) -> dict[int, Mapped]:
    """The worker's results by position in the batch ({} when it had none or failed)."""
    if cut.mapping is None:
        return {}
    try:
        results = await cut.mapping.result()
    except BrokenProcessPool as error:
        mapping_pool.POOL.broken(error)
        return {}
    return dict(zip(cut.sent, results, strict=True))


async def _map_batch(
    session: AsyncSession,
    source_id: str,
    cut: Cut,
    premapped: dict[int, Mapped],
    report: Report,
    connector: Connector,
    mapping_key: str | None,
) -> tuple[list[Harvested], dict[str, Stored]]:
    """The batch's records, mapped only where the stored payload, mapping or dataset differ
    (the others carry no record and count as unchanged). Records the worker did not map are
    mapped here, each failing alone as in a worker (:func:`mapping_pool.mapped`), and so are
    those the connector no longer finds portable (what ``fetch()`` read since the batch was
    sent changes their mapping: a DCAT-US series parent named by a later ``isPartOf``)."""
    raws = cut.raws
    stored = await stored_state(session, source_id, [raw.remote_id for raw in raws])
    digests = cut.digests or [raw.digest for raw in raws]
    run = report.run
    partner: PartnerInfo | None = None
    items: list[Harvested] = []
    for index, (raw, digest) in enumerate(zip(raws, digests, strict=True)):
        mapped = premapped.get(index)
        if digest is None:  # hashed by the worker, if it mapped the record
            digest = (mapped.digest if mapped is not None else None) or payload_hash(raw.payload)
        known = stored.get(raw.remote_id)
        if known is not None and known.unchanged(digest, mapping_key):
            items.append(Harvested(raw, None, digest))
            continue
        cut.changed += 1
        if mapped is not None and not mapping_pool.portable(connector, raw):
            mapped = None
        if mapped is None:
            if partner is None:
                partner = await source_partner(session, source_id)
            mapped = mapping_pool.mapped(connector, raw, source_id, partner)
        if mapped.prepared is not None:
            items.append(Harvested(raw, None, digest, mapped.prepared))
        elif mapped.error is not None:
            run.failed += 1
            report.record_error(mapped.error, raw.remote_id)
        else:
            run.skipped += 1
    return items, stored


async def flush(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    cut: Cut,
    report: Report,
    connector: Connector,
    mapping_key: str | None = None,
) -> None:
    """Map and write one batch of fetched records and the run's counters, errors and cursor
    in one transaction.

    The rows it writes are dated when the batch is mapped, its transaction holding the run
    (``updated_at``, ``last_seen``; ``first_seen`` of new ones), not at the run's start: a
    batch committed late in a long run is dated near its commit, which the change feed's
    date form (``since`` an instant) relies on.

    Records whose payload and mapping are those already stored (dataset present and
    visible) are not normalized: they count as unchanged. The run row is updated only while
    it is still ``running``: a run the liveness check declared interrupted raises
    :class:`RunLost` and its batch is rolled back. A batch rolled back leaves the run's
    counters, cursor and errors as they were.
    """
    run = report.run
    premapped = await _premapped(cut)  # before the transaction: never wait holding locks
    counters = {name: getattr(run, name) for name in _COUNTERS}
    cursor, errors, recorded = run.cursor, list(report.errors), report.recorded_errors
    try:
        await _write(sessions, source_id, cut, premapped, report, connector, mapping_key)
    except BaseException:
        # the batch was rolled back, so are its counts, cursor and errors: the run's close
        # then stores what was written (not values that may be what failed, e.g. overflow)
        for name, value in counters.items():
            setattr(run, name, value)
        run.cursor, report.errors, report.recorded_errors = cursor, errors, recorded
        raise
    report.errors = []


async def _write(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    cut: Cut,
    premapped: dict[int, Mapped],
    report: Report,
    connector: Connector,
    mapping_key: str | None,
) -> None:
    run = report.run
    async with sessions() as session, session.begin():
        await _lock_running(session, run)
        items, stored = await _map_batch(
            session, source_id, cut, premapped, report, connector, mapping_key
        )
        now = utcnow()  # mapped and holding the run: the batch commits soon after
        result = await write_batch(
            session, source_id, items, now=now, mapping_key=mapping_key, stored=stored
        )
        run.added += result.added
        run.updated += result.updated
        run.unchanged += result.unchanged
        run.pages = cut.pages
        run.bytes = cut.bytes
        run.cursor = cut.cursor
        values = {name: getattr(run, name) for name in _COUNTERS}
        updated = await session.execute(
            sa.update(HarvestRun)
            .where(col(HarvestRun.id) == run.id, col(HarvestRun.status) == "running")
            .values(**values, cursor=run.cursor, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if not updated.rowcount:  # type: ignore[attr-defined]
            raise RunLost(run.id)
        session.add_all(report.errors)


async def _lock_running(session: AsyncSession, run: HarvestRun) -> None:
    """Lock the run row before writing anything, or raise :class:`RunLost`.

    The liveness sweep locks the run row, then the source's; a batch that locked source
    and dataset rows first and the run row last could deadlock with it on PostgreSQL.
    """
    locked = await session.execute(
        sa.update(HarvestRun)
        .where(col(HarvestRun.id) == run.id, col(HarvestRun.status) == "running")
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not locked.rowcount:  # type: ignore[attr-defined]
        raise RunLost(run.id)


def tell(progress: RunProgress | None, seen: int, connector: Connector) -> None:
    """Update a progress display, if any."""
    if progress is None:
        return
    progress.seen = seen
    progress.expected = connector.stats.expected
    if progress.on_progress:
        progress.on_progress(progress)
