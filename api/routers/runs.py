"""Harvest runs: reports, "harvest now", and the operator's decision on held withdrawals."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, BackgroundTasks, Query, Request
from sqlmodel import col

from api.auth import Operator, SourceAccess
from api.deps import Session
from api.problems import Problem
from api.run_schemas import (
    HarvestAccepted,
    HeldDecision,
    RunDetail,
    RunSummary,
    run_detail,
    run_summary,
)
from harvester.audit import record_event
from harvester.partnership import cells as partnership_cells
from harvester.run_queries import grouped_errors
from harvester.search import facet_totals
from harvester.store.queries import get_source, list_runs
from harvester.store.tables import HarvestRun
from harvester.store.types import utcnow
from harvester.store.withdrawals import NoHeldWithdrawals, confirm_held, discard_held

router = APIRouter(prefix="/api/v1", tags=["runs"])


@router.get("/sources/{source_id}/runs", response_model=list[RunSummary])
async def source_runs(
    source_id: str, session: Session, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[RunSummary]:
    """The latest runs of a source, newest first."""
    if await get_source(session, source_id) is None:
        raise Problem(404, f"no source with id {source_id!r}", title="Source not found")
    return [run_summary(run) for run in await list_runs(session, source_id, limit)]


@router.get("/runs/{run_id}", response_model=RunDetail)
async def show_run(run_id: int, session: Session) -> RunDetail:
    """One run with its counters and its errors grouped by cause."""
    run = await session.get(HarvestRun, run_id)
    if run is None:
        raise Problem(404, f"no run with id {run_id}", title="Run not found")
    return run_detail(run, await grouped_errors(session, run_id))


@router.post("/sources/{source_id}/harvest", response_model=HarvestAccepted, status_code=202)
async def harvest_now(
    source_id: str, request: Request, session: Session, access: SourceAccess, full: bool = False
) -> HarvestAccepted:
    """Harvest a source now (operator, or the partner owning it); 409 if one is running."""
    principal, source = access
    if source.status != "approved":
        raise Problem(409, f"source {source_id!r} is {source.status}, not approved")
    running = await session.scalar(
        sa.select(col(HarvestRun.id)).where(
            col(HarvestRun.source_id) == source_id, col(HarvestRun.status) == "running"
        )
    )
    if running is not None:
        raise Problem(409, f"run {running} of source {source_id!r} is still running")
    status = await request.app.state.harvests.submit(source_id, full=full, trigger="api")
    if status is None:
        raise Problem(409, f"a harvest of source {source_id!r} is already pending")
    record_event(
        session,
        actor=principal.actor,
        action="harvest.requested",
        target_type="source",
        target_id=source_id,
        full=full,
        status=status,
    )
    await session.commit()
    return HarvestAccepted(source_id=source_id, status=status, full=full)


async def _decide(
    session: Session, run_id: int, principal: Operator, confirm: bool
) -> HeldDecision:
    try:
        if confirm:
            count = await confirm_held(session, run_id, utcnow(), principal.actor)
        else:
            count = await discard_held(session, run_id, principal.actor)
    except NoHeldWithdrawals as error:
        raise Problem(409, str(error), title="Nothing held") from None
    decision = "confirmed" if confirm else "discarded"
    record_event(
        session,
        actor=principal.actor,
        action=f"withdrawals.{decision}",
        target_type="run",
        target_id=str(run_id),
        count=count,
    )
    await session.commit()
    return HeldDecision(run_id=run_id, decision=decision, count=count)


@router.post("/runs/{run_id}/withdrawals/confirm", response_model=HeldDecision)
async def confirm_withdrawals(
    run_id: int,
    request: Request,
    background: BackgroundTasks,
    session: Session,
    principal: Operator,
) -> HeldDecision:
    """Withdraw what the run held (datasets written again since are kept)."""
    decision = await _decide(session, run_id, principal, confirm=True)
    if decision.count:  # the whole-catalogue aggregates changed: recount after answering
        background.add_task(facet_totals.refresh, request.app.state.sessions)
        background.add_task(partnership_cells.refresh, request.app.state.sessions)
    return decision


@router.post("/runs/{run_id}/withdrawals/discard", response_model=HeldDecision)
async def discard_withdrawals(run_id: int, session: Session, principal: Operator) -> HeldDecision:
    """Keep every dataset the run held."""
    return await _decide(session, run_id, principal, confirm=False)
