"""Aggregates behind the indicators, all over :func:`~harvester.partnership.filters.joined`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.partnership.filters import COUNTED_STATUSES, DatasetFilter, joined

__all__ = ["count", "count_by", "joined"]
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.tables import Dataset, Partner, Source


async def count(session: AsyncSession, where: DatasetFilter) -> int:
    """How many visible datasets ``where`` selects."""
    statement = joined(sa.select(sa.func.count())).where(*where.where())
    return int(await session.scalar(statement) or 0)


async def count_by(
    session: AsyncSession, where: DatasetFilter, *columns: Any
) -> list[tuple[Any, ...]]:
    """``(*column values, count)`` rows grouped by ``columns``."""
    statement = (
        joined(sa.select(*columns, sa.func.count()))
        .where(*where.where())
        .group_by(*columns)
        .order_by(*columns)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def json_list_counts(
    session: AsyncSession, where: DatasetFilter, column: Any
) -> Counter[str]:
    """How many datasets have each value of a JSON list column (grouped by whole lists, which
    are few, then split here)."""
    counts: Counter[str] = Counter()
    for values, n in await count_by(session, where, column):
        for value in set(values or []):
            counts[value] += n
    return counts


async def partner_names(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(sa.select(col(Partner.id), col(Partner.name)))
    return {partner_id: name for partner_id, name in rows.all()}


async def all_partners(session: AsyncSession) -> Sequence[Partner]:
    return (await session.scalars(sa.select(Partner).order_by(col(Partner.id)))).all()


async def publishing_partners(session: AsyncSession) -> set[str]:
    """Partners with at least one visible dataset (quality checked or not)."""
    statement = (
        sa.select(col(Source.partner_id))
        .join(Dataset, col(Dataset.source_id) == col(Source.id))
        .where(
            col(Dataset.withdrawn_at).is_(None),
            col(Source.status).in_(COUNTED_STATUSES),
            col(Source.partner_id).is_not(None),
        )
        .distinct()
    )
    return {partner_id for partner_id in await session.scalars(statement) if partner_id}


async def unchecked_datasets(session: AsyncSession) -> int:
    """Visible datasets without a quality row."""
    statement = (
        sa.select(sa.func.count())
        .select_from(Dataset)
        .join(Source, col(Source.id) == col(Dataset.source_id))
        .outerjoin(DatasetQuality, col(DatasetQuality.dataset_pk) == col(Dataset.pk))
        .where(
            col(Dataset.withdrawn_at).is_(None),
            col(Source.status).in_(COUNTED_STATUSES),
            col(DatasetQuality.dataset_pk).is_(None),
        )
    )
    return int(await session.scalar(statement) or 0)


async def conformity_by_partner(
    session: AsyncSession, baseline: date, as_of: date, partner: str | None = None
) -> list[tuple[str | None, list[str], bool, int]]:
    """``(partner id, failed rules, is new, count)`` for every visible dataset."""
    q = DatasetQuality
    new = sa.case(
        (sa.and_(col(q.published) > baseline, col(q.published) <= as_of), True), else_=False
    ).label("new")
    rows = await count_by(
        session, DatasetFilter(partner=partner), col(Source.partner_id), col(q.failed_rules), new
    )
    return [(p, list(rules or []), bool(is_new), int(n)) for p, rules, is_new, n in rows]


KEYS: dict[str, Any] = {
    "partner_id": col(Source.partner_id),
    "month": col(DatasetQuality.published_month),
    "failed_rules": col(DatasetQuality.failed_rules),
    "hvd_categories": col(DatasetQuality.hvd_categories),
}
"""The grouping keys of :class:`LiveCounts` (also :class:`~.cells.Cell` attributes)."""


class LiveCounts:
    """The indicator queries counted afresh (exact; one scan each)."""

    exact: bool = True
    counted_at: datetime | None = None

    def __init__(self, session: AsyncSession, baseline: date, as_of: date) -> None:
        self.session, self.baseline, self.as_of = session, baseline, as_of

    async def count(self, where: DatasetFilter) -> int:
        return await count(self.session, where)

    async def count_by(self, where: DatasetFilter, *keys: str) -> list[tuple[Any, ...]]:
        return await count_by(self.session, where, *(KEYS[k] for k in keys))

    async def list_counts(self, where: DatasetFilter, key: str) -> Counter[str]:
        return await json_list_counts(self.session, where, KEYS[key])

    async def publishing_partners(self) -> set[str]:
        return await publishing_partners(self.session)

    async def unchecked_datasets(self) -> int:
        return await unchecked_datasets(self.session)

    async def conformity_by_partner(
        self, partner: str | None
    ) -> list[tuple[str | None, list[str], bool, int]]:
        return await conformity_by_partner(self.session, self.baseline, self.as_of, partner)
