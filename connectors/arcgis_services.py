"""ArcGIS Server / hosted REST service descriptions → enrichment for dataset records (pure).

A portal item or a Hub dataset points at a REST service (``…/FeatureServer``,
``…/MapServer/28``). Its JSON description (``?f=json``) says more than the catalogue does:
the layer name, geometry type, fields, extent and whether it answers ``query``. These helpers
read those documents without I/O; :func:`enrich` folds a :class:`LayerInfo` into a record.

Extents come in the service's spatial reference. WGS 84 (4326) is used as is; Web Mercator
(102100, 102113, 3857, 900913, 3785) is projected back to longitude/latitude with the
closed-form inverse of the spherical Mercator; any other reference (state planes, a bare
``wkt``) gives no bbox rather than a wrong one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from catalog.model import DatasetRecord, SpatialCoverage

Bbox = tuple[float, float, float, float]

EARTH_RADIUS = 6378137.0
"""Radius of the Web Mercator sphere, in metres."""
WGS84_WKIDS = frozenset({4326})
WEB_MERCATOR_WKIDS = frozenset({102100, 102113, 3857, 900913, 3785})
SERVICE_MARKERS = ("/FeatureServer", "/MapServer", "/ImageServer", "/VectorTileServer")


@dataclass(frozen=True, slots=True)
class Field:
    """One attribute of a layer."""

    name: str
    type: str | None = None
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """What a layer (or table) description says, reduced to what a catalogue needs."""

    name: str | None
    layer_id: int | None = None
    kind: str | None = None
    geometry_type: str | None = None
    fields: tuple[Field, ...] = ()
    bbox: Bbox | None = None
    queryable: bool | None = None
    max_record_count: int | None = None
    version: str | None = None
    description: str | None = None
    copyright: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A service root (``…/FeatureServer?f=json``): its layers, tables and extent."""

    layers: tuple[tuple[int, str], ...] = ()
    tables: tuple[tuple[int, str], ...] = ()
    bbox: Bbox | None = None
    queryable: bool | None = None
    max_record_count: int | None = None
    version: str | None = None
    description: str | None = None
    capabilities: tuple[str, ...] = field(default_factory=tuple)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def wkid_of(spatial_reference: Any) -> int | None:
    """The ``latestWkid`` (else ``wkid``) of a spatialReference object."""
    if not isinstance(spatial_reference, dict):
        return None
    for key in ("latestWkid", "wkid"):
        value = spatial_reference.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def mercator_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """Web Mercator metres → (longitude, latitude) in degrees (spherical inverse)."""
    lon = math.degrees(x / EARTH_RADIUS)
    lat = math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS)) - math.pi / 2)
    return max(-180.0, min(180.0, lon)), max(-90.0, min(90.0, lat))


