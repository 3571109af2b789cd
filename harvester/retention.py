"""Pruning old runs: runs finished more than ``days`` ago go, with their errors, except the
``keep`` newest of each source and any run still holding withdrawals for the operator."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.store.bulk import slices
from harvester.store.tables import HarvestError, HarvestRun
from harvester.store.types import utcnow
from harvester.store.withdrawals import HeldWithdrawal


async def prune_runs(
    session: AsyncSession, *, days: int, keep: int = 10, now: datetime | None = None
) -> int:
    """Delete old finished runs and their errors; returns how many runs went. The caller
    commits."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    ranked = sa.select(
        col(HarvestRun.id).label("id"),
        sa.func.row_number()
        .over(partition_by=col(HarvestRun.source_id), order_by=col(HarvestRun.id).desc())
        .label("rank"),
    ).subquery()
    newest = sa.select(ranked.c.id).where(ranked.c.rank <= keep)
    doomed = list(
        (
            await session.scalars(
                sa.select(col(HarvestRun.id)).where(
                    col(HarvestRun.status) != "running",
                    col(HarvestRun.started_at) < cutoff,
                    col(HarvestRun.id).not_in(newest),
                    col(HarvestRun.id).not_in(sa.select(col(HeldWithdrawal.run_id))),
                )
            )
        ).all()
    )
    for chunk in slices(doomed, 5000):
        await session.execute(sa.delete(HarvestError).where(col(HarvestError.run_id).in_(chunk)))
        await session.execute(sa.delete(HarvestRun).where(col(HarvestRun.id).in_(chunk)))
    return len(doomed)
