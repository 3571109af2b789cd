"""What ``GET /api/v1/partnership`` and ``moisson stats`` do: check the datasets not yet
checked, compute the figures, keep the day's snapshot. ``moisson stats`` and the scheduler
count afresh (:func:`current_figures`); the API reads the stored cells (:func:`served_figures`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from harvester.config_model import TargetsConfig
from harvester.partnership import cells, indicators, report, snapshots
from harvester.partnership.model import Figures, PartnerConformity
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


async def served_figures(
    session: AsyncSession,
    targets: TargetsConfig | None,
    *,
    as_of: date | None = None,
    baseline: date | None = None,
) -> Figures:
    """What ``GET /api/v1/partnership`` serves: the figures from the stored cells
    (:mod:`.cells`), recounted first when stale unless a harvest is running — then the
    stored ones are served with ``exact = false``. Takes the day's snapshot if missing (exact
    figures only). Call before ``session`` has read anything; flushes only."""
    await cells.ensure_fresh(session)
    day = as_of or today()
    start = baseline or (targets.baseline if targets else indicators.EPOCH)
    stored = await cells.load(session, start, day)
    if stored is None:  # could not be counted (PostgreSQL: writers held the lock)
        return await current_figures(session, targets, as_of=as_of, baseline=baseline)
    figures = await indicators.compute(session, targets, as_of=day, baseline=start, counts=stored)
    official = figures.as_of == today() and baseline in (None, targets and targets.baseline)
    if official and figures.exact and not await snapshots.has_snapshot(session, day):
        await snapshots.take_snapshot(session, figures, replace=False)
    return figures


async def served_partner_conformity(
    session: AsyncSession, baseline: date, as_of: date, partner_id: str | None = None
) -> list[PartnerConformity]:
    """Per-partner conformity from the stored cells when they are current (recounted first
    unless a harvest is running), else counted afresh — always exact."""
    await cells.ensure_fresh(session)
    stored = await cells.load(session, baseline, as_of)
    if stored is not None and stored.exact:
        return await report.partner_conformity(session, baseline, as_of, partner_id, stored)
    await backfill_quality(session)
    return await report.partner_conformity(session, baseline, as_of, partner_id)
