"""Spatial and temporal coverage of a DCAT-US dataset.

``spatial`` (POD 1.1) is a string — a bounding box ``"west,south,east,north"``, a WKT
geometry, a GeoJSON text, a URI (GeoNames…) or a place name — or a GeoJSON object; DCAT-US 3
uses a ``Location`` object (``bbox``/``geometry``/``centroid``, ``prefLabel``). Nothing here
raises or keeps a giant value: WKT and GeoJSON contribute their bounding box (the geometry
itself only when small), labels longer than :data:`MAX_LABEL` are dropped.

``temporal`` is an ISO 8601 interval ``"start/end"`` (either side may be a duration, as in
``"2010-01-01/P1Y"``) or, in DCAT-US 3, a ``PeriodOfTime`` object.
"""

from __future__ import annotations

from typing import Any

import orjson

from catalog.model import PeriodOfTime, SpatialCoverage
from connectors.geo import bbox_of, is_bbox_text, is_wkt, parse_bbox, wkt_bbox
from connectors.values import decoded, distinct, text, url, when

MAX_LABEL = 500
"""A place name longer than this is not a place name."""
MAX_GEOMETRY_BYTES = 64 * 1024
"""Larger geometries are reduced to their bounding box."""


def _from_geojson(geometry: dict[str, Any]) -> SpatialCoverage | None:
    box = bbox_of(geometry)
    small = len(orjson.dumps(geometry)) <= MAX_GEOMETRY_BYTES
    coverage = SpatialCoverage(bbox=box, geometry=geometry if small else None)
    return coverage if coverage != SpatialCoverage() else None


def _from_string(value: str) -> SpatialCoverage | None:
    value = value.strip()
    if not value:
        return None
    if is_bbox_text(value) or is_wkt(value):
        box = parse_bbox(value) or wkt_bbox(value)
        return SpatialCoverage(bbox=box) if box else None
    if value.startswith("{"):
        found = decoded(value)
        return _from_object(found) if isinstance(found, dict) else None
    if link := url(value):
        return SpatialCoverage(uri=link)
    if len(value) > MAX_LABEL:
        return None
    return SpatialCoverage(label={"": value})


def _from_object(value: dict[str, Any]) -> SpatialCoverage | None:
    if isinstance(value.get("type"), str) and ("coordinates" in value or "geometries" in value):
        return _from_geojson(value)
    # DCAT-US 3 Location: bbox / geometry / centroid as GeoJSON, WKT or "w,s,e,n".
    parts = [_spatial_part(value.get(key)) for key in ("bbox", "geometry", "centroid")]
    found = next((part for part in parts if part is not None), None)
    label = text(value.get("prefLabel")) or text(value.get("label"))
    link = url(value.get("@id"))
    coverage = SpatialCoverage(
        bbox=found.bbox if found else None,
        geometry=found.geometry if found else None,
        uri=link,
        label={"": label} if label and len(label) <= MAX_LABEL else {},
    )
    return coverage if coverage != SpatialCoverage() else None


def _spatial_part(value: Any) -> SpatialCoverage | None:
    if isinstance(value, str):
        return _from_string(value)
    if isinstance(value, dict):
        return _from_object(value)
    return None


def spatial(dataset: dict[str, Any]) -> list[SpatialCoverage]:
    """The dataset's spatial coverage (empty when absent or unusable)."""
    value = dataset.get("spatial")
    return distinct(_spatial_part(item) for item in (value if isinstance(value, list) else [value]))


def _interval(value: str) -> PeriodOfTime | None:
    parts = value.strip().split("/")
    if parts and parts[0].upper().startswith("R"):  # a repeating interval: not a period
        return None
    if len(parts) != 2:
        start = when(value)
        return PeriodOfTime(start=start) if start else None
    period = PeriodOfTime(start=when(parts[0]), end=when(parts[1], end=True))
    return period if period.start or period.end else None


def _period(item: Any) -> PeriodOfTime | None:
    if isinstance(item, str):
        return _interval(item)
    if isinstance(item, dict):  # DCAT-US 3 PeriodOfTime
        start = item.get("startDate") or item.get("start")
        end = item.get("endDate") or item.get("end")
        candidate = PeriodOfTime(start=when(start), end=when(end, end=True))
        return candidate if candidate.start or candidate.end else None
    return None


def temporal(dataset: dict[str, Any]) -> list[PeriodOfTime]:
    """The dataset's period(s) of time from ``temporal`` (unreadable bounds dropped)."""
    value = dataset.get("temporal")
    items = value if isinstance(value, list) else [value]
    return distinct(_period(item) for item in items)
