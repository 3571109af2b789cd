"""GeoJSON geometries as the two literals DCAT-AP carries: WKT and the GeoJSON text.

Formatting floats is most of the cost of a location (``float.__repr__``, what ``json``
writes for a finite float, takes ~0.5 µs). :func:`geometry_texts` and :func:`bbox_wkt` let
orjson write the numbers (in Rust) when its text is provably ``repr``'s: every number plain
decimal (``-?d+.d+``: no exponent, int, bool, NaN or null), none below 10⁻⁴ (orjson writes
``0.00001`` where ``repr`` writes ``1e-05``; the only other difference, exponents, shows an
``e``), positions of two numbers nested as the type says; the WKT is then that text with its
brackets rewritten. Otherwise each coordinate is formatted once with ``float.__repr__`` when
the coordinates are plain lists of floats, else ``json.dumps`` + :func:`geojson_wkt`. All
paths give the same text (``tests/catalog/test_rdf_geometry.py``).
"""

from __future__ import annotations

import json
import re

import orjson

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


_NUMBER = r"-?[0-9]+\.[0-9]+"  # repr's fixed notation; orjson's too, but below 10⁻⁴
_POSITION = rf"\[{_NUMBER},{_NUMBER}\]"
_BOX = re.compile(rf"\[({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})\]")


def _nested(inner: str) -> str:
    return rf"\[(?:{inner}(?:,{inner})*)?\]"


_SHAPES = [re.compile(_POSITION)]
for _ in range(3):
    _SHAPES.append(re.compile(_nested(_SHAPES[-1].pattern)))
"""Depth → the orjson text of coordinates that depth above positions of two plain numbers."""


def bbox_wkt(bbox: tuple[float, float, float, float]) -> str:
    """The WKT polygon of a (west, south, east, north) box."""
    text = orjson.dumps(bbox).decode()
    match = _BOX.fullmatch(text) if "0.0000" not in text else None
    w, s, e, n = match.groups() if match else [_num(v) for v in bbox]
    return f"POLYGON (({w} {s}, {w} {n}, {e} {n}, {e} {s}, {w} {s}))"


def _orjson_texts(coordinates: object, depth: int) -> tuple[str, str] | None:
    """``(JSON, WKT)`` of coordinates written by orjson, or ``None`` where its text might
    not be ``repr``'s or the shape is not ``depth`` levels of two-number positions."""
    try:
        text = orjson.dumps(coordinates).decode()
    except TypeError:  # orjson.JSONEncodeError: not plain JSON
        return None
    if "0.0000" in text or _SHAPES[depth].fullmatch(text) is None:
        return None
    if depth == 0:
        return text, text[1:-1].replace(",", " ")
    inner = text[1:-1]
    if "[]" in inner:  # an empty ring or part: the bracket rewriting below assumes none
        return None
    inner = inner.replace(",", " ")
    for level in range(depth, 0, -1):  # siblings' boundaries, deepest first: "] [" → ", "
        inner = inner.replace(
            "]" * level + " " + "[" * level, ")" * (level - 1) + ", " + "(" * (level - 1)
        )
    inner = inner.replace("[" * depth, "(" * (depth - 1)).replace("]" * depth, ")" * (depth - 1))
    return text, inner


def geometry_texts(geometry: dict[str, object]) -> tuple[str, str | None]:
    """``(GeoJSON text, WKT or None)`` of a GeoJSON geometry: the GeoJSON as
    ``json.dumps(geometry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, the
    WKT as :func:`geojson_wkt`."""
    kind = geometry.get("type")
    if isinstance(kind, str) and kind in _DEPTHS and len(geometry) == 2:
        if "coordinates" in geometry:
            quick = _orjson_texts(geometry["coordinates"], _DEPTHS[kind])
            if quick is not None:
                return (
                    f'{{"coordinates":{quick[0]},"type":"{kind}"}}',
                    f"{kind.upper()} ({quick[1]})",
                )
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