def extent_bbox(extent: Any, spatial_reference: Any = None) -> Bbox | None:
    """(west, south, east, north) in WGS 84 of an Esri envelope; None when its reference is
    neither WGS 84 nor Web Mercator, or the numbers are missing or out of range."""
    if not isinstance(extent, dict):
        return None
    corners = [_number(extent.get(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
    if any(c is None for c in corners):
        return None
    xmin, ymin, xmax, ymax = (float(c) for c in corners if c is not None)
    wkid = wkid_of(extent.get("spatialReference")) or wkid_of(spatial_reference)
    if wkid in WEB_MERCATOR_WKIDS:
        (xmin, ymin), (xmax, ymax) = mercator_to_wgs84(xmin, ymin), mercator_to_wgs84(xmax, ymax)
    elif wkid not in WGS84_WKIDS:
        return None
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        return None
    return (xmin, ymin, xmax, ymax)


def capabilities(info: dict[str, Any]) -> tuple[str, ...]:
    """The ``capabilities`` list ("Create,Query,Update" → ("Create", "Query", "Update"))."""
    raw = info.get("capabilities")
    if not isinstance(raw, str):
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def is_queryable(info: dict[str, Any]) -> bool | None:
    """Whether the layer/service answers ``query``: "Query" among its capabilities (or
    ``supportsQuery``); None when the description says neither."""
    if isinstance(info.get("supportsQuery"), bool):
        return bool(info["supportsQuery"])
    found = capabilities(info)
    if not found:
        return None
    return "query" in {c.lower() for c in found}


def _fields(info: dict[str, Any]) -> tuple[Field, ...]:
    raw = info.get("fields")
    found: list[Field] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and (name := _text(item.get("name"))):
            found.append(Field(name, _text(item.get("type")), _text(item.get("alias"))))
    return tuple(found)


def _version(info: dict[str, Any]) -> str | None:
    value = info.get("currentVersion")
    if isinstance(value, bool) or value is None:
        return None
    return str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def layer_info(info: Any) -> LayerInfo:
    """A :class:`LayerInfo` from a layer description (``…/FeatureServer/0?f=json``)."""
    if not isinstance(info, dict):
        raise ValueError("an ArcGIS layer description is a JSON object")
    geometry = _text(info.get("geometryType"))
    return LayerInfo(
        name=_text(info.get("name")),
        layer_id=_int(info.get("id")),
        kind=_text(info.get("type")),
        geometry_type=geometry.removeprefix("esriGeometry") if geometry else None,
        fields=_fields(info),
        bbox=extent_bbox(info.get("extent")),
        queryable=is_queryable(info),
        max_record_count=_int(info.get("maxRecordCount")),
        version=_version(info),
        description=_text(info.get("description")),
        copyright=_text(info.get("copyrightText")),
    )


def _children(value: Any) -> tuple[tuple[int, str], ...]:
    found: list[tuple[int, str]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and (number := _int(item.get("id"))) is not None:
            found.append((number, _text(item.get("name")) or str(number)))
    return tuple(found)


def service_info(info: Any) -> ServiceInfo:
    """A :class:`ServiceInfo` from a service root description (``…/FeatureServer?f=json``)."""
    if not isinstance(info, dict):
        raise ValueError("an ArcGIS service description is a JSON object")
    reference = info.get("spatialReference")
    return ServiceInfo(
        layers=_children(info.get("layers")),
        tables=_children(info.get("tables")),
        bbox=extent_bbox(info.get("fullExtent"), reference)
        or extent_bbox(info.get("initialExtent"), reference),
        queryable=is_queryable(info),
        max_record_count=_int(info.get("maxRecordCount")),
        version=_version(info),
        description=_text(info.get("serviceDescription")) or _text(info.get("description")),
        capabilities=capabilities(info),
    )


def record_count(body: Any) -> int | None:
    """The ``count`` of a ``query?returnCountOnly=true`` answer."""
    return _int(body.get("count")) if isinstance(body, dict) else None


def object_ids(body: Any) -> tuple[str | None, list[int]]:
    """``(objectIdFieldName, objectIds)`` of a ``query?returnIdsOnly=true`` answer."""
    if not isinstance(body, dict):
        return None, []
    ids = body.get("objectIds")
    return _text(body.get("objectIdFieldName")), [
        i for i in (ids if isinstance(ids, list) else []) if _int(i) is not None
    ]


def is_service_url(url: str | None) -> bool:
    """Whether ``url`` names an ArcGIS REST service or one of its layers."""
    return bool(url) and any(marker.lower() in str(url).lower() for marker in SERVICE_MARKERS)


def enrich(record: DatasetRecord, layer: LayerInfo) -> DatasetRecord:
    """A copy of ``record`` completed from its layer: a bbox when it has no spatial
    coverage, and ``api_access`` on its REST distributions when the layer answers queries
    (taken off when it explicitly does not)."""
    update: dict[str, Any] = {}
    if layer.bbox and not any(s.bbox for s in record.spatial):
        update["spatial"] = [*record.spatial, SpatialCoverage(bbox=layer.bbox)]
    if layer.queryable is not None:
        distributions = []
        for item in record.distributions:
            address = item.endpoint_url or item.access_url
            if is_service_url(address):
                item = item.model_copy(
                    update={
                        "api_access": layer.queryable,
                        "endpoint_url": address if layer.queryable else None,
                    }
                )
            distributions.append(item)
        update["distributions"] = distributions
    return record.model_copy(update=update) if update else record


def mark_services(record: DatasetRecord) -> DatasetRecord:
    """A copy of ``record`` whose distributions pointing at an ArcGIS REST service (not at
    one of its ``query`` exports) are API access, with the service as endpoint."""
    changed = False
    distributions = []
    for item in record.distributions:
        address = item.access_url
        if not item.api_access and is_service_url(address) and "/query" not in str(address):
            item = item.model_copy(update={"api_access": True, "endpoint_url": address})
            changed = True
        distributions.append(item)
    return record.model_copy(update={"distributions": distributions}) if changed else record
