"""Daily snapshots of the figures, so progress can be plotted over time.

:func:`take_snapshot` stores (or replaces) one day's figures; :func:`history` returns the
compact points a dashboard plots. ``moisson stats`` and the first read of
``GET /api/v1/partnership`` each day take the day's snapshot; a scheduler may call
:func:`take_snapshot` daily as well.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.partnership.model import Figures, HistoryPoint
from harvester.store.partnership_tables import PartnershipSnapshot
from harvester.store.types import utcnow


async def take_snapshot(
    session: AsyncSession, figures: Figures, *, replace: bool = True
) -> PartnershipSnapshot:
    """Store ``figures`` as the snapshot of ``figures.as_of`` (flushes only)."""
    row = await session.get(PartnershipSnapshot, figures.as_of)
    document = figures.model_dump(mode="json")
    if row is None:
        row = PartnershipSnapshot(day=figures.as_of, figures=document)
        session.add(row)
    elif replace:
        row.figures, row.taken_at = document, utcnow()
    await session.flush()
    return row


async def has_snapshot(session: AsyncSession, day: date) -> bool:
    return await session.get(PartnershipSnapshot, day) is not None


def point(day: date, figures: dict[str, Any]) -> HistoryPoint:
    """The plotted values of one stored snapshot."""
    kinds = {k["kind"]: k for k in figures.get("partners", [])}
    ministries = kinds.get("ministry")
    return HistoryPoint(
        day=day,
        partners_additional={kind: k["additional"] for kind, k in kinds.items()},
        ministries_publishing=ministries["publishing"] if ministries else None,
        new_datasets=figures.get("new_datasets", {}).get("count", 0),
        conformity_share=figures.get("conformity", {}).get("share"),
        csv_api_share=figures.get("csv_api", {}).get("share"),
        hvd_datasets=figures.get("hvd", {}).get("datasets", 0),
    )


async def history(
    session: AsyncSession, *, since: date | None = None, until: date | None = None
) -> list[HistoryPoint]:
    """One point per stored day, oldest first."""
    statement = sa.select(PartnershipSnapshot).order_by(col(PartnershipSnapshot.day))
    if since is not None:
        statement = statement.where(col(PartnershipSnapshot.day) >= since)
    if until is not None:
        statement = statement.where(col(PartnershipSnapshot.day) <= until)
    return [point(row.day, row.figures) for row in await session.scalars(statement)]
