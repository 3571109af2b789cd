"""GeoJSON geometries as the two literals DCAT-AP carries: WKT and the GeoJSON text.

Formatting floats is most of the cost of a location, and ``json.dumps`` then the WKT
formatted each coordinate twice: :func:`geometry_texts` formats each once (``float.__repr__``
is what ``json`` writes for a finite float) when the coordinates are plain lists of floats,
and falls back to ``json.dumps`` + :func:`geojson_wkt` otherwise. Both paths give the same text.
"""

from __future__ import annotations

import json

_GEOJSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""What ``json.dumps(geometry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
uses (it builds one such encoder per call)."""

_DEPTHS = {
    "Point": 0,
    "LineString": 1,
    "MultiPoint": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}
"""Geometry type → nesting depth of its coordinates above the positions."""

_FLOAT = float.__repr__  # a TypeError for anything but a float: ints and bools differ


def _num(value: object) -> str:
    return repr(float(value))  # type: ignore[arg-type]


def _positions(coords: list[list[float]]) -> str:
    return ", ".join([f"{_num(p[0])} {_num(p[1])}" for p in coords])


def _rings(rings: list[list[list[float]]]) -> str:
    return ", ".join([f"({_positions(ring)})" for ring in rings])


def geojson_wkt(geometry: dict[str, object]) -> str | None:
    """WKT of a GeoJSON Point/LineString/Polygon/Multi* geometry; ``None`` otherwise."""
    kind, c = geometry.get("type"), geometry.get("coordinates")
    try:
        match kind:
            case "Point":
                return f"POINT ({_positions([c])})"  # type: ignore[list-item]
            case "LineString":
                return f"LINESTRING ({_positions(c)})"  # type: ignore[arg-type]
            case "Polygon":
                return f"POLYGON ({_rings(c)})"  # type: ignore[arg-type]
            case "MultiPoint":
                return f"MULTIPOINT ({_positions(c)})"  # type: ignore[arg-type]
            case "MultiLineString":
                return f"MULTILINESTRING ({_rings(c)})"  # type: ignore[arg-type]
            case "MultiPolygon":
                return "MULTIPOLYGON (" + ", ".join([f"({_rings(p)})" for p in c]) + ")"  # type: ignore[attr-defined]
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return None


def bbox_wkt(bbox: tuple[float, float, float, float]) -> str:
    """The WKT polygon of a (west, south, east, north) box."""
    w, s, e, n = [_num(v) for v in bbox]
    return f"POLYGON (({w} {s}, {w} {n}, {e} {n}, {e} {s}, {w} {s}))"


def geometry_texts(geometry: dict[str, object]) -> tuple[str, str | None]:
    """``(GeoJSON text, WKT or None)`` of a GeoJSON geometry: the GeoJSON as
    ``json.dumps(geometry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, the
    WKT as :func:`geojson_wkt`."""
    kind = geometry.get("type")
    if isinstance(kind, str) and kind in _DEPTHS and len(geometry) == 2:
        try:
            coordinates, wkt = _texts(geometry["coordinates"], _DEPTHS[kind])
        except (KeyError, TypeError, IndexError):
            pass  # not plain float lists: the general path decides
        else:
            if "n" not in coordinates:  # inf, nan: json writes Infinity, NaN
                return f'{{"coordinates":{coordinates},"type":"{kind}"}}', f"{kind.upper()} ({wkt})"
    return _GEOJSON.encode(geometry), geojson_wkt(geometry)


def _texts(value: object, depth: int) -> tuple[str, str]:
    """``(JSON, WKT)`` of coordinates ``depth`` levels above positions; a TypeError or an
    IndexError when they are not lists of positions of two or more floats."""
    if type(value) is not list:
        raise TypeError(value)
    if depth == 0:  # one position: [x, y] or [x, y, z…]
        texts = list(map(_FLOAT, value))
        return f"[{','.join(texts)}]", f"{texts[0]} {texts[1]}"
    if depth == 1:  # positions, inline: most of the calls otherwise
        jsons, wkts = [], []
        for position in value:
            if type(position) is not list:
                raise TypeError(position)
            texts = list(map(_FLOAT, position))
            jsons.append(f"[{','.join(texts)}]")
            wkts.append(f"{texts[0]} {texts[1]}")
        return f"[{','.join(jsons)}]", ", ".join(wkts)
    parts = [_texts(item, depth - 1) for item in value]
    return f"[{','.join([j for j, _ in parts])}]", ", ".join([f"({w})" for _, w in parts])
