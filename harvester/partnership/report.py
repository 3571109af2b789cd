"""Per-partner conformity to the publication guidelines, and one dataset's verdicts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog import conformity
from harvester.partnership import queries
from harvester.partnership.filters import DatasetFilter
from harvester.partnership.indicators import Counts
from harvester.partnership.model import Count, PartnerConformity, PartnerRef
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.tables import Dataset


async def partner_conformity(
    session: AsyncSession,
    baseline: date,
    as_of: date,
    partner_id: str | None = None,
    counts: Counts | None = None,
) -> list[PartnerConformity]:
    """Every partner (or one) with its visible datasets' conformity, overall and new,
    counted afresh or from ``counts`` (stored cells of that baseline and day)."""
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    failing: dict[str, Counter[str]] = defaultdict(Counter)
    if counts is None:
        counts = queries.LiveCounts(session, baseline, as_of)
    for owner, rules, new, n in await counts.conformity_by_partner(partner_id):
        key = owner or ""
        totals[key]["datasets"] += n
        totals[key]["conforming"] += 0 if rules else n
        totals[key]["new"] += n if new else 0
        totals[key]["new_conforming"] += n if new and not rules else 0
        for rule in rules:
            failing[key][rule] += n
    partners = [p for p in await queries.all_partners(session) if partner_id in (None, p.id)]
    report = []
    for partner in partners:
        counted = totals[partner.id]
        where = DatasetFilter(partner=partner.id)
        report.append(
            PartnerConformity(
                partner=PartnerRef(id=partner.id, name=partner.name, joined_at=partner.joined_at),
                kind=partner.kind,
                datasets=counted["datasets"],
                conforming=counted["conforming"],
                share=round(counted["conforming"] / counted["datasets"], 4)
                if counted["datasets"]
                else None,
                new_datasets=counted["new"],
                new_conforming=counted["new_conforming"],
                failing=[
                    Count(
                        key=code,
                        label=conformity.rule_text(code),
                        count=failing[partner.id][code],
                        datasets=where.replace(rule=code).href(),
                    )
                    for code in conformity.RULE_CODES
                    if failing[partner.id][code]
                ],
                link=where.href(),
            )
        )
    return report


async def dataset_verdicts(
    session: AsyncSession, dataset_id: str
) -> tuple[Dataset, DatasetQuality | None] | None:
    """A dataset (by public id) and its stored quality, if any."""
    dataset = await session.scalar(sa.select(Dataset).where(col(Dataset.id) == dataset_id))
    if dataset is None or dataset.pk is None:
        return None
    return dataset, await session.get(DatasetQuality, dataset.pk)


def verdict_rows(quality: DatasetQuality) -> list[dict[str, Any]]:
    """One ``{rule, text, result}`` per guideline (``pass``/``fail``/``n/a``)."""
    words = {True: "pass", False: "fail", None: "n/a"}
    return [
        {"rule": rule.code, "text": rule.text, "result": words[quality.verdicts.get(rule.code)]}
        for rule in conformity.RULES
    ]
