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

from catalog.model import PeriodOfTime, SpatialCoverage, trusted
from connectors.ckan_values import Package, extras, lookup
from connectors.geo import Bbox, bbox_of, checked_bbox, geojson
from connectors.values import blank, decoded, distinct, text, url, when

__all__ = ["Bbox", "bbox_of", "spatial", "temporal"]

_PAIRS = (
    ("temporal_coverage-from", "temporal_coverage-to"),
    ("temporal_coverage_from", "temporal_coverage_to"),
    ("temporal_start", "temporal_end"),
    ("date_range_start", "date_range_end"),
)


def _period(start: Any, end: Any) -> PeriodOfTime | None:
    begins, ends = when(start), when(end, end=True)
    if not (begins or ends):
        return None
    # when() gives exactly date, datetime or None: nothing for validation to do
    return trusted(PeriodOfTime, {"start": begins, "end": ends})


def temporal(package: Package, *, extra: dict[str, Any] | None = None) -> list[PeriodOfTime]:
    """Every period of time the package declares (unparseable bounds dropped; ``extra``:
    the package's :func:`extras`, when already read)."""
    extra = extras(package) if extra is None else extra
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
    return distinct(periods)


def _from_dcat(item: dict[str, Any]) -> SpatialCoverage | None:
    geometry = geojson(item.get("geom"))
    box = bbox_of(item.get("bbox")) or bbox_of(geometry)
    label = text(item.get("text"))
    coverage = SpatialCoverage(
        bbox=box,
        geometry=geometry,
        uri=url(item.get("uri")),
        label={"": label} if label else {},
    )
    return coverage if coverage != SpatialCoverage() else None


class _Merged:
    """``{**extra, **package}`` for reading a few keys, without copying either dict."""

    __slots__ = ("extra", "package")

    def __init__(self, package: Package, extra: dict[str, Any]) -> None:
        self.package, self.extra = package, extra

    def get(self, key: str) -> Any:
        return self.package[key] if key in self.package else self.extra.get(key)


def _from_bbox_extras(extra: dict[str, Any] | _Merged) -> SpatialCoverage | None:
    keys = ("bbox-west-long", "bbox-south-lat", "bbox-east-long", "bbox-north-lat")
    if any(blank(extra.get(k)) for k in keys):
        return None
    box = checked_bbox(text(extra.get(k)) for k in keys)
    return SpatialCoverage(bbox=box) if box else None


def spatial(package: Package, *, extra: dict[str, Any] | None = None) -> list[SpatialCoverage]:
    """Every spatial coverage of the package, with a bbox computed from geometries."""
    extra = extras(package) if extra is None else extra
    found: list[SpatialCoverage] = []
    raw = lookup(package, "spatial", extra=extra)
    geometry = geojson(raw)
    if geometry:
        # the box of the text is the box of its geometry (bbox_of decodes it the same way)
        box = bbox_of(raw if type(raw) is str else geometry)
        found.append(SpatialCoverage(geometry=geometry, bbox=box))
    coverage = decoded(package.get("spatial_coverage"))
    for item in coverage if isinstance(coverage, list) else [coverage]:
        if isinstance(item, dict):
            dcat = _from_dcat(item)
            if dcat:
                found.append(dcat)
    if not found:
        boxed = _from_bbox_extras(_Merged(package, extra))
        if boxed:
            found.append(boxed)
    for key in ("ext_spatial", "spatial_coverage", "geog_coverage", "spatial-text"):
        raw = lookup(package, key, extra=extra)
        value = decoded(raw)
        geometry = geojson(value)
        if geometry and key == "ext_spatial":
            box = bbox_of(raw if type(raw) is str else geometry)
            found.append(SpatialCoverage(geometry=geometry, bbox=box))
            continue
        label = text(value) if isinstance(value, str) else None
        if label and not label.startswith("{"):
            found.append(SpatialCoverage(label={"": label}))
    return found
