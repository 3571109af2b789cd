"""Bounding boxes out of the geometries catalogues publish, shared by the connectors.

* GeoJSON geometries, features and collections (objects or JSON text): :func:`bbox_of`,
  :func:`geojson`.
* WKT, with a GeoSPARQL CRS IRI (``<…/EPSG/0/4326> POINT(lat lon)``: latitude first) or a
  PostGIS ``SRID=n;`` prefix, and CQL/Solr ``ENVELOPE(minX, maxX, maxY, minY)``:
  :func:`wkt_bbox`.
* GML envelopes (lower and upper corner): :func:`gml_bbox`.
* ``"west,south,east,north"`` text: :func:`parse_bbox`.

Every box is (west, south, east, north) in WGS 84 degrees and checked against its bounds
(:func:`checked_bbox`); anything unreadable or out of bounds gives ``None``, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from connectors.values import decoded

Bbox = tuple[float, float, float, float]

MAX_WKT = 8 * 1024 * 1024
"""WKT longer than this is not even scanned for its bounding box."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBERS = re.compile(_NUMBER)
_POSITION = re.compile(rf"({_NUMBER})\s+({_NUMBER})(?:\s+{_NUMBER}){{0,2}}")
_WKT = re.compile(
    r"^\s*(?:<(?P<crs>[^>]+)>\s*)?(?:SRID=\d+;\s*)?"
    r"(?P<kind>(?:MULTI)?(?:POINT|LINESTRING|POLYGON)|GEOMETRYCOLLECTION|ENVELOPE|BOX)"
    r"(?P<body>\s*(?:Z|M|ZM)?\s*(?:\(|EMPTY\b).*)$",
    re.I | re.S,
)
_BBOX_TEXT = re.compile(
    rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*$"
)
_GML_CORNER = re.compile(r"<(?:\w+:)?(lowerCorner|upperCorner)>([^<]+)<", re.I)
_GML_SRS = re.compile(r'srsName="([^"]+)"')
_LAT_FIRST_CRS = re.compile(r"EPSG(?:/0/|:+)4326\b", re.I)


def checked_bbox(values: Iterable[Any]) -> Bbox | None:
    """(west, south, east, north) from four numbers (or numeric strings) within WGS 84
    bounds, else None."""
    try:
        west, south, east, north = (float(v) for v in values)
    except (TypeError, ValueError):
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return (west, south, east, north)


def points_bbox(points: Iterable[tuple[float, float]]) -> Bbox | None:
    """The box around (x, y) points, or None when there are none or it is out of bounds."""
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        xs.append(x)
        ys.append(y)
    return checked_bbox((min(xs), min(ys), max(xs), max(ys))) if xs else None


def is_bbox_text(value: str) -> bool:
    """Whether ``value`` is four comma-separated numbers (``"west,south,east,north"``)."""
    return bool(_BBOX_TEXT.match(value))


def parse_bbox(value: str) -> Bbox | None:
    """A box from ``"west,south,east,north"`` text."""
    match = _BBOX_TEXT.match(value)
    return checked_bbox(match.groups()) if match else None


def _walk(coordinates: Any, points: list[tuple[float, float]]) -> None:
    """Append every position (a list or tuple starting with two numbers, not booleans) to
    ``points`` in order, walking nested lists and tuples."""
    if (
        isinstance(coordinates, list | tuple)
        and len(coordinates) >= 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates[:2])
    ):
        points.append((float(coordinates[0]), float(coordinates[1])))
        return
    if isinstance(coordinates, list | tuple):
        for item in coordinates:
            if type(item) is list and len(item) >= 2:
                # the usual position, [float, float, ...], taken here without a call (exact
                # types: a bool is not a number, subclasses take the general path)
                x, y = item[0], item[1]
                if (type(x) is float or type(x) is int) and (type(y) is float or type(y) is int):
                    points.append((float(x), float(y)))
                    continue
            _walk(item, points)


def bbox_of(geometry: Any) -> Bbox | None:
    """(west, south, east, north) of a GeoJSON geometry, feature or collection (or its
    JSON text); None when it has no coordinates or they are outside WGS 84 bounds."""
    if type(geometry) is str and len(geometry) <= _MAX_CACHED_TEXT:
        return _bbox_of_text(geometry)
    return _bbox_of(geometry)


_MAX_CACHED_TEXT = 4096


def _bbox_of(geometry: Any) -> Bbox | None:
    geometry = decoded(geometry)
    if not isinstance(geometry, dict):
        return None
    if isinstance(geometry.get("bbox"), list) and len(geometry["bbox"]) == 4:
        return checked_bbox(geometry["bbox"])
    kind = geometry.get("type")
    if kind == "Feature":
        return bbox_of(geometry.get("geometry"))
    points: list[tuple[float, float]] = []
    if kind in ("FeatureCollection", "GeometryCollection"):
        parts = geometry.get("features" if kind == "FeatureCollection" else "geometries")
        for part in parts or []:
            box = bbox_of(part)
            if box:
                points.extend([(box[0], box[1]), (box[2], box[3])])
    else:
        _walk(geometry.get("coordinates"), points)
    return points_bbox(points)


_bbox_of_text = lru_cache(maxsize=1024)(_bbox_of)
"""Boxes of GeoJSON texts, memoized: the same place outlines recur across a catalogue (a
box is an immutable tuple). Longer texts are computed each time."""


def geojson(value: Any) -> dict[str, Any] | None:
    """A GeoJSON object (a dict with a ``type``) from a dict or JSON text, else None."""
    value = decoded(value)
    return value if isinstance(value, dict) and isinstance(value.get("type"), str) else None


def is_lat_first(crs: str | None) -> bool:
    """Whether a CRS IRI or name is EPSG:4326, whose axis order is latitude first."""
    return bool(crs) and bool(_LAT_FIRST_CRS.search(crs or ""))


def is_wkt(value: str) -> bool:
    """Whether ``value`` is shaped like a WKT geometry (``POLYGON((…))``, ``ENVELOPE(…)``…)."""
    return bool(_WKT.match(value))


def wkt_bbox(value: str) -> Bbox | None:
    """The box of a WKT geometry; coordinates are x y (z m ignored), unless a GeoSPARQL
    ``<crs>`` prefix says EPSG:4326 (latitude first)."""
    if len(value) > MAX_WKT:
        return None
    match = _WKT.match(value)
    if not match:
        return None
    if match["kind"].upper() in ("ENVELOPE", "BOX"):
        numbers = _NUMBERS.findall(match["body"])
        if len(numbers) != 4:
            return None
        west, east, north, south = (float(n) for n in numbers)  # minX, maxX, maxY, minY
        return checked_bbox((west, south, east, north))
    pairs = [(float(x), float(y)) for x, y in _POSITION.findall(match["body"])]
    if is_lat_first(match["crs"]):
        pairs = [(y, x) for x, y in pairs]
    return points_bbox(pairs)


def gml_bbox(value: str) -> Bbox | None:
    """The box of a GML ``Envelope`` (lower and upper corner; EPSG:4326 is latitude first)."""
    corners = {name.lower(): corner for name, corner in _GML_CORNER.findall(value)}
    if "lowercorner" not in corners or "uppercorner" not in corners:
        return None
    numbers = [
        float(n) for n in _NUMBERS.findall(f"{corners['lowercorner']} {corners['uppercorner']}")
    ]
    if len(numbers) != 4:
        return None
    srs = _GML_SRS.search(value)
    points = [(numbers[0], numbers[1]), (numbers[2], numbers[3])]
    if is_lat_first(srs.group(1) if srs else None):
        points = [(y, x) for x, y in points]
    return points_bbox(points)
