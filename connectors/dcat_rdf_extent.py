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

from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from catalog.model import LocalizedText, PeriodOfTime, SpatialCoverage
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
from connectors.geo import Bbox, bbox_of, geojson, gml_bbox, wkt_bbox
from connectors.rdf_index import RdfGraph
from connectors.values import distinct

GEOMETRY_PREDICATES = (DCAT.bbox, LOCN.geometry, GSP.asWKT, GSP.asGeoJSON, GSP.asGML)

__all__ = [
    "geojson",
    "geometry_of",
    "gml_bbox",
    "location",
    "period",
    "spatial",
    "temporal",
    "wkt_bbox",
]


def geometry_of(literal: Literal) -> tuple[Bbox | None, dict[str, Any] | None]:
    """(bbox, GeoJSON geometry) of a geometry literal in any of the supported syntaxes."""
    text = clean(str(literal)) or ""
    shape = geojson(text)
    if shape is not None:
        return bbox_of(shape), shape
    if text.startswith("<") and not text.startswith("<http"):
        return gml_bbox(text), None
    return wkt_bbox(text), None


def _geometry_literals(graph: RdfGraph, node: Node) -> list[Literal]:
    found = [v for v in objects(graph, node, *GEOMETRY_PREDICATES) if isinstance(v, Literal)]
    for value in objects(graph, node, *GEOMETRY_PREDICATES):
        if not isinstance(value, Literal):  # a nested geometry node (ogc:Polygon, sf:Polygon)
            found.extend(
                v for v in objects(graph, value, *GEOMETRY_PREDICATES) if isinstance(v, Literal)
            )
    return found


def location(graph: RdfGraph, node: Node) -> SpatialCoverage | None:
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
    uri = str(node) if isinstance(node, URIRef) else None
    if bbox is None and shape is None and uri is None and not label:
        return None  # an empty SpatialCoverage(), without building one to compare
    return SpatialCoverage(bbox=bbox, geometry=shape, uri=uri, label=label)


def spatial(graph: RdfGraph, subject: Node) -> list[SpatialCoverage]:
    """Every ``dct:spatial`` coverage of ``subject``, repeats dropped."""
    return distinct(location(graph, node) for node in objects(graph, subject, DCT.spatial))


def period(graph: RdfGraph, node: Node) -> PeriodOfTime | None:
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


def temporal(graph: RdfGraph, subject: Node) -> list[PeriodOfTime]:
    """Every ``dct:temporal`` period of ``subject``, repeats dropped."""
    return distinct(period(graph, node) for node in objects(graph, subject, DCT.temporal))
