"""Search filters and the SQL conditions they become."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from harvester.search.facets import facet_filter
from harvester.store.tables import Dataset

BBox = tuple[float, float, float, float]


@dataclass(slots=True)
class Filters:
    """``facets``: facet → accepted values (any of them; facets combine with AND).
    ``temporal_*`` select datasets whose temporal coverage overlaps that window; ``bbox``
    (west, south, east, north) those whose spatial extent intersects it."""

    facets: dict[str, list[str]] = field(default_factory=dict)
    modified_since: datetime | None = None
    modified_before: datetime | None = None
    temporal_start: datetime | None = None
    temporal_end: datetime | None = None
    bbox: BBox | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.facets,
                self.modified_since,
                self.modified_before,
                self.temporal_start,
                self.temporal_end,
                self.bbox,
            )
        )

    def key(self) -> list[Any]:
        """A JSON-able identity of these filters (for cursor fingerprints)."""
        return [
            sorted((k, sorted(v)) for k, v in self.facets.items()),
            *(
                value.isoformat() if value else None
                for value in (
                    self.modified_since,
                    self.modified_before,
                    self.temporal_start,
                    self.temporal_end,
                )
            ),
            list(self.bbox) if self.bbox else None,
        ]


def conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``dataset`` for ``filters``."""
    out: list[sa.ColumnElement[bool]] = []
    pk = col(Dataset.pk)
    for facet, values in sorted(filters.facets.items()):
        out.append(pk.in_(facet_filter(facet, values)))
    modified = col(Dataset.modified)
    if filters.modified_since is not None:
        out.append(modified >= filters.modified_since)
    if filters.modified_before is not None:
        out.append(modified < filters.modified_before)
    start, end = col(Dataset.temporal_start), col(Dataset.temporal_end)
    if filters.temporal_start is not None or filters.temporal_end is not None:
        out.append(sa.or_(start.is_not(None), end.is_not(None)))
        if filters.temporal_end is not None:
            out.append(sa.or_(start.is_(None), start <= filters.temporal_end))
        if filters.temporal_start is not None:
            out.append(sa.or_(end.is_(None), end >= filters.temporal_start))
    if filters.bbox is not None:
        west, south, east, north = filters.bbox
        out += [
            col(Dataset.bbox_west) <= east,
            col(Dataset.bbox_east) >= west,
            col(Dataset.bbox_south) <= north,
            col(Dataset.bbox_north) >= south,
        ]
    return out
