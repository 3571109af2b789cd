"""The report of a run in progress: counters, per-record errors, batched flushes."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.base import Connector
from connectors.errors import HarvestError
from harvester.store.datasets import Harvested, write_batch
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


async def flush(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    batch: list[Harvested],
    report: Report,
    now: datetime,
    connector: Connector,
) -> None:
    """Write one batch and the run's counters, errors and cursor in one transaction.

    The run row is updated only while it is still ``running``: a run the liveness check
    declared interrupted raises :class:`RunLost` and its batch is rolled back.
    """
    run = report.run
    async with sessions() as session, session.begin():
        result = await write_batch(session, source_id, batch, now=now)
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


def tell(progress: RunProgress | None, seen: int, connector: Connector) -> None:
    """Update a progress display, if any."""
    if progress is None:
        return
    progress.seen = seen
    progress.expected = connector.stats.expected
    if progress.on_progress:
        progress.on_progress(progress)
