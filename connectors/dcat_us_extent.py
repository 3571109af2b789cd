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

import re
from typing import Any

import orjson

from catalog.model import PeriodOfTime, SpatialCoverage
from connectors.ckan_extent import bbox_of
from connectors.ckan_values import text, url, when

MAX_LABEL = 500
"""A place name longer than this is not a place name."""
MAX_GEOMETRY_BYTES = 64 * 1024
"""Larger geometries are reduced to their bounding box."""
MAX_WKT = 8 * 1024 * 1024
"""WKT longer than this is not even scanned for its bounding box."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_BBOX = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*$")
_WKT = re.compile(
    r"^\s*(?:SRID=\d+;\s*)?(?:MULTI)?(?:POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)\b"
    r"|^\s*ENVELOPE\s*\(",
    re.I,
)
_PAIR = re.compile(rf"({_NUMBER})\s+({_NUMBER})")
_ENVELOPE = re.compile(
    rf"ENVELOPE\s*\(\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)",
    re.I,
)

Bbox = tuple[float, float, float, float]


def _box(west: Any, south: Any, east: Any, north: Any) -> Bbox | None:
    return bbox_of({"bbox": [west, south, east, north]})


def bbox_from_wkt(value: str) -> Bbox | None:
    """The bounding box of a WKT geometry (coordinates x y, WGS 84), else None."""
    if len(value) > MAX_WKT:
        return None
    envelope = _ENVELOPE.search(value)
    if envelope:  # ENVELOPE(minX, maxX, maxY, minY)
        west, east, north, south = envelope.groups()
        return _box(west, south, east, north)
    xs: list[float] = []
    ys: list[float] = []
    for x, y in _PAIR.findall(value):
        xs.append(float(x))
        ys.append(float(y))
    return _box(min(xs), min(ys), max(xs), max(ys)) if xs else None


def _from_geojson(geometry: dict[str, Any]) -> SpatialCoverage | None:
    box = bbox_of(geometry)
    small = len(orjson.dumps(geometry)) <= MAX_GEOMETRY_BYTES
    coverage = SpatialCoverage(bbox=box, geometry=geometry if small else None)
    return coverage if coverage != SpatialCoverage() else None


def _from_string(value: str) -> SpatialCoverage | None:
    value = value.strip()
    if not value:
        return None
    if match := _BBOX.match(value):
        box = _box(*match.groups())
        return SpatialCoverage(bbox=box) if box else None
    if _WKT.match(value):
        box = bbox_from_wkt(value)
        return SpatialCoverage(bbox=box) if box else None
    if value.startswith("{"):
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
        return _from_object(decoded) if isinstance(decoded, dict) else None
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
    items = value if isinstance(value, list) else [value]
    found: list[SpatialCoverage] = []
    for item in items:
        coverage = _spatial_part(item)
        if coverage is not None and coverage not in found:
            found.append(coverage)
    return found


def _interval(value: str) -> PeriodOfTime | None:
    parts = value.strip().split("/")
    if parts and parts[0].upper().startswith("R"):  # a repeating interval: not a period
        return None
    if len(parts) != 2:
        start = when(value)
        return PeriodOfTime(start=start) if start else None
    period = PeriodOfTime(start=when(parts[0]), end=when(parts[1], end=True))
    return period if period.start or period.end else None


def temporal(dataset: dict[str, Any]) -> list[PeriodOfTime]:
    """The dataset's period(s) of time from ``temporal`` (unreadable bounds dropped)."""
    value = dataset.get("temporal")
    items = value if isinstance(value, list) else [value]
    found: list[PeriodOfTime] = []
    for item in items:
        period: PeriodOfTime | None = None
        if isinstance(item, str):
            period = _interval(item)
        elif isinstance(item, dict):  # DCAT-US 3 PeriodOfTime
            start = item.get("startDate") or item.get("start")
            end = item.get("endDate") or item.get("end")
            candidate = PeriodOfTime(start=when(start), end=when(end, end=True))
            period = candidate if candidate.start or candidate.end else None
        if period is not None and period not in found:
            found.append(period)
    return found
