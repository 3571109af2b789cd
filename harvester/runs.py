"""One harvest run: drives any connector, writes in batches, keeps the run report.

The run owns job and item status; connectors only fetch and map (DESIGN §2, §3).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import PartnerKind
from connectors.base import Connector, SourceSpec
from connectors.errors import HarvestError, RecordInvalid, RecordSkipped
from connectors.registry import get_connector
from harvester.store.datasets import Harvested, write_batch
from harvester.store.tables import HarvestError as HarvestErrorRow
from harvester.store.tables import HarvestRun, Partner, Source
from harvester.store.types import utcnow

MAX_ERRORS_PER_RUN = 1000


class SourceNotFound(LookupError):
    """No source has this id."""

    def __init__(self, source_id: str) -> None:
        super().__init__(f"no source with id {source_id!r}")
        self.source_id = source_id


@dataclass(slots=True)
class RunProgress:
    """What a progress display needs; ``on_progress`` is called after every batch."""

    seen: int = 0
    expected: int | None = None
    on_progress: Callable[[RunProgress], None] | None = field(default=None, repr=False)


async def source_spec(session: AsyncSession, source: Source) -> SourceSpec:
    """The connector's view of a source row."""
    partner = await session.get(Partner, source.partner_id) if source.partner_id else None
    return SourceSpec(
        id=source.id,
        url=source.url,
        platform=source.platform,
        options=dict(source.options or {}),
        partner_name=partner.name if partner else None,
        partner_kind=PartnerKind(partner.kind) if partner else None,
    )


class _Report:
    """Counters and errors of a run in progress, flushed to its row at each batch."""

    def __init__(self, run: HarvestRun) -> None:
        self.run = run
        self.errors: list[HarvestErrorRow] = []
        self.recorded_errors = 0

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


async def _flush(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    batch: list[Harvested],
    report: _Report,
    now: datetime,
    connector: Connector,
) -> None:
    async with sessions() as session, session.begin():
        result = await write_batch(session, source_id, batch, now=now)
        run = report.run
        run.added += result.added
        run.updated += result.updated
        run.unchanged += result.unchanged
        run.pages = connector.stats.pages
        run.bytes = connector.stats.bytes
        run.heartbeat_at = utcnow()
        run.cursor = dict(connector.stats.cursor)
        session.add(run)
        session.add_all(report.errors)
    report.errors = []
    batch.clear()


def _final_status(run: HarvestRun, fatal: Exception | None) -> str:
    if fatal is not None:
        return "failed"
    return "partial" if run.failed else "succeeded"


async def run_harvest(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    client: httpx.AsyncClient,
    *,
    full: bool = False,
    batch_size: int = 500,
    progress: RunProgress | None = None,
) -> HarvestRun:
    """Harvest one source now and return its finished run row.

    Fetch errors end the run ``failed`` but keep every batch already written; a record
    that cannot be normalized fails alone and the run ends ``partial``.
    """
    async with sessions() as session:
        source = await session.get(Source, source_id)
        if source is None:
            raise SourceNotFound(source_id)
        spec = await source_spec(session, source)
        since = None if full else await _last_success_start(session, source_id)
        run = HarvestRun(source_id=source_id, full=full or since is None, heartbeat_at=utcnow())
        session.add(run)
        await session.commit()
    connector = get_connector(spec.platform)(spec, client)
    report = _Report(run)
    batch: list[Harvested] = []
    fatal: Exception | None = None
    now = utcnow()
    try:
        async for raw in connector.fetch(since):
            run.seen += 1
            try:
                batch.append(Harvested(raw=raw, record=connector.normalize(raw)))
            except RecordSkipped:
                run.skipped += 1
            except RecordInvalid as error:
                run.failed += 1
                report.error(error, raw.remote_id)
            except Exception as error:  # a mapping bug must not stop the other records
                run.failed += 1
                report.error(error, raw.remote_id)
            if len(batch) >= batch_size:
                await _flush(sessions, source_id, batch, report, now, connector)
                _tell(progress, run.seen, connector)
    except HarvestError as error:
        fatal = error
        report.error(error)
    if batch or report.errors or fatal is None:
        await _flush(sessions, source_id, batch, report, now, connector)
    _tell(progress, run.seen, connector)
    return await _finish(sessions, run, report, connector, fatal)


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    run: HarvestRun,
    report: _Report,
    connector: Connector,
    fatal: Exception | None,
) -> HarvestRun:
    run.status = _final_status(run, fatal)
    run.complete = connector.stats.complete and fatal is None
    run.finished_at = utcnow()
    run.pages = connector.stats.pages
    run.bytes = connector.stats.bytes
    run.message = str(fatal) if fatal else None
    async with sessions() as session, session.begin():
        session.add(run)
        session.add_all(report.errors)
        if run.complete and run.full:
            await session.execute(
                sa.update(Source)
                .where(col(Source.id) == run.source_id)
                .values(last_complete_harvest_at=run.finished_at)
            )
    return run


def _tell(progress: RunProgress | None, seen: int, connector: Connector) -> None:
    if progress is None:
        return
    progress.seen = seen
    progress.expected = connector.stats.expected
    if progress.on_progress:
        progress.on_progress(progress)


async def _last_success_start(session: AsyncSession, source_id: str) -> datetime | None:
    """Start of the last run that ended without a fatal error: the incremental cut-off."""
    return await session.scalar(
        sa.select(sa.func.max(col(HarvestRun.started_at))).where(
            col(HarvestRun.source_id) == source_id,
            col(HarvestRun.status).in_(("succeeded", "partial")),
        )
    )
