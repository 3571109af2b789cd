"""Search filters and the SQL conditions they become."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from harvester.search.facets import facet_condition
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
        return not self.facets and self.empty_but_facets

    @property
    def empty_but_facets(self) -> bool:
        """Whether no filter but facets is set (dates, temporal coverage, extent)."""
        return not any(
            (
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


def conditions(
    filters: Filters, dense: Collection[str] = (), table: sa.FromClause | None = None
) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``dataset`` (or ``table``, an alias of it) for ``filters``; facets
    in ``dense`` are tested by probes (:func:`~harvester.search.facets.facet_condition`)."""
    out: list[sa.ColumnElement[bool]] = []
    c = (table if table is not None else Dataset.__table__).c  # type: ignore[attr-defined]
    for facet, values in sorted(filters.facets.items()):
        out.append(facet_condition(c.pk, facet, values, probe=facet in dense))
    modified = c.modified
    if filters.modified_since is not None:
        out.append(modified >= filters.modified_since)
    if filters.modified_before is not None:
        out.append(modified < filters.modified_before)
    start, end = c.temporal_start, c.temporal_end
    if filters.temporal_start is not None or filters.temporal_end is not None:
        out.append(sa.or_(start.is_not(None), end.is_not(None)))
        if filters.temporal_end is not None:
            out.append(sa.or_(start.is_(None), start <= filters.temporal_end))
        if filters.temporal_start is not None:
            out.append(sa.or_(end.is_(None), end >= filters.temporal_start))
    if filters.bbox is not None:
        west, south, east, north = filters.bbox
        out += [
            c.bbox_west <= east,
            c.bbox_east >= west,
            c.bbox_south <= north,
            c.bbox_north >= south,
        ]
    return out
