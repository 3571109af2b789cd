"""What the search index stores about a record besides its text: facet values, sort keys,
a "well described" score, and the temporal and spatial extents used by filters.

Pure functions of a :class:`DatasetRecord` (plus the partner of its source), shared by the
batched writer and by the migration that back-fills existing rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from catalog.model import DatasetRecord
from catalog.text import pick
from harvester.positional import PickledByPosition
from harvester.search.text import fold

FACETS: tuple[str, ...] = (
    "publisher",
    "partner",
    "partner_kind",
    "source",
    "theme",
    "keyword",
    "format",
    "licence",
    "language",
    "hvd_category",
    "api",
)
"""Every facet name the API accepts, in display order."""

VALUE_MAX = 200
TITLE_SORT_MAX = 200


def _upper(value: str) -> str:
    return value.strip().upper()


def _lower(value: str) -> str:
    return value.strip().casefold()


def _strip(value: str) -> str:
    return value.strip()


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "format": _upper,
    "language": _upper,
    "keyword": _lower,
    "api": _lower,
}
"""How a facet value is normalized, when stored and when filtered on (default: strip)."""


def normalize(facet: str, value: str) -> str:
    """The stored form of ``value`` for ``facet`` ("csv" → "CSV" for formats)."""
    return NORMALIZERS.get(facet, _strip)(value)[:VALUE_MAX]


@dataclass(frozen=True, slots=True)
class PartnerInfo:
    """The partner behind a source, as far as the index needs it."""

    id: str | None
    kind: str | None


@dataclass(slots=True)
class IndexFields(PickledByPosition):
    """Columns of ``dataset`` and rows of ``dataset_facet`` derived from one record."""

    title_sort: str
    richness: int
    temporal_start: datetime | None
    temporal_end: datetime | None
    bbox: tuple[float, float, float, float] | None
    facets: set[tuple[str, str]]

    def columns(self) -> dict[str, Any]:
        west, south, east, north = self.bbox or (None, None, None, None)
        return {
            "title_sort": self.title_sort,
            "richness": self.richness,
            "temporal_start": self.temporal_start,
            "temporal_end": self.temporal_end,
            "bbox_west": west,
            "bbox_south": south,
            "bbox_east": east,
            "bbox_north": north,
        }


def _moment(value: date | datetime | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.max if end else time.min, tzinfo=UTC)


def temporal_extent(record: DatasetRecord) -> tuple[datetime | None, datetime | None]:
    """The union of the record's periods; an open bound stays open (None)."""
    periods = [p for p in record.temporal if p.start is not None or p.end is not None]
    if not periods:
        return None, None
    starts = [_moment(p.start, end=False) for p in periods]
    ends = [_moment(p.end, end=True) for p in periods]
    start = None if any(s is None for s in starts) else min(s for s in starts if s)
    stop = None if any(e is None for e in ends) else max(e for e in ends if e)
    return start, stop


def _valid_bbox(box: tuple[float, float, float, float]) -> bool:
    west, south, east, north = box
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def spatial_extent(record: DatasetRecord) -> tuple[float, float, float, float] | None:
    """The bounding box (west, south, east, north) covering every valid spatial bbox."""
    boxes = [s.bbox for s in record.spatial if s.bbox is not None and _valid_bbox(s.bbox)]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def richness(record: DatasetRecord) -> int:
    """How well described a record is, 0–99: relevance prefers the better described."""
    description = pick(record.description) or ""
    score = 10 if len(description) >= 20 else 0
    score += 15 if len(description) >= 200 else 0
    keywords = sum(len(terms) for terms in record.keywords.values())
    score += 10 if keywords else 0
    score += 5 if keywords >= 3 else 0
    score += 10 if record.licence and (record.licence.id or record.licence.uri) else 0
    score += 10 if record.distributions else 0
    score += 5 if any(d.download_url for d in record.distributions) else 0
    score += 5 if record.themes else 0
    score += 5 if record.modified else 0
    score += 5 if record.publisher else 0
    score += 5 if record.contact_points else 0
    score += 5 if record.temporal or record.spatial else 0
    score += 10 if len([t for t in record.title.values() if t]) > 1 else 0
    return min(score, 99)


PARTNER_FACETS = ("partner", "partner_kind")
"""The facets taken from the source's partner rather than from the record alone."""


def needs_record(partner: PartnerInfo) -> bool:
    """Whether the partner facets of a dataset depend on its record: its publisher's kind
    stands in for a partner kind that is missing."""
    return not partner.kind


def _partner_values(
    partner: PartnerInfo, record: DatasetRecord | None
) -> list[tuple[str, str | None]]:
    publisher = record.publisher if record is not None else None
    kind = partner.kind or (publisher.kind if publisher else None)
    return [("partner", partner.id), ("partner_kind", str(kind) if kind else None)]


def _normalized(values: list[tuple[str, str | None]]) -> set[tuple[str, str]]:
    return {(facet, normalize(facet, value)) for facet, value in values if value and value.strip()}


def partner_facets(partner: PartnerInfo, record: DatasetRecord | None) -> set[tuple[str, str]]:
    """The :data:`PARTNER_FACETS` pairs of a dataset of ``partner``'s source, as
    :func:`index_fields` derives them; ``record`` may be None unless :func:`needs_record`."""
    assert record is not None or not needs_record(partner), "the publisher's kind is needed"
    return _normalized(_partner_values(partner, record))


def _facet_values(
    record: DatasetRecord, source_id: str, partner: PartnerInfo
) -> set[tuple[str, str]]:
    values: list[tuple[str, str | None]] = [("source", source_id)]
    values += _partner_values(partner, record)
    values.append(("publisher", pick(record.publisher.name) if record.publisher else None))
    values += [("theme", theme) for theme in record.themes]
    values += [("keyword", term) for terms in record.keywords.values() for term in terms]
    values += [("format", d.format or d.file_type) for d in record.distributions]
    values.append(("licence", record.licence.id if record.licence else None))
    values += [("language", code) for code in record.language]
    values += [("hvd_category", code) for code in record.hvd_categories]
    values.append(("api", "true" if any(d.api_access for d in record.distributions) else "false"))
    return _normalized(values)


def index_fields(record: DatasetRecord, source_id: str, partner: PartnerInfo) -> IndexFields:
    """Everything the index derives from ``record``."""
    start, end = temporal_extent(record)
    return IndexFields(
        title_sort=fold(pick(record.title) or record.identifier).strip()[:TITLE_SORT_MAX],
        richness=richness(record),
        temporal_start=start,
        temporal_end=end,
        bbox=spatial_extent(record),
        facets=_facet_values(record, source_id, partner),
    )
