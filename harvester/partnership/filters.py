"""Which datasets a figure counts: one filter, used both to count and to list them.

Every figure is computed with a :class:`DatasetFilter` and links to
``/api/v1/partnership/datasets?<the same filter>``, so the listing's total is the figure.
Only visible datasets count: not withdrawn, from an approved or paused source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import col

from harvester.store.partnership_tables import DatasetQuality
from harvester.store.tables import Dataset, Partner, Source

S = TypeVar("S", bound=sa.Select)
LISTING_PATH = "/api/v1/partnership/datasets"
COUNTED_STATUSES = ("approved", "paused")


@dataclass(frozen=True, slots=True)
class DatasetFilter:
    """Conditions on visible datasets; ``None`` means "any"."""

    published_after: date | None = None
    """Strictly after this day (the baseline)."""
    published_until: date | None = None
    """On or before this day (the "as of" day)."""
    partner: str | None = None
    kind: str | None = None
    month: str | None = None
    conforms: bool | None = None
    csv: bool | None = None
    csv_api: bool | None = None
    hvd: bool | None = None
    hvd_category: str | None = None
    rule: str | None = None
    """A guideline rule the dataset fails."""

    def params(self) -> dict[str, str]:
        """The filter as query parameters (booleans as ``true``/``false``)."""
        out: dict[str, str] = {}
        for name, value in asdict(self).items():
            if value is None:
                continue
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out

    def href(self) -> str:
        """The listing of the datasets this filter counts."""
        query = urlencode(self.params())
        return f"{LISTING_PATH}?{query}" if query else LISTING_PATH

    def where(self, quality: Any = None) -> list[Any]:
        """SQL conditions over :func:`joined` (given the same ``quality``) for this filter."""
        return [
            col(Dataset.withdrawn_at).is_(None),
            col(Source.status).in_(COUNTED_STATUSES),
            *self.facts(_quality(quality).c),
        ]

    def facts(self, q: Any) -> list[Any]:
        """The conditions on quality facts, source partner and partner kind, over columns
        ``q`` named as ``dataset_quality``'s (also those of the stored cells), joined with
        ``source`` and ``partner``."""
        conditions: list[Any] = []
        if self.published_after is not None:
            conditions.append(q.published > self.published_after)
        if self.published_until is not None:
            conditions.append(q.published <= self.published_until)
        if self.partner is not None:
            conditions.append(col(Source.partner_id) == self.partner)
        if self.kind is not None:
            conditions.append(col(Partner.kind) == self.kind)
        if self.month is not None:
            conditions.append(q.published_month == self.month)
        for name in ("conforms", "is_csv", "csv_api", "hvd"):
            value = getattr(self, "csv" if name == "is_csv" else name)
            if value is not None:
                conditions.append(getattr(q, name).is_(value))
        if self.rule is not None:
            conditions.append(_json_list_has(q.failed_rules, self.rule))
        if self.hvd_category is not None:
            conditions.append(_json_list_has(q.hvd_categories, self.hvd_category))
        return conditions

    def replace(self, **changes: Any) -> DatasetFilter:
        return DatasetFilter(**{**asdict(self), **changes})


def _json_list_has(column: Any, value: str) -> Any:
    """A JSON array of strings contains ``value`` (same text test on both backends)."""
    return sa.cast(column, sa.Text).contains(f'"{value}"', autoescape=True)


def _quality(quality: Any) -> Any:
    return DatasetQuality.__table__ if quality is None else quality  # type: ignore[attr-defined]


def joined(statement: S, quality: Any = None) -> S:
    """``statement`` over quality ⋈ dataset ⋈ source ⟕ partner; ``quality``: an alias of
    ``dataset_quality`` to read instead of the table."""
    q = _quality(quality)
    return (
        statement.select_from(q)
        .join(Dataset, col(Dataset.pk) == q.c.dataset_pk)
        .join(Source, col(Source.id) == col(Dataset.source_id))
        .outerjoin(Partner, col(Partner.id) == col(Source.partner_id))
    )
