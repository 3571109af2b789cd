"""Facet rows: written with each changed record, counted over any candidate set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from harvester.search.tables import dataset_facet

FacetCounts = dict[str, list[tuple[str, int]]]


async def write_facets(
    session: AsyncSession, rows: Sequence[tuple[int, set[tuple[str, str]]]]
) -> None:
    """Replace the facet rows of these datasets (visible: they were just written)."""
    if not rows:
        return
    pks = [pk for pk, _ in rows]
    await session.execute(dataset_facet.delete().where(dataset_facet.c.dataset_pk.in_(pks)))
    values = [
        {"dataset_pk": pk, "facet": facet, "value": value, "visible": True}
        for pk, facets in rows
        for facet, value in sorted(facets)
    ]
    if values:
        await session.execute(dataset_facet.insert(), values)


def facet_filter(facet: str, values: Sequence[str]) -> Select[Any]:
    """The pks of datasets having one of ``values`` for ``facet``."""
    return sa.select(dataset_facet.c.dataset_pk).where(
        dataset_facet.c.facet == facet, dataset_facet.c.value.in_(values)
    )


async def count_facets(
    session: AsyncSession,
    names: Sequence[str],
    candidates: Select[Any] | None,
    *,
    limit: int,
) -> FacetCounts:
    """The ``limit`` most frequent values of each facet among ``candidates`` (a select of
    dataset pks; None = every visible dataset, counted from the index alone)."""
    counts: FacetCounts = {name: [] for name in names}
    if not names:
        return counts
    f = dataset_facet.c
    n = sa.func.count()
    inner = (
        sa.select(
            f.facet,
            f.value,
            n.label("n"),
            sa.func.row_number()
            .over(partition_by=f.facet, order_by=(n.desc(), f.value))
            .label("rn"),
        )
        .where(f.facet.in_(list(names)))
        .group_by(f.facet, f.value)
    )
    if candidates is None:
        inner = inner.where(f.visible.is_(True))
    else:  # driven from the candidates, through the (dataset_pk, facet, value) key
        matched = candidates.cte("candidates").prefix_with("MATERIALIZED")
        inner = inner.select_from(matched.join(dataset_facet, f.dataset_pk == matched.c.pk))
    ranked = inner.subquery()
    statement = (
        sa.select(ranked.c.facet, ranked.c.value, ranked.c.n)
        .where(ranked.c.rn <= limit)
        .order_by(ranked.c.facet, ranked.c.rn)
    )
    for facet, value, count in await session.execute(statement):
        counts[facet].append((value, int(count)))
    return counts
