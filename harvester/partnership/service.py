"""What ``GET /api/v1/partnership`` and ``moisson stats`` do: check the datasets not yet
checked, compute the figures, keep the day's snapshot."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from harvester.config_model import TargetsConfig
from harvester.partnership import indicators, snapshots
from harvester.partnership.model import Figures
from harvester.store.quality import backfill_quality
from harvester.store.types import utcnow


def today() -> date:
    return utcnow().date()


async def current_figures(
    session: AsyncSession,
    targets: TargetsConfig | None,
    *,
    as_of: date | None = None,
    baseline: date | None = None,
    snapshot: str = "if-missing",
) -> Figures:
    """The figures as of ``as_of`` (default today). ``snapshot``: ``"replace"`` stores them as
    the day's snapshot, ``"if-missing"`` only when the day has none, ``"no"`` never — and
    only figures of today with the configured baseline are ever stored. Flushes only."""
    await backfill_quality(session)
    figures = await indicators.compute(session, targets, as_of=as_of or today(), baseline=baseline)
    official = figures.as_of == today() and baseline in (None, targets and targets.baseline)
    if official and snapshot != "no":
        await snapshots.take_snapshot(session, figures, replace=snapshot == "replace")
    return figures
