"""Closing a run: its final status, the withdrawal decision and the source's streak.

Withdrawals happen only after a *complete, successful, full, fresh* enumeration (DESIGN §5):
a failed run, an incomplete listing (short, repeated page, cap, count changed), an
incremental run or a run resumed from a dead one's cursor withdraws nothing, and says why in
``withdrawals``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.base import Connector
from harvester.mapping_pool import MESSAGE_CHARS, storable
from harvester.notify import Transition, record_outcome
from harvester.partnership import cells as partnership_cells
from harvester.run_report import Report
from harvester.search import facet_totals
from harvester.store.tables import HarvestRun, Source
from harvester.store.types import utcnow
from harvester.store.withdrawals import close_withdrawals


@dataclass(frozen=True, slots=True)
class CloseOptions:
    guard: float = 0.2
    failure_threshold: int = 3


def final_status(run: HarvestRun, fatal: Exception | None) -> str:
    if fatal is not None:
        return "failed"
    return "partial" if run.failed else "succeeded"


def no_withdrawal_reason(run: HarvestRun, connector: Connector) -> str | None:
    """Why this run may not withdraw anything, or None if it may."""
    if run.status == "failed":
        return "run failed: nothing withdrawn"
    if not connector.stats.complete:
        stopped = connector.stats.cursor.get("stopped")
        return "listing incomplete" + (f" ({stopped})" if stopped else "") + ": nothing withdrawn"
    if not run.full:
        return "incremental run: nothing withdrawn"
    if run.resumed_from is not None:
        return f"resumed from run {run.resumed_from}: nothing withdrawn until the next full run"
    return None


async def finish(
    sessions: async_sessionmaker[AsyncSession],
    report: Report,
    connector: Connector,
    fatal: Exception | None,
    options: CloseOptions,
) -> tuple[bool, Transition | None]:
    """Write the run's end; returns (still ours, streak transition).

    "Still ours" is False when the liveness check declared the run interrupted meanwhile:
    then nothing is written. The saved cursor is left as the last written batch left it.
    """
    run = report.run
    run.status = final_status(run, fatal)
    run.complete = connector.stats.complete and fatal is None
    run.finished_at = utcnow()
    run.pages = connector.stats.pages
    run.bytes = connector.stats.bytes
    # run.cursor stays that of the last batch written (run_report.flush): the connector's
    # own position may be past records whose batch was never written
    run.message = storable(str(fatal), MESSAGE_CHARS) if fatal else None
    async with sessions() as session, session.begin():
        claimed = await session.execute(
            sa.update(HarvestRun)
            .where(col(HarvestRun.id) == run.id, col(HarvestRun.status) == "running")
            .values(status=run.status)
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return False, None
        await _withdrawals(session, run, report, connector, options)
        session.add(run)
        session.add_all(report.errors)
        if run.complete and run.full and run.resumed_from is None:
            await session.execute(
                sa.update(Source)
                .where(col(Source.id) == run.source_id)
                .values(last_complete_harvest_at=run.finished_at)
                .execution_options(synchronize_session=False)
            )
        transition = await record_outcome(
            session,
            run.source_id,
            failed=run.status == "failed",
            threshold=options.failure_threshold,
            now=run.finished_at,
            run=run,
        )
    report.errors = []
    # the empty query's facet counts, for the catalogue this run leaves (kept if current)
    await facet_totals.refresh(sessions)
    # and the stored partnership cells behind the operator endpoints (kept if current)
    await partnership_cells.refresh(sessions)
    return True, transition


async def _withdrawals(
    session: AsyncSession,
    run: HarvestRun,
    report: Report,
    connector: Connector,
    options: CloseOptions,
) -> None:
    reason = no_withdrawal_reason(run, connector)
    if reason is not None:
        run.withdrawals = reason
        return
    assert run.finished_at is not None
    decision = await close_withdrawals(
        session, run, report.seen_ids, guard=options.guard, now=run.finished_at
    )
    run.withdrawn = decision.withdrawn
    run.held = decision.held
    run.withdrawals = decision.note
