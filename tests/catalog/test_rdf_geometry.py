"""catalog.rdf.geometry: the quick path gives exactly the text of json.dumps + geojson_wkt."""

from __future__ import annotations

import json
import math

import pytest

from catalog.rdf.geometry import bbox_wkt, geojson_wkt, geometry_texts

RING = [[-73.9215, 45.4417], [-73.5285, 45.4417], [-73.5285, 45.6683], [-73.9215, 45.4417]]
GEOMETRIES: list[dict[str, object]] = [
    {"type": "Point", "coordinates": [-71.2, 46.8]},
    {"type": "Point", "coordinates": [-71.2, 46.8, 12.5]},  # altitude: JSON only
    {"coordinates": [1e-05, -0.0], "type": "Point"},
    {"type": "Point", "coordinates": [1e16, 1.5e-300]},
    {"type": "LineString", "coordinates": RING},
    {"type": "MultiPoint", "coordinates": RING[:2]},
    {"type": "Polygon", "coordinates": [RING, RING[::-1]]},
    {"type": "MultiLineString", "coordinates": [RING, RING[:2]]},
    {"type": "MultiPolygon", "coordinates": [[RING], [RING, RING]]},
    {"type": "Polygon", "coordinates": []},
    {"type": "MultiPolygon", "coordinates": [[]]},
    # the general path: ints, bools, non-finite numbers, odd shapes, other members
    {"type": "Point", "coordinates": [-71, 46]},
    {"type": "Point", "coordinates": [True, 46.0]},
    {"type": "Point", "coordinates": [math.inf, 46.0]},
    {"type": "Point", "coordinates": [math.nan, 46.0]},
    {"type": "Point", "coordinates": [-71.2]},
    {"type": "Point", "coordinates": (-71.2, 46.8)},
    {"type": "Point", "coordinates": "-71.2 46.8"},
    {"type": "Point", "coordinates": {"1": 2.0, "3": 4.0}},
    {"type": "LineString", "coordinates": [[-71.2, "46.8"]]},
    {"type": "Polygon", "coordinates": RING},  # one level short
    {"type": "Point", "coordinates": [[-71.2, 46.8]]},  # one level deep
    {"type": "Point", "coordinates": [-71.2, 46.8], "bbox": [-71.2, 46.8, -71.2, 46.8]},
    {"type": "GeometryCollection", "geometries": []},
    {"type": "Polygon"},
    {"type": 3, "coordinates": [1.0, 2.0]},
    {"type": "Point", "coordinates": None},
    {"type": "Ville de «Québec»", "coordinates": [1.0, 2.0]},
]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: json.dumps(g)[:60])
def test_geometry_texts_are_json_dumps_and_geojson_wkt(geometry: dict[str, object]) -> None:
    expected = json.dumps(geometry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert geometry_texts(geometry) == (expected, geojson_wkt(geometry))


def test_quick_path_output() -> None:
    geojson, wkt = geometry_texts({"type": "MultiPolygon", "coordinates": [[RING[:2]], [[]]]})
    assert geojson == (
        '{"coordinates":[[[[-73.9215,45.4417],[-73.5285,45.4417]]],[[]]],"type":"MultiPolygon"}'
    )
    assert wkt == "MULTIPOLYGON (((-73.9215 45.4417, -73.5285 45.4417)), (()))"
    assert geometry_texts({"type": "Point", "coordinates": [1, 2.5]}) == (
        '{"coordinates":[1,2.5],"type":"Point"}',
        "POINT (1.0 2.5)",
    )


def test_bbox_wkt() -> None:
    assert bbox_wkt((-71.5, 46.7, -71, 46.9)) == (
        "POLYGON ((-71.5 46.7, -71.5 46.9, -71.0 46.9, -71.0 46.7, -71.5 46.7))"
    )
