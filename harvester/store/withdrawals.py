"""Withdrawing datasets a source no longer lists, safely (DESIGN §5).

Only a run that enumerated the whole remote catalogue calls :func:`close_withdrawals`. It
compares the source's visible datasets with the remote ids the run saw; the missing ones are
withdrawn (``withdrawn_at`` set, dropped from the search index, still readable by id), unless
the listing was empty — then nothing is — or they are more than the guard share of the
source, in which case they are *held* in ``held_withdrawal`` for an operator to
:func:`confirm_held` or :func:`discard_held`. A withdrawn record that comes back is restored
by the ordinary upsert (``write_batch`` clears ``withdrawn_at`` and counts it updated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from connectors.base import SeenSet
from harvester.search.backend import search_backend
from harvester.store.bulk import slices
from harvester.store.db import dialect_name
from harvester.store.tables import Dataset, HarvestRun

CHUNK = 5000
"""Keys per ``IN (…)``: below SQLite's and asyncpg's bound-parameter limits."""


class HeldWithdrawal(SQLModel, table=True):
    """A dataset a run would have withdrawn, held for the operator (migration 0004)."""

    __tablename__ = "held_withdrawal"

    run_id: int = Field(foreign_key="harvest_run.id", primary_key=True, ondelete="CASCADE")
    dataset_pk: int = Field(foreign_key="dataset.pk", primary_key=True, ondelete="CASCADE")


@dataclass(frozen=True, slots=True)
class Decision:
    """What a complete run did about missing records."""

    withdrawn: int
    held: int
    note: str


class NoHeldWithdrawals(LookupError):
    """The run holds no withdrawals (none, already confirmed or discarded, or superseded)."""


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"


async def withdraw(session: AsyncSession, pks: Sequence[int], now: datetime) -> int:
    """Soft-withdraw these visible datasets and drop them from the search index."""
    done = 0
    backend = search_backend(dialect_name(session))
    for chunk in slices(list(pks), CHUNK):
        result = await session.execute(
            sa.update(Dataset)
            .where(col(Dataset.pk).in_(chunk), col(Dataset.withdrawn_at).is_(None))
            .values(withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )
        done += result.rowcount or 0  # type: ignore[attr-defined]
        await backend.remove(session, chunk)
    return done


async def _missing(session: AsyncSession, source_id: str, seen: SeenSet) -> tuple[list[int], int]:
    """The pks of the source's visible datasets whose remote id is not in ``seen``, and
    the count of visible datasets. Rows are read in keyset chunks, so memory holds the
    missing pks, not every visible row (a 1 M-dataset source would need ~190 MB)."""
    missing: list[int] = []
    visible = 0
    after = 0
    while True:
        rows = (
            await session.execute(
                sa.select(col(Dataset.pk), col(Dataset.remote_id))
                .where(
                    col(Dataset.source_id) == source_id,
                    col(Dataset.withdrawn_at).is_(None),
                    col(Dataset.pk) > after,
                )
                .order_by(col(Dataset.pk))
                .limit(CHUNK)
            )
        ).all()
        if not rows:
            return missing, visible
        visible += len(rows)
        missing += [pk for pk, remote_id in rows if pk is not None and remote_id not in seen]
        after = rows[-1][0] or after


async def _supersede(session: AsyncSession, source_id: str, run_id: int) -> None:
    """Earlier holds of the source give way to this run's fresh decision."""
    earlier = (
        sa.select(col(HeldWithdrawal.run_id))
        .join(HarvestRun, col(HarvestRun.id) == col(HeldWithdrawal.run_id))
        .where(col(HarvestRun.source_id) == source_id, col(HarvestRun.id) != run_id)
    )
    run_ids = list((await session.scalars(earlier.distinct())).all())
    if not run_ids:
        return
    await session.execute(
        sa.update(HarvestRun)
        .where(col(HarvestRun.id).in_(run_ids))
        .values(held=0, withdrawals=f"held, then superseded by run {run_id}")
        .execution_options(synchronize_session=False)
    )
    await session.execute(sa.delete(HeldWithdrawal).where(col(HeldWithdrawal.run_id).in_(run_ids)))


