"""The action plan's figures against ``[targets]`` of ``config/sources.toml``.

* **Partners by kind** — counted from ``joined_at``: those that joined by the "as of" day,
  at the baseline, and after it (``additional = N`` goals); for ``all = true`` goals (the
  ministries) the goal is every partner of the kind *publishing*, and the ones that do not
  yet are named.
* **New datasets** — visible datasets first published (``issued``, else first seen) after
  the baseline, by partner and by month.
* **Conformity** — the share of new datasets that pass every publication guideline.
* **CSV queryable by API** — the share of new CSV datasets with a distribution offering API
  access (CKAN datastore, Socrata SODA, ArcGIS FeatureServer, OpenDataSoft records).
* **High-value datasets** — visible datasets in each of the six EU high-value categories.

Each figure carries the link of the datasets it counts (see :mod:`.filters`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from catalog import conformity
from catalog.hvd import HVD_CATEGORIES, hvd_label
from catalog.model import PartnerKind
from harvester.config_model import PartnerTarget, ShareTarget, TargetsConfig
from harvester.partnership import queries
from harvester.partnership.filters import DatasetFilter
from harvester.partnership.model import (
    ConformityShare,
    Count,
    Figures,
    HvdFigure,
    KindFigure,
    NewDatasets,
    PartnerRef,
    Share,
)
from harvester.partnership.progress import count_progress, share_progress
from harvester.store.tables import Partner


class Counts(Protocol):
    """Where the figures' counts come from: :class:`.queries.LiveCounts` (afresh) or
    :class:`.cells.StoredCounts` (stored cells)."""

    exact: bool
    counted_at: datetime | None

    async def count(self, where: DatasetFilter) -> int: ...
    async def count_by(self, where: DatasetFilter, *keys: str) -> list[tuple[Any, ...]]: ...
    async def list_counts(self, where: DatasetFilter, key: str) -> Counter[str]: ...
    async def publishing_partners(self) -> set[str]: ...
    async def unchecked_datasets(self) -> int: ...
    async def conformity_by_partner(
        self, partner: str | None
    ) -> list[tuple[str | None, list[str], bool, int]]: ...


EPOCH = date(1970, 1, 1)
"""The baseline when neither the request nor ``[targets]`` gives one."""


def _ref(partner: Partner) -> PartnerRef:
    return PartnerRef(id=partner.id, name=partner.name, joined_at=partner.joined_at)


async def _kinds(
    session: AsyncSession,
    counts: Counts,
    targets: TargetsConfig | None,
    baseline: date,
    as_of: date,
) -> list[KindFigure]:
    goals: dict[str, PartnerTarget] = {
        t.kind.value: t for t in (targets.partners if targets else [])
    }
    partners = await queries.all_partners(session)
    publishing = await counts.publishing_partners()
    figures = []
    for kind in PartnerKind:
        members = [
            p for p in partners if p.kind == kind.value and p.joined_at and p.joined_at <= as_of
        ]
        active = [p for p in members if p.id in publishing]
        goal = goals.get(kind.value)
        additional = sum(1 for p in members if p.joined_at and p.joined_at > baseline)
        if goal is not None and goal.all:
            progress = count_progress(len(active), len(members), goal.deadline, baseline, as_of)
        elif goal is not None:
            progress = count_progress(additional, goal.additional, goal.deadline, baseline, as_of)
        else:
            progress = count_progress(additional, None, None, baseline, as_of)
        figures.append(
            KindFigure(
                kind=kind.value,
                partners=len(members),
                at_baseline=len(members) - additional,
                additional=additional,
                publishing=len(active),
                not_publishing=[_ref(p) for p in members if p.id not in publishing],
                goal=None if goal is None else ("all" if goal.all else "additional"),
                progress=progress,
                datasets=DatasetFilter(kind=kind.value).href(),
            )
        )
    return figures


async def _new_datasets(
    session: AsyncSession,
    counts: Counts,
    new: DatasetFilter,
    targets: TargetsConfig | None,
    as_of: date,
) -> NewDatasets:
    names = await queries.partner_names(session)
    total = await counts.count(new)
    goal = targets.new_datasets if targets else None
    by_partner = [
        Count(
            key=p or "", label=names.get(p or ""), count=n, datasets=new.replace(partner=p).href()
        )
        for p, n in await counts.count_by(new, "partner_id")
    ]
    by_month = [
        Count(key=m, count=n, datasets=new.replace(month=m).href())
        for m, n in await counts.count_by(new, "month")
    ]
    by_partner_month = [
        Count(
            key=f"{p}/{m}",
            label=names.get(p or ""),
            count=n,
            datasets=new.replace(partner=p, month=m).href(),
        )
        for p, m, n in await counts.count_by(new, "partner_id", "month")
    ]
    assert new.published_after is not None
    return NewDatasets(
        count=total,
        progress=count_progress(
            total,
            goal.count if goal else None,
            goal.deadline if goal else None,
            new.published_after,
            as_of,
        ),
        by_partner=by_partner,
        by_month=by_month,
        by_partner_month=by_partner_month,
        datasets=new.href(),
    )


async def _share(
    counts: Counts,
    population: DatasetFilter,
    criterion: str,
    goal: ShareTarget | None,
    as_of: date,
) -> Share:
    meeting = population.replace(**{criterion: True})
    of = await counts.count(population)
    count = await counts.count(meeting)
    share = round(count / of, 4) if of else None
    return Share(
        count=count,
        of=of,
        share=share,
        progress=share_progress(
            share, goal.share if goal else None, goal.deadline if goal else None, as_of
        ),
        datasets=meeting.href(),
        population=population.href(),
        failing=population.replace(**{criterion: False}).href(),
    )


async def _conformity(
    counts: Counts, new: DatasetFilter, goal: ShareTarget | None, as_of: date
) -> ConformityShare:
    share = await _share(counts, new, "conforms", goal, as_of)
    failures = await counts.list_counts(new, "failed_rules")
    by_rule = [
        Count(
            key=code,
            label=conformity.rule_text(code),
            count=failures[code],
            datasets=new.replace(rule=code).href(),
        )
        for code in conformity.RULE_CODES
    ]
    return ConformityShare(**share.model_dump(), by_rule=by_rule)


async def _hvd(source: Counts, visible: DatasetFilter) -> HvdFigure:
    counts = await source.list_counts(visible, "hvd_categories")
    codes = list(HVD_CATEGORIES) + sorted(set(counts) - set(HVD_CATEGORIES))
    categories = [
        Count(
            key=code,
            label=hvd_label(code),
            count=counts[code],
            datasets=visible.replace(hvd_category=code).href(),
        )
        for code in codes
    ]
    with_hvd = visible.replace(hvd=True)
    return HvdFigure(
        datasets=await source.count(with_hvd),
        categories=categories,
        covered=sum(1 for code in HVD_CATEGORIES if counts[code]),
        of=len(HVD_CATEGORIES),
        link=with_hvd.href(),
    )


async def compute(
    session: AsyncSession,
    targets: TargetsConfig | None,
    *,
    as_of: date,
    baseline: date | None = None,
    counts: Counts | None = None,
) -> Figures:
    """Every figure as of ``as_of``, counted from ``baseline`` (default: ``[targets]``'s),
    afresh or from ``counts`` (stored cells of that baseline and day, :mod:`.cells`)."""
    baseline = baseline or (targets.baseline if targets else EPOCH)
    if counts is None:
        counts = queries.LiveCounts(session, baseline, as_of)
    new = DatasetFilter(published_after=baseline, published_until=as_of)
    visible = DatasetFilter(published_until=as_of)
    return Figures(
        as_of=as_of,
        baseline=baseline,
        partners=await _kinds(session, counts, targets, baseline, as_of),
        new_datasets=await _new_datasets(session, counts, new, targets, as_of),
        conformity=await _conformity(counts, new, targets.conformity if targets else None, as_of),
        csv_api=await _share(
            counts, new.replace(csv=True), "csv_api", targets.csv_api if targets else None, as_of
        ),
        hvd=await _hvd(counts, visible),
        datasets_without_quality=await counts.unchecked_datasets(),
        exact=counts.exact,
        counted_at=None if counts.exact else counts.counted_at,
    )
