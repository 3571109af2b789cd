"""Temporal and spatial coverage of a CKAN package.

Temporal: ckanext-dcat ``temporal_coverage`` ``[{start, end}]``, data.gov.uk
``temporal_coverage-from/-to`` (one-item lists), ``temporal_start/end``,
``temporal_coverage_from/_to``, RIDL ``date_range_start/end`` and Données Québec
``temporal`` ("AAAA-MM-JJ/AAAA-MM-JJ").

Spatial: ckanext-spatial ``spatial`` GeoJSON (an extra or a field), ckanext-dcat
``spatial_coverage`` ``[{geom, bbox, centroid, text, uri}]``, ``bbox-*-long/lat`` extras
(data.gov.uk, DKAN, ckanext-spatial harvests), Montréal/Données Québec ``ext_spatial`` and
free-text coverages (``spatial_coverage`` string, RIDL ``geog_coverage``).
"""

from __future__ import annotations

from typing import Any

from catalog.model import PeriodOfTime, SpatialCoverage
from connectors.ckan_values import Package, blank, decoded, extras, lookup, text, url, when

Bbox = tuple[float, float, float, float]

_PAIRS = (
    ("temporal_coverage-from", "temporal_coverage-to"),
    ("temporal_coverage_from", "temporal_coverage_to"),
    ("temporal_start", "temporal_end"),
    ("date_range_start", "date_range_end"),
)


def _period(start: Any, end: Any) -> PeriodOfTime | None:
    period = PeriodOfTime(start=when(start), end=when(end, end=True))
    return period if period.start or period.end else None


def temporal(package: Package) -> list[PeriodOfTime]:
    """Every period of time the package declares (unparseable bounds dropped)."""
    extra = extras(package)
    periods: list[PeriodOfTime | None] = []
    coverage = decoded(package.get("temporal_coverage"))
    for item in coverage if isinstance(coverage, list) else []:
        if isinstance(item, dict):
            periods.append(_period(item.get("start"), item.get("end")))
    for start_key, end_key in _PAIRS:
        start = lookup(package, start_key, extra=extra)
        end = lookup(package, end_key, extra=extra)
        if start is not None or end is not None:
            periods.append(_period(start, end))
    interval = text(lookup(package, "temporal", extra=extra))
    if interval and "/" in interval:
        start, _, end = interval.partition("/")
        periods.append(_period(start, end))
    unique: list[PeriodOfTime] = []
    for period in periods:
        if period is not None and period not in unique:
            unique.append(period)
    return unique


def _walk(coordinates: Any, points: list[tuple[float, float]]) -> None:
    if (
        isinstance(coordinates, list | tuple)
        and len(coordinates) >= 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates[:2])
    ):
        points.append((float(coordinates[0]), float(coordinates[1])))
        return
    if isinstance(coordinates, list | tuple):
        for item in coordinates:
            _walk(item, points)


def bbox_of(geometry: Any) -> Bbox | None:
    """(west, south, east, north) of a GeoJSON geometry, feature or collection; None when
    it has no coordinates or they are outside WGS 84 bounds."""
    geometry = decoded(geometry)
    if not isinstance(geometry, dict):
        return None
    points: list[tuple[float, float]] = []
    if isinstance(geometry.get("bbox"), list) and len(geometry["bbox"]) == 4:
        return _checked(tuple(geometry["bbox"]))
    if geometry.get("type") == "Feature":
        return bbox_of(geometry.get("geometry"))
    if geometry.get("type") == "FeatureCollection":
        for feature in geometry.get("features") or []:
            box = bbox_of(feature)
            if box:
                points.extend([(box[0], box[1]), (box[2], box[3])])
    elif geometry.get("type") == "GeometryCollection":
        for part in geometry.get("geometries") or []:
            box = bbox_of(part)
            if box:
                points.extend([(box[0], box[1]), (box[2], box[3])])
    else:
        _walk(geometry.get("coordinates"), points)
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return _checked((min(xs), min(ys), max(xs), max(ys)))


def _checked(box: tuple[Any, ...]) -> Bbox | None:
    try:
        west, south, east, north = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return (west, south, east, north)


def _geometry(value: Any) -> dict[str, Any] | None:
    value = decoded(value)
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return value
    return None


def _from_dcat(item: dict[str, Any]) -> SpatialCoverage | None:
    geometry = _geometry(item.get("geom"))
    box = bbox_of(item.get("bbox")) or bbox_of(geometry)
    label = text(item.get("text"))
    coverage = SpatialCoverage(
        bbox=box,
        geometry=geometry,
        uri=url(item.get("uri")),
        label={"": label} if label else {},
    )
    return coverage if coverage != SpatialCoverage() else None


def _from_bbox_extras(extra: dict[str, Any]) -> SpatialCoverage | None:
    keys = ("bbox-west-long", "bbox-south-lat", "bbox-east-long", "bbox-north-lat")
    if any(blank(extra.get(k)) for k in keys):
        return None
    box = _checked(tuple(text(extra.get(k)) for k in keys))
    return SpatialCoverage(bbox=box) if box else None


def spatial(package: Package) -> list[SpatialCoverage]:
    """Every spatial coverage of the package, with a bbox computed from geometries."""
    extra = extras(package)
    found: list[SpatialCoverage] = []
    geometry = _geometry(lookup(package, "spatial", extra=extra))
    if geometry:
        found.append(SpatialCoverage(geometry=geometry, bbox=bbox_of(geometry)))
    coverage = decoded(package.get("spatial_coverage"))
    for item in coverage if isinstance(coverage, list) else [coverage]:
        if isinstance(item, dict):
            dcat = _from_dcat(item)
            if dcat:
                found.append(dcat)
    if not found:
        boxed = _from_bbox_extras({**extra, **package})
        if boxed:
            found.append(boxed)
    for key in ("ext_spatial", "spatial_coverage", "geog_coverage", "spatial-text"):
        value = decoded(lookup(package, key, extra=extra))
        geometry = _geometry(value)
        if geometry and key == "ext_spatial":
            found.append(SpatialCoverage(geometry=geometry, bbox=bbox_of(geometry)))
            continue
        label = text(value) if isinstance(value, str) else None
        if label and not label.startswith("{"):
            found.append(SpatialCoverage(label={"": label}))
    return found