async def close_withdrawals(
    session: AsyncSession,
    run: HarvestRun,
    seen: SeenSet,
    *,
    guard: float,
    now: datetime,
) -> Decision:
    """Withdraw (or hold) the source's visible datasets that the complete run did not see.

    ``seen`` holds every remote id the listing returned, whether its record was stored,
    skipped or failed: a record that exists remotely is never withdrawn.
    """
    assert run.id is not None
    await _supersede(session, run.source_id, run.id)
    missing, visible = await _missing(session, run.source_id, seen)
    if not missing:
        return Decision(0, 0, "none missing")
    if not seen:
        return Decision(0, 0, f"the listing was empty: none of {visible} withdrawn")
    share = len(missing) / visible
    if share > guard:
        for chunk in slices(missing, CHUNK):
            await session.execute(
                sa.insert(HeldWithdrawal), [{"run_id": run.id, "dataset_pk": pk} for pk in chunk]
            )
        note = (
            f"held: {len(missing)} of {visible} ({_percent(share)}) missing, over the "
            f"{_percent(guard)} guard; an operator confirms or discards them"
        )
        return Decision(0, len(missing), note)
    withdrawn = await withdraw(session, missing, now)
    return Decision(withdrawn, 0, f"{withdrawn} of {visible} withdrawn")


async def _held_pks(session: AsyncSession, run_id: int) -> list[int]:
    return list(
        (
            await session.scalars(
                sa.select(col(HeldWithdrawal.dataset_pk)).where(
                    col(HeldWithdrawal.run_id) == run_id
                )
            )
        ).all()
    )


async def confirm_held(session: AsyncSession, run_id: int, now: datetime, actor: str) -> int:
    """Withdraw what run ``run_id`` held, except datasets written again since it started."""
    run = await session.get(HarvestRun, run_id)
    pks = await _held_pks(session, run_id) if run else []
    if run is None or not pks:
        raise NoHeldWithdrawals(f"run {run_id} holds no withdrawals")
    stale: list[int] = []
    for chunk in slices(pks, CHUNK):
        stale += (  # type: ignore[arg-type]
            await session.scalars(
                sa.select(col(Dataset.pk)).where(
                    col(Dataset.pk).in_(chunk), col(Dataset.updated_at) <= run.started_at
                )
            )
        ).all()
    withdrawn = await withdraw(session, stale, now)
    await session.execute(sa.delete(HeldWithdrawal).where(col(HeldWithdrawal.run_id) == run_id))
    run.withdrawn += withdrawn
    run.held = 0
    run.withdrawals = f"held, then confirmed by {actor}: {withdrawn} withdrawn"
    session.add(run)
    return withdrawn


async def discard_held(session: AsyncSession, run_id: int, actor: str) -> int:
    """Forget what run ``run_id`` held: those datasets stay visible."""
    run = await session.get(HarvestRun, run_id)
    pks = await _held_pks(session, run_id) if run else []
    if run is None or not pks:
        raise NoHeldWithdrawals(f"run {run_id} holds no withdrawals")
    await session.execute(sa.delete(HeldWithdrawal).where(col(HeldWithdrawal.run_id) == run_id))
    run.held = 0
    run.withdrawals = f"held, then discarded by {actor}: {len(pks)} kept"
    session.add(run)
    return len(pks)


async def held_runs(session: AsyncSession, source_id: str | None = None) -> list[HarvestRun]:
    """Runs that hold withdrawals now, newest first."""
    statement = (
        sa.select(HarvestRun)
        .where(col(HarvestRun.id).in_(sa.select(col(HeldWithdrawal.run_id))))
        .order_by(col(HarvestRun.id).desc())
    )
    if source_id is not None:
        statement = statement.where(col(HarvestRun.source_id) == source_id)
    return list((await session.scalars(statement)).all())
