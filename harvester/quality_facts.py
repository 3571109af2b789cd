"""The quality facts of a record that depend on the record alone.

A pure module (no SQL layer), so the mapping worker (:mod:`harvester.mapping_pool`) can
compute them without importing SQLAlchemy; :mod:`harvester.store.quality` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from catalog import conformity
from catalog.hvd import hvd_category
from catalog.model import DatasetRecord
from harvester.positional import PickledByPosition


@dataclass(slots=True)
class QualityFacts(PickledByPosition):
    """What the quality row of a record holds that depends on the record alone (picklable:
    a harvest may compute it in a mapping process)."""

    issued: date | datetime | None
    conforms: bool
    failed_rules: list[str]
    verdicts: dict[str, bool | None]
    is_csv: bool
    csv_api: bool
    hvd_categories: list[str]


def quality_facts(record: DatasetRecord) -> QualityFacts:
    """Check ``record`` against the publication guidelines and the action plan's facts."""
    result = conformity.check(record)
    csv = conformity.is_csv(record)
    return QualityFacts(
        issued=record.issued,
        conforms=result.conforms,
        failed_rules=result.failed,
        verdicts=result.verdicts,
        is_csv=csv,
        csv_api=csv and conformity.has_api(record),
        hvd_categories=sorted({hvd_category(v) for v in record.hvd_categories if v.strip()}),
    )
