"""Response models of the harvest-run and source-schedule endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from harvester.run_queries import ErrorGroup
from harvester.store.tables import HarvestRun, Source


class RunSummary(BaseModel):
    id: int
    source_id: str
    status: str = Field(description="running, succeeded, partial or failed")
    trigger: str = Field(description="schedule, manual, api, cli, queue or resume")
    full: bool
    complete: bool = Field(description="The whole remote listing was enumerated.")
    interrupted: bool = Field(description="Its process died or stopped; resumed by a later run.")
    resumed_from: int | None
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    duration_seconds: float | None
    worker: str | None
    seen: int
    added: int
    updated: int
    unchanged: int
    withdrawn: int
    held: int = Field(description="Withdrawals held for the operator (over the guard share).")
    failed: int
    skipped: int
    pages: int
    bytes: int
    message: str | None
    withdrawals: str | None = Field(description="What the run decided about withdrawals.")


class ErrorCause(BaseModel):
    kind: str
    message: str = Field(description="The message, with the record id masked as {id}.")
    count: int
    remote_ids: list[str] = Field(description="Up to 5 example records.")
    url: str | None
    detail: str | None


class RunDetail(RunSummary):
    cursor: dict[str, Any]
    errors: list[ErrorCause]


class HarvestAccepted(BaseModel):
    source_id: str
    status: str = Field(description="started (in this process) or queued (for a worker)")
    full: bool


class HeldDecision(BaseModel):
    run_id: int
    decision: str
    count: int


class SourceSchedule(BaseModel):
    id: str
    schedule: str | None
    paused: bool
    next_harvest_at: datetime | None
    consecutive_failures: int
    flagged_at: datetime | None
    last_complete_harvest_at: datetime | None


class ScheduleUpdate(BaseModel):
    schedule: str = Field(description="A cron expression ('0 3 * * *') or an interval ('6h').")


def run_summary(run: HarvestRun) -> RunSummary:
    duration = (
        (run.finished_at - run.started_at).total_seconds() if run.finished_at is not None else None
    )
    return RunSummary.model_validate(
        {**run.model_dump(), "duration_seconds": duration, "id": run.id or 0}
    )


def run_detail(run: HarvestRun, errors: list[ErrorGroup]) -> RunDetail:
    summary = run_summary(run)
    return RunDetail(
        **summary.model_dump(),
        cursor=dict(run.cursor or {}),
        errors=[
            ErrorCause(
                kind=g.kind,
                message=g.message,
                count=g.count,
                remote_ids=g.remote_ids,
                url=g.url,
                detail=g.detail,
            )
            for g in errors
        ],
    )


def source_schedule(source: Source) -> SourceSchedule:
    return SourceSchedule.model_validate(source.model_dump())
