"""Bounding boxes from GeoJSON, WKT, GML and "w,s,e,n" text (connectors.geo)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.geo import bbox_of, checked_bbox, gml_bbox, is_wkt, parse_bbox, wkt_bbox


@pytest.mark.parametrize(
    ("value", "box"),
    [
        ("POLYGON((1 2, 3 2, 3 4, 1 4, 1 2))", (1, 2, 3, 4)),
        ("SRID=4326;POINT(2.35 48.85)", (2.35, 48.85, 2.35, 48.85)),
        ("POINT Z (1 2 3)", (1, 2, 1, 2)),
        ("MULTIPOINT ((1 2 3), (4 5 6))", (1, 2, 4, 5)),
        ("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(48.8 2.3)", (2.3, 48.8, 2.3, 48.8)),
        ("ENVELOPE(-10, 10, 50, 40)", (-10, 40, 10, 50)),
        ("POLYGON((1 200, 3 2))", None),  # outside WGS 84
        ("POINT EMPTY", None),
        ("Point Reyes", None),
    ],
)
def test_wkt_bbox(value: str, box: Any) -> None:
    assert wkt_bbox(value) == box


def test_place_names_are_not_wkt() -> None:
    assert is_wkt("POLYGON ((1 2, 3 4))") and is_wkt("envelope(1, 2, 3, 4)")
    assert not is_wkt("Point Reyes") and not is_wkt("Box Elder County")


def test_other_shapes() -> None:
    assert bbox_of({"type": "Point", "coordinates": [2.35, 48.85]}) == (2.35, 48.85, 2.35, 48.85)
    assert bbox_of('{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}') == (0, 0, 1, 1)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3, 4]}},
        ],
    }
    assert bbox_of(collection) == (1, 2, 3, 4)
    assert bbox_of({"type": "FeatureCollection", "features": []}) is None
    assert parse_bbox("-10,40,10,50") == (-10, 40, 10, 50)
    assert parse_bbox("-200,40,10,50") is None
    assert checked_bbox(["1", "2", "3", "4"]) == (1, 2, 3, 4)
    assert checked_bbox([1, 2, 3]) is None
    gml = (
        '<gml:Envelope srsName="http://www.opengis.net/def/crs/EPSG/0/4326">'
        "<gml:lowerCorner>44 2</gml:lowerCorner><gml:upperCorner>46 7</gml:upperCorner>"
        "</gml:Envelope>"
    )
    assert gml_bbox(gml) == (2, 44, 7, 46)
