"""Temporal (dct:PeriodOfTime) and spatial (dct:Location) coverage of a DCAT dataset.

Periods: ``dcat:startDate``/``dcat:endDate`` (DCAT 2+), ``schema:startDate``/``endDate``
(DCAT-AP 1.x, ckanext-dcat), ``time:hasBeginning``/``time:hasEnd`` instants, and literal
``"start/end"`` intervals.

Locations: an IRI (a country, a GeoNames place) kept as ``uri`` with its label when the page
describes it; a literal kept as label; a node read for ``dcat:bbox``, ``locn:geometry`` and
``geo:asWKT`` (also one level down, as GeoNetwork nests an ``ogc:Polygon``). Geometries may
be WKT (with an optional CRS IRI; EPSG:4326 means latitude first), GeoJSON or a GML
envelope; each becomes a WGS 84 bounding box, and GeoJSON is also kept as ``geometry``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from catalog.model import LocalizedText, PeriodOfTime, SpatialCoverage
from connectors.ckan_extent import Bbox, bbox_of
from connectors.dcat_rdf_values import (
    DCAT,
    DCT,
    GSP,
    LABELS,
    LOCN,
    SCHEMA,
    SDO,
    TIME,
    clean,
    first_date,
    localized,
    objects,
    when,
)

GEOMETRY_PREDICATES = (DCAT.bbox, LOCN.geometry, GSP.asWKT, GSP.asGeoJSON, GSP.asGML)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_WKT = re.compile(
    r"^\s*(?:<(?P<crs>[^>]+)>\s*)?(?P<kind>POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING"
    r"|MULTIPOLYGON|GEOMETRYCOLLECTION|ENVELOPE|BOX)\b(?P<body>.*)$",
    re.I | re.S,
)
_GML_CORNER = re.compile(r"<(?:\w+:)?(lowerCorner|upperCorner)>([^<]+)<", re.I)
_GML_SRS = re.compile(r'srsName="([^"]+)"')


def _is_lat_first(crs: str | None) -> bool:
    return bool(crs) and bool(re.search(r"EPSG(?:/0/|:+)4326\b", crs or "", re.I))


def _points(numbers: list[float], lat_first: bool) -> list[tuple[float, float]]:
    pairs = [(numbers[i], numbers[i + 1]) for i in range(0, len(numbers) - 1, 2)]
    return [(y, x) for x, y in pairs] if lat_first else pairs


def _box(points: list[tuple[float, float]]) -> Bbox | None:
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    west, south, east, north = min(xs), min(ys), max(xs), max(ys)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return (west, south, east, north)


def wkt_bbox(text: str) -> Bbox | None:
    """The bbox of a WKT literal (``POLYGON((…))``, GeoSPARQL ``<crs> POLYGON…``)."""
    match = _WKT.match(text)
    if not match:
        return None
    numbers = [float(n) for n in _NUMBER.findall(match["body"])]
    if match["kind"].upper() in ("ENVELOPE", "BOX") and len(numbers) == 4:
        # ENVELOPE(minX, maxX, maxY, minY) as in CQL / Solr
        west, east, north, south = numbers
        return _box([(west, south), (east, north)])
    if len(numbers) % 2 and "Z" not in match["body"].upper()[:3]:
        return None
    return _box(_points(numbers, _is_lat_first(match["crs"])))


def gml_bbox(text: str) -> Bbox | None:
    """The bbox of a GML ``Envelope`` literal (lower and upper corner)."""
    corners = dict((name.lower(), value) for name, value in _GML_CORNER.findall(text))
    if "lowercorner" not in corners or "uppercorner" not in corners:
        return None
    srs = _GML_SRS.search(text)
    numbers = [
        float(n) for n in _NUMBER.findall(corners["lowercorner"] + " " + corners["uppercorner"])
    ]
    if len(numbers) != 4:
        return None
    return _box(_points(numbers, _is_lat_first(srs.group(1) if srs else None)))


def geojson(text: str) -> dict[str, Any] | None:
    """A GeoJSON geometry from a literal, or None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("type"), str) else None


def geometry_of(literal: Literal) -> tuple[Bbox | None, dict[str, Any] | None]:
    """(bbox, GeoJSON geometry) of a geometry literal in any of the supported syntaxes."""
    text = clean(str(literal)) or ""
    shape = geojson(text)
    if shape is not None:
        return bbox_of(shape), shape
    if text.startswith("<") and not text.startswith("<http"):
        return gml_bbox(text), None
    return wkt_bbox(text), None


def _geometry_literals(graph: Graph, node: Node) -> list[Literal]:
    found = [v for v in objects(graph, node, *GEOMETRY_PREDICATES) if isinstance(v, Literal)]
    for value in objects(graph, node, *GEOMETRY_PREDICATES):
        if not isinstance(value, Literal):  # a nested geometry node (ogc:Polygon, sf:Polygon)
            found.extend(
                v for v in objects(graph, value, *GEOMETRY_PREDICATES) if isinstance(v, Literal)
            )
    return found


def location(graph: Graph, node: Node) -> SpatialCoverage | None:
    """One dct:spatial value as a SpatialCoverage (see the module docstring)."""
    if isinstance(node, Literal):
        text = clean(str(node)) or ""
        box, literal_shape = geometry_of(node)
        if box or literal_shape:
            return SpatialCoverage(bbox=box, geometry=literal_shape)
        return SpatialCoverage(label={node.language or "": text}) if text else None
    bbox: Bbox | None = None
    shape: dict[str, Any] | None = None
    for literal in _geometry_literals(graph, node):
        box, found = geometry_of(literal)
        bbox = bbox or box
        shape = shape or found
    label: LocalizedText = localized(graph, node, *LABELS)
    coverage = SpatialCoverage(
        bbox=bbox,
        geometry=shape,
        uri=str(node) if isinstance(node, URIRef) else None,
        label=label,
    )
    return coverage if coverage != SpatialCoverage() else None


def spatial(graph: Graph, subject: Node) -> list[SpatialCoverage]:
    """Every ``dct:spatial`` coverage of ``subject``, repeats dropped."""
    found: list[SpatialCoverage] = []
    for node in objects(graph, subject, DCT.spatial):
        coverage = location(graph, node)
        if coverage and coverage not in found:
            found.append(coverage)
    return found


def period(graph: Graph, node: Node) -> PeriodOfTime | None:
    """One dct:temporal value as a PeriodOfTime (unparseable bounds dropped)."""
    if isinstance(node, Literal):
        text = clean(str(node)) or ""
        start, _, end = text.partition("/")
        found = PeriodOfTime(start=when(Literal(start)), end=when(Literal(end), end=True))
    else:
        found = PeriodOfTime(
            start=first_date(
                graph, node, DCAT.startDate, SCHEMA.startDate, SDO.startDate, TIME.hasBeginning
            ),
            end=first_date(
                graph, node, DCAT.endDate, SCHEMA.endDate, SDO.endDate, TIME.hasEnd, end=True
            ),
        )
    return found if found.start or found.end else None


def temporal(graph: Graph, subject: Node) -> list[PeriodOfTime]:
    """Every ``dct:temporal`` period of ``subject``, repeats dropped."""
    found: list[PeriodOfTime] = []
    for node in objects(graph, subject, DCT.temporal):
        value = period(graph, node)
        if value and value not in found:
            found.append(value)
    return found
