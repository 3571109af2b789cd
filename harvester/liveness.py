"""Liveness of running runs: heartbeats while a run works, and the check for dead ones.

A run beats every ``heartbeat_seconds`` from a background task (independently of its page
and batch sizes). :func:`sweep` finds ``running`` runs whose last beat is older than
``stale_after`` and marks them ``failed`` with ``interrupted = true``; their source is made
due at once, so the next run — scheduled, queued or manual — resumes from the saved cursor
when the connector can (see :mod:`harvester.runs`), or starts afresh. Upserts on
``(source_id, remote_id)`` make either way free of duplicates. A live process whose run was
swept finds out at its next beat or write and stops (:class:`~harvester.run_report.RunLost`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.notify import Transition, record_outcome
from harvester.store.tables import HarvestRun, Source
from harvester.store.types import utcnow

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def worker_name() -> str:
    """``host:pid`` of this process, recorded on the runs it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class Heartbeat:
    """State of a run's heartbeat task; ``lost`` once the run was swept by someone else."""

    run_id: int
    lost: bool = False
    beats: int = 0


async def beat(sessions: async_sessionmaker[AsyncSession], run_id: int) -> bool:
    """Stamp the run's heartbeat; False if it is no longer running."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.update(HarvestRun)
            .where(col(HarvestRun.id) == run_id, col(HarvestRun.status) == "running")
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@asynccontextmanager
async def heartbeat(
    sessions: async_sessionmaker[AsyncSession],
    run_id: int,
    every: float,
    *,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[Heartbeat]:
    """Beat every ``every`` seconds while the block runs."""
    state = Heartbeat(run_id)

    async def loop() -> None:
        while not state.lost:
            await sleep(every)
            try:
                alive = await beat(sessions, run_id)
            except Exception:  # a missed beat is not fatal; the next one may pass
                log.warning("run %s: heartbeat failed", run_id, exc_info=True)
                continue
            state.beats += 1
            if not alive:
                state.lost = True

    task = asyncio.create_task(loop(), name=f"heartbeat-{run_id}")
    try:
        yield state
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def interrupt(session: AsyncSession, run: HarvestRun, message: str, now: datetime) -> bool:
    """Mark a still-running run failed and interrupted, and its source due now (so it is
    resumed); False if it was no longer running. The caller commits."""
    updated = await session.execute(
        sa.update(HarvestRun)
        .where(col(HarvestRun.id) == run.id, col(HarvestRun.status) == "running")
        .values(
            status="failed",
            interrupted=True,
            finished_at=now,
            message=message,
            withdrawals="run interrupted: nothing withdrawn",
        )
        .execution_options(synchronize_session=False)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        return False
    run.status, run.interrupted, run.finished_at, run.message = "failed", True, now, message
    await session.execute(
        sa.update(Source)
        .where(col(Source.id) == run.source_id)
        .values(next_harvest_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


@dataclass(frozen=True, slots=True)
class Interrupted:
    """A run the sweep declared dead."""

    run_id: int
    source_id: str
    resumable: bool
    transition: Transition | None = None


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    *,
    stale_after: float,
    failure_threshold: int = 3,
    now: datetime | None = None,
) -> list[Interrupted]:
    """Mark runs silent for more than ``stale_after`` seconds as failed (interrupted) and
    make their sources due now, so they are resumed or re-run."""
    now = now or utcnow()
    limit = now - timedelta(seconds=stale_after)
    found: list[Interrupted] = []
    async with sessions() as session, session.begin():
        stale = (
            await session.scalars(
                sa.select(HarvestRun).where(
                    col(HarvestRun.status) == "running",
                    sa.func.coalesce(col(HarvestRun.heartbeat_at), col(HarvestRun.started_at))
                    < limit,
                )
            )
        ).all()
        for run in stale:
            last = run.heartbeat_at or run.started_at
            message = (
                f"interrupted: no heartbeat since {last:%Y-%m-%d %H:%M:%S} UTC"
                f" (worker {run.worker or 'unknown'})"
            )
            if not await interrupt(session, run, message, now):
                continue
            transition = await record_outcome(
                session, run.source_id, failed=True, threshold=failure_threshold, now=now, run=run
            )
            assert run.id is not None
            found.append(Interrupted(run.id, run.source_id, bool(run.cursor), transition))
    for item in found:
        log.warning(
            "run %s of %s interrupted (no heartbeat); source due again", item.run_id, item.source_id
        )
    return found
