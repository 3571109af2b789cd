"""Read queries used by the API and the CLI (no SQL in route functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.search.backend import search_backend
from harvester.search.query import parse_query
from harvester.store.db import dialect_name
from harvester.store.tables import Dataset, HarvestError, HarvestRun, Partner, Source


@dataclass(slots=True)
class DatasetPage:
    total: int
    datasets: list[Dataset]


async def search_datasets(
    session: AsyncSession, q: str | None, *, limit: int, offset: int = 0
) -> DatasetPage:
    """Visible datasets matching ``q`` (all when empty), best or newest first."""
    parsed = parse_query(q or "")
    hits = await search_backend(dialect_name(session)).search(
        session, parsed, limit=limit, offset=offset
    )
    rows = {
        row.pk: row
        for row in (await session.scalars(sa.select(Dataset).where(col(Dataset.pk).in_(hits.pks))))
    }
    return DatasetPage(total=hits.total, datasets=[rows[pk] for pk in hits.pks if pk in rows])


async def get_dataset(session: AsyncSession, dataset_id: str) -> Dataset | None:
    """One dataset by public id, withdrawn ones included."""
    return await session.scalar(sa.select(Dataset).where(col(Dataset.id) == dataset_id))


async def get_source(session: AsyncSession, source_id: str) -> Source | None:
    return await session.get(Source, source_id)


async def list_sources(session: AsyncSession) -> Sequence[tuple[Source, Partner | None, int]]:
    """Every source with its partner and its count of visible datasets."""
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
