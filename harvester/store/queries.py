"""Read queries used by the API and the CLI (no SQL in route functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.partnership import cells
from harvester.search import facet_totals as stored_facet_totals
from harvester.search.engine import SearchRequest, search
from harvester.search.facets import count_facets
from harvester.search.tables import dataset_facet
from harvester.search.version import catalog_version
from harvester.store.tables import Dataset, HarvestError, HarvestRun, Partner, Source


@dataclass(slots=True)
class DatasetPage:
    total: int
    datasets: list[Dataset]


async def search_datasets(
    session: AsyncSession, q: str | None, *, limit: int, offset: int = 0
) -> DatasetPage:
    """Visible datasets matching ``q`` (all when empty), best or newest first (the CLI's
    search; the API uses :func:`harvester.search.engine.search` directly)."""
    result = await search(session, SearchRequest(q=q, limit=limit, offset=offset))
    return DatasetPage(total=result.total, datasets=result.datasets)


async def get_dataset(session: AsyncSession, dataset_id: str) -> Dataset | None:
    """One dataset by public id, withdrawn ones included."""
    return await session.scalar(sa.select(Dataset).where(col(Dataset.id) == dataset_id))


async def get_source(session: AsyncSession, source_id: str) -> Source | None:
    return await session.get(Source, source_id)


async def list_sources(session: AsyncSession) -> Sequence[tuple[Source, Partner | None, int]]:
    """Every source with its partner and its count of visible datasets: from the stored
    partnership cells when current (:func:`harvester.partnership.cells.visible_by_source`),
    else counted through the partial index ``ix_dataset_visible_source``."""
    stored = await cells.visible_by_source(session)
    if stored is not None:
        listed = await session.execute(
            sa.select(Source, Partner)
            .outerjoin(Partner, col(Partner.id) == col(Source.partner_id))
            .order_by(col(Source.id))
        )
        return [(source, partner, stored.get(source.id, 0)) for source, partner in listed.all()]
    counts = (
        sa.select(col(Dataset.source_id), sa.func.count().label("n"))
        .where(col(Dataset.withdrawn_at).is_(None))
        .group_by(Dataset.source_id)
        .subquery()
    )
    statement = (
        sa.select(Source, Partner, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(Partner, col(Partner.id) == col(Source.partner_id))
        .outerjoin(counts, counts.c.source_id == col(Source.id))
        .order_by(col(Source.id))
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def list_runs(session: AsyncSession, source_id: str, limit: int = 20) -> Sequence[HarvestRun]:
    """The latest runs of a source, newest first."""
    return (
        await session.scalars(
            sa.select(HarvestRun)
            .where(col(HarvestRun.source_id) == source_id)
            .order_by(col(HarvestRun.id).desc())
            .limit(limit)
        )
    ).all()


async def run_error_summary(
    session: AsyncSession, run_id: int, limit: int = 10
) -> Sequence[tuple[str, str, int]]:
    """The run's errors grouped by (kind, message), most frequent first."""
    statement = (
        sa.select(col(HarvestError.kind), col(HarvestError.message), sa.func.count().label("n"))
        .where(col(HarvestError.run_id) == run_id)
        .group_by(col(HarvestError.kind), col(HarvestError.message))
        .order_by(sa.desc("n"), sa.func.min(col(HarvestError.id)))
        .limit(limit)
    )
    return [(kind, message, n) for kind, message, n in (await session.execute(statement)).all()]


async def partner_counts(
    session: AsyncSession, partner_id: str | None = None
) -> Sequence[tuple[Partner, int]]:
    """Partners (or one) with their count of visible datasets, by id."""
    counts = (
        sa.select(dataset_facet.c.value.label("partner"), sa.func.count().label("n"))
        .where(dataset_facet.c.facet == "partner", dataset_facet.c.visible.is_(True))
        .group_by(dataset_facet.c.value)
        .subquery()
    )
    statement = (
        sa.select(Partner, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.partner == col(Partner.id))
        .order_by(col(Partner.id))
    )
    if partner_id is not None:
        statement = statement.where(col(Partner.id) == partner_id)
    return [(partner, int(n)) for partner, n in (await session.execute(statement)).all()]


async def partners_of_sources(
    session: AsyncSession, source_ids: Sequence[str]
) -> dict[str, Partner]:
    """The partner of each of these sources (sources without one are left out)."""
    rows = await session.execute(
        sa.select(col(Source.id), Partner)
        .join(Partner, col(Partner.id) == col(Source.partner_id))
        .where(col(Source.id).in_(list(set(source_ids))))
    )
    return {source_id: partner for source_id, partner in rows.all()}


async def facet_totals(
    session: AsyncSession, facets: Sequence[str], limit: int = 1000, *, stale: bool = False
) -> tuple[dict[str, list[tuple[str, int]]], bool]:
    """Counts of visible datasets by value of each facet, most frequent first, and whether
    they are exact. Read from the totals stored at run close (:mod:`harvester.search.
    facet_totals`) when they are of the current catalogue version; otherwise counted afresh,
    or, with ``stale``, the stored ones flagged not exact (when there are any)."""
    latest = await stored_facet_totals.latest_counts(session, facets, limit=limit)
    if latest is not None:
        version, counts = latest
        if version == stored_facet_totals.version_key(await catalog_version(session)):
            return counts, True
        if stale:
            return counts, False
    return await count_facets(session, facets, None, limit=limit), True


async def visible_count(session: AsyncSession) -> tuple[int, int]:
    """(visible, withdrawn) dataset counts. The withdrawn ones from the partial index
    ``ix_dataset_withdrawn`` (migration 0010); the visible ones from the stored partnership
    cells when current, else every row from the smallest index less the withdrawn."""
    stored = await cells.visible_by_source(session)
    if stored is not None:
        gone = sa.select(sa.func.count()).select_from(Dataset)
        withdrawn_only = await session.scalar(gone.where(col(Dataset.withdrawn_at).is_not(None)))
        return sum(stored.values()), int(withdrawn_only or 0)
    every = sa.select(sa.func.count()).select_from(Dataset).scalar_subquery()
    withdrawn = (
        sa.select(sa.func.count())
        .select_from(Dataset)
        .where(col(Dataset.withdrawn_at).is_not(None))
        .scalar_subquery()
    )
    row = (await session.execute(sa.select(every, withdrawn))).one()
    return int(row[0]) - int(row[1]), int(row[1])
