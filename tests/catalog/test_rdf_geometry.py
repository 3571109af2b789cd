"""catalog.rdf.geometry: the quick path gives exactly the text of json.dumps + geojson_wkt."""

from __future__ import annotations

import json
import math
import random
import struct

import pytest

from catalog.rdf.geometry import _orjson_texts, bbox_wkt, geojson_wkt, geometry_texts

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


def _number(draw: random.Random) -> float | int:
    """A coordinate: mostly plain degrees, sometimes what orjson and repr write apart."""
    kind = draw.random()
    if kind < 0.6:
        return round(draw.uniform(-180, 180), draw.randint(0, 12))
    if kind < 0.75:
        return draw.uniform(-1, 1) * 10.0 ** draw.randint(-12, -3)  # near 10⁻⁴ both ways
    if kind < 0.85:
        return draw.uniform(-1, 1) * 10.0 ** draw.randint(13, 20)  # near 10¹⁶
    if kind < 0.9:
        return draw.choice([-0.0, 0.0, 1e-4, -1e-4, 9.99e-5, 1e16, 5e-324])
    if kind < 0.95:
        return draw.randint(-180, 180)  # an int: "1" in JSON, "1.0" in WKT
    return struct.unpack("d", struct.pack("Q", draw.getrandbits(64)))[0]  # any double


def _positions(draw: random.Random, count: int) -> list[list[float | int]]:
    size = 2 if draw.random() < 0.9 else draw.choice([1, 3, 4])
    return [[_number(draw) for _ in range(size)] for _ in range(count)]


def _coordinates(draw: random.Random, depth: int) -> object:
    if depth == 0:
        return _positions(draw, 1)[0]
    if depth == 1:
        return _positions(draw, draw.randint(0, 6))
    return [_coordinates(draw, depth - 1) for _ in range(draw.randint(0, 3))]


def test_random_geometries_have_json_dumps_and_geojson_wkt_texts() -> None:
    """Whichever path writes them (orjson, float.__repr__, json.dumps), the texts are
    json.dumps's and geojson_wkt's, for 4,000 random geometries of every type."""
    draw = random.Random(7)
    depths = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2}
    depths |= {"MultiLineString": 2, "MultiPolygon": 3}
    quick = 0
    for _ in range(4000):
        kind = draw.choice(sorted(depths))
        geometry = {"type": kind, "coordinates": _coordinates(draw, depths[kind])}
        expected = json.dumps(geometry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert geometry_texts(geometry) == (expected, geojson_wkt(geometry)), geometry
        quick += _orjson_texts(geometry["coordinates"], depths[kind]) is not None
    assert 400 < quick < 3600  # both paths were exercised


def test_random_boxes_have_repr_texts() -> None:
    draw = random.Random(8)
    for _ in range(4000):
        box = (_number(draw), _number(draw), _number(draw), _number(draw))
        w, s, e, n = [repr(float(v)) for v in box]
        assert bbox_wkt(box) == f"POLYGON (({w} {s}, {w} {n}, {e} {n}, {e} {s}, {w} {s}))"


def test_plain_coordinates_are_written_by_orjson() -> None:
    assert _orjson_texts([RING, RING[::-1]], 2) is not None
    assert _orjson_texts(RING[0], 0) == ("[-73.9215,45.4417]", "-73.9215 45.4417")
