"""The report of a run in progress: counters, per-record errors, batched flushes."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import DatasetRecord
from connectors.base import Connector, RawRecord
from connectors.errors import HarvestError, RecordInvalid, RecordSkipped
from harvester.store.datasets import Harvested, Stored, payload_hash, stored_state, write_batch
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
        self.seen_ids: set[str] = set()

    def error(self, error: Exception, remote_id: str | None = None) -> None:
        if self.recorded_errors >= MAX_ERRORS_PER_RUN:
            return
        self.recorded_errors += 1
        detail = error.detail if isinstance(error, HarvestError) else None
        if detail is None and not isinstance(error, HarvestError):
            detail = "".join(traceback.format_exception(error))[-4000:]
        self.errors.append(
            HarvestErrorRow(
                run_id=self.run.id or 0,
                remote_id=remote_id,
                kind=type(error).__name__,
                message=str(error)[:1000] or type(error).__name__,
                detail=detail,
                url=error.url if isinstance(error, HarvestError) else None,
            )
        )


_COUNTERS = ("seen", "added", "updated", "unchanged", "failed", "skipped", "pages", "bytes")


def normalized(connector: Connector, raw: RawRecord, report: Report) -> DatasetRecord | None:
    """``connector.normalize(raw)``, or None after counting a skipped or failed record."""
    run = report.run
    try:
        return connector.normalize(raw)
    except RecordSkipped:
        run.skipped += 1
    except RecordInvalid as error:
        run.failed += 1
        report.error(error, raw.remote_id)
    except Exception as error:  # a mapping bug must not stop the other records
        run.failed += 1
        report.error(error, raw.remote_id)
    return None


async def _map_batch(
    session: AsyncSession,
    source_id: str,
    raws: list[RawRecord],
    report: Report,
    connector: Connector,
    mapping_key: str | None,
) -> tuple[list[Harvested], dict[str, Stored]]:
    """The batch's records, normalized only where the stored payload, mapping or dataset
    differ (the others carry no record and count as unchanged)."""
    stored = await stored_state(session, source_id, [raw.remote_id for raw in raws])
    items: list[Harvested] = []
    for raw in raws:
        digest = payload_hash(raw.payload)
        known = stored.get(raw.remote_id)
        if known is not None and known.unchanged(digest, mapping_key):
            items.append(Harvested(raw, None, digest))
            continue
        record = normalized(connector, raw, report)
        if record is not None:
            items.append(Harvested(raw, record, digest))
    return items, stored


async def flush(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    batch: list[RawRecord],
    report: Report,
    now: datetime,
    connector: Connector,
    mapping_key: str | None = None,
) -> None:
    """Map and write one batch of fetched records and the run's counters, errors and cursor
    in one transaction.

    Records whose payload and mapping are those already stored (dataset present and
    visible) are not normalized: they count as unchanged. The run row is updated only while
    it is still ``running``: a run the liveness check declared interrupted raises
    :class:`RunLost` and its batch is rolled back.
    """
    run = report.run
    async with sessions() as session, session.begin():
        await _lock_running(session, run)
        items, stored = await _map_batch(session, source_id, batch, report, connector, mapping_key)
        result = await write_batch(
            session, source_id, items, now=now, mapping_key=mapping_key, stored=stored
        )
        run.added += result.added
        run.updated += result.updated
        run.unchanged += result.unchanged
        run.pages = connector.stats.pages
        run.bytes = connector.stats.bytes
        run.cursor = dict(connector.stats.cursor)
        values = {name: getattr(run, name) for name in _COUNTERS}
        updated = await session.execute(
            sa.update(HarvestRun)
            .where(col(HarvestRun.id) == run.id, col(HarvestRun.status) == "running")
            .values(**values, cursor=run.cursor, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not updated.rowcount:  # type: ignore[attr-defined]
            raise RunLost(run.id)
        session.add_all(report.errors)
    report.errors = []
    batch.clear()


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
