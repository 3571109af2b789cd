"""An ArcGIS Online / Enterprise portal's sharing API (``/portal/sharing/rest``) over the corpus.

Served under ``/portal`` (the Enterprise URL form, which the ``arcgis`` connector's auto mode
takes for a portal), answering as an ArcGIS Online organization does:

* ``/sharing/rest?f=json`` — ``currentVersion`` (what the connector's probe looks for);
* ``/sharing/rest/portals/self`` — the organization (``id``, ``name``, ``urlKey``…);
* ``/sharing/rest/search`` — ``{query, total, start, num, nextStart, results}`` paged by
  ``start`` (1-based) and ``num`` (default 10, at most 100); ``nextStart`` is ``-1`` on the
  last page. Only the first :data:`SEARCH_WINDOW` results can be paged (Esri's documented
  limit): ``total`` still counts them all, a page reaching past the window is refused with an
  ArcGIS error body (status 200; Esri documents the limit, not the message). Sorted by
  ``sortField`` ``created`` (default) or ``modified`` with an index tie-break, ``sortOrder``
  ``asc``/``desc``;
* ``/sharing/rest/content/items/{id}`` — one item.

``q`` understands only what the connector sends: ``orgid:…``, ``type:"…"`` (several joined
by ``OR``) and ``modified:[a TO b]`` (epoch milliseconds, both ends included), joined by
``AND``; any other term is answered with ArcGIS's ``'q' is invalid`` error. No groups, no
tokens (everything is public), no ``…/data`` or metadata downloads, no item pages.

Items are French (portals are monolingual, ``culture`` ``fr-ca``), of data types only (half
hosted Feature Services, then CSV, File Geodatabase, Shapefile…); the fault plan's page
numbers count search pages, other documents are page 0 (faulted only when every page is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.corpus import Corpus, SimDataset, mix
from simulator.state import SimState

ROOT = "/portal"
SHARING = f"{ROOT}/sharing/rest"
SEARCH_WINDOW = 10_000
"""``start + num - 1`` may not pass this (ArcGIS Online's search window)."""
MAX_NUM = 100
DEFAULT_NUM = 10
CURRENT_VERSION = "2024.3"
ORG_ID = "Qc7vSimPortal2k4"
ORG_NAME = "Ville simulée — données ouvertes"
URL_KEY = "ville-simulee"
JSON = "application/json; charset=utf-8"
_TYPE_TAG = 0xA2C615

# (item type, weight, type keywords, how the data is reached: "service" URL or "file")
ITEM_TYPES: tuple[tuple[str, int, tuple[str, ...], str], ...] = (
    (
        "Feature Service",
        45,
        ("ArcGIS Server", "Data", "Feature Access", "Feature Service", "Service", "Hosted Service"),
        "service",
    ),
    ("CSV", 15, ("CSV", "Data"), "file"),
    ("File Geodatabase", 8, ("Data", "File Geodatabase"), "file"),
    ("Shapefile", 8, ("ArcGIS", "Data", "Layer Package", "Shapefile"), "file"),
    ("GeoJson", 6, ("Data", "GeoJson"), "file"),
    ("Microsoft Excel", 5, ("Data", "Document", "Microsoft Excel"), "file"),
    ("Map Service", 5, ("ArcGIS Server", "Data", "Map Service", "Service"), "service"),
    ("KML", 3, ("Data", "Map", "KML"), "file"),
    ("WMS", 3, ("Data", "OGC", "Service", "Web Map Service"), "service"),
    ("PDF", 2, ("Data", "Document", "PDF"), "file"),
)
_WEIGHT = sum(entry[1] for entry in ITEM_TYPES)
_EXTENSIONS = {
    "CSV": "csv",
    "File Geodatabase": "gdb.zip",
    "Shapefile": "zip",
    "GeoJson": "geojson",
    "Microsoft Excel": "xlsx",
    "KML": "kml",
    "PDF": "pdf",
}
_TERM = re.compile(r'orgid:[A-Za-z0-9]+|type:"[^"]+"|modified:\[\s*\d+\s+TO\s+\d+\s*\]')
_INVALID_Q = {"code": 400, "message": "Unable to perform query.", "details": ["'q' is invalid"]}


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def item_type(index: int) -> tuple[str, tuple[str, ...], str]:
    """The item type of dataset ``index`` (stable across generations and seeds)."""
    point = mix(index, _TYPE_TAG) % _WEIGHT
    for name, weight, keywords, access in ITEM_TYPES:
        if point < weight:
            return name, keywords, access
        point -= weight
    raise AssertionError("weights cover every point")


def _service_url(d: SimDataset, kind: str) -> str:
    service = d.name.replace("-", "_")
    if kind == "Feature Service":
        return f"https://services.arcgis.com/{ORG_ID}/arcgis/rest/services/{service}/FeatureServer"
    if kind == "Map Service":
        return f"https://geo.{d.place.host}/arcgis/rest/services/{service}/MapServer"
    return f"https://geo.{d.place.host}/wms?service=WMS&request=GetCapabilities&layers={d.name}"


def _description(d: SimDataset) -> str:
    return (
        f"<div><p>{d.description[0]}</p>"
        f"<p><strong>Fréquence de mise à jour :</strong> {d.frequency[1]}.</p>"
        f"<p>Contact : <a href='mailto:{d.contact[1]}'>{d.contact[0]}</a></p></div>"
    )


def _licence(d: SimDataset) -> str:
    return (
        "<p>Ces données sont diffusées sous la licence "
        f"<a href='{d.licence.url}' target='_blank'>{d.licence.title}</a>.</p>"
    )


def item(d: SimDataset) -> dict[str, Any]:
    """One portal item as search and ``content/items/{id}`` answer it."""
    kind, keywords, access = item_type(d.index)
    west, south, east, north = d.bbox
    first = d.distributions[0] if d.distributions else None
    is_file = access == "file"
    return {
        "id": d.hub_id,
        "owner": f"donnees_{d.place.slug.replace('-', '_')}",
        "orgId": ORG_ID,
        "created": _ms(d.created),
        "modified": _ms(d.modified),
        "guid": None,
        "name": f"{d.name}.{_EXTENSIONS[kind]}" if is_file else None,
        "title": d.title[0],
        "type": kind,
        "typeKeywords": [*keywords, "Metadata"] if d.index % 7 == 0 else list(keywords),
        "description": _description(d),
        "tags": list(d.keywords[0]),
        "snippet": d.description[0].split(". ", 1)[0].rstrip(".") + ".",
        "thumbnail": f"thumbnail/{d.theme.key}.png",
        "documentation": None,
        "extent": [[west, south], [east, north]],
        "categories": [f"/Categories/{d.theme.label[0]}"],
        "spatialReference": None if is_file else "WGS_1984_Web_Mercator_Auxiliary_Sphere",
        "accessInformation": d.place.name[0],
        "licenseInfo": _licence(d),
        "culture": "fr-ca",
        "properties": None,
        "advancedSettings": None,
        "url": None if is_file else _service_url(d, kind),
        "proxyFilter": None,
        "access": "public",
        "size": (first.byte_size if first and first.byte_size else 4096) if is_file else -1,
        "subInfo": 0,
        "appCategories": [],
        "industries": [],
        "languages": [],
        "largeThumbnail": None,
        "banner": None,
        "screenshots": [],
        "listed": False,
        "numComments": 0,
        "numRatings": 0,
        "avgRating": 0,
        "numViews": d.index % 9000,
        "contentStatus": "public_authoritative",
        "scoreCompleteness": 80,
        "groupDesignations": None,
        "lastViewed": _ms(d.modified),
    }


def portal_self() -> dict[str, Any]:
    """``portals/self`` of the simulated organization."""
    return {
        "id": ORG_ID,
        "name": ORG_NAME,
        "urlKey": URL_KEY,
        "customBaseUrl": "maps.arcgis.com",
        "portalName": "ArcGIS Online",
        "portalMode": "multitenant",
        "isPortal": False,
        "access": "public",
        "canSearchPublic": True,
        "culture": "fr",
        "region": "CA",
        "units": "metric",
        "description": "<p>Portail de données ouvertes simulé.</p>",
        "thumbnail": "thumbnail/logo.png",
        "currentVersion": CURRENT_VERSION,
    }


class Query:
    """The ``q`` terms the simulator understands (see the module docstring)."""

    def __init__(self, q: str) -> None:
        self.org: str | None = None
        self.types: list[str] = []
        self.modified: tuple[int, int] | None = None
        for part in (p.strip() for p in q.split(" AND ") if p.strip()):
            self._read(part)

    def _read(self, part: str) -> None:
        terms = [t.strip() for t in part.strip("()").split(" OR ")]
        for term in terms:
            if not _TERM.fullmatch(term):
                raise ValueError(term)
        if len(terms) > 1 and not all(t.startswith("type:") for t in terms):
            raise ValueError(part)
        for term in terms:
            if term.startswith("orgid:"):
                self.org = term.removeprefix("orgid:")
            elif term.startswith("type:"):
                self.types.append(term.removeprefix("type:").strip('"'))
            else:
                low, high = re.findall(r"\d+", term)
                self.modified = (int(low), int(high))

    def key(self) -> tuple[object, ...]:
        return (self.org, tuple(self.types), self.modified)

    def matches(self, corpus: Corpus, index: int) -> bool:
        if self.org is not None and self.org != ORG_ID:
            return False
        if self.types and item_type(index)[0] not in self.types:
            return False
        if self.modified is not None:
            low, high = self.modified
            return low <= _ms(corpus.modified(index)) <= high
        return True


def _error(body: dict[str, Any]) -> Response:
    """An ArcGIS error: status 200, ``{"error": {code, message, details}}``."""
    return Response(orjson.dumps({"error": body}), media_type=JSON)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


class ArcgisPortalPlatform:
    """Routes of the simulated ArcGIS portal."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route(SHARING, self.root),
            Route(f"{SHARING}/portals/self", self.portal_self),
            Route(f"{SHARING}/search", self.search),
            Route(SHARING + "/content/items/{item_id}", self.content_item),
        ]

    async def _document(self, request: Request, body: Callable[[], bytes]) -> Response:
        return await self.state.answer(request, page=0, render=body, media_type=JSON)

    async def root(self, request: Request) -> Response:
        return await self._document(
            request, lambda: orjson.dumps({"currentVersion": CURRENT_VERSION})
        )

    async def portal_self(self, request: Request) -> Response:
        return await self._document(request, lambda: orjson.dumps(portal_self()))

    def _listing(self, query: Query, field: str, descending: bool) -> list[int]:
        corpus = self.state.corpus
        chosen = [i for i in corpus.indices if query.matches(corpus, i)]
        stamp = corpus.modified if field == "modified" else corpus.created
        return sorted(chosen, key=lambda i: (stamp(i), i), reverse=descending)

    async def search(self, request: Request) -> Response:
        params = request.query_params
        q = params.get("q") or ""
        try:
            query = Query(q)
        except ValueError:
            return _error(_INVALID_Q)
        start = max(_int(params.get("start"), 1), 1)
        num = max(0, min(_int(params.get("num"), DEFAULT_NUM), MAX_NUM))
        if start + num - 1 > SEARCH_WINDOW:
            return _error(
                {
                    "code": 400,
                    "message": "Unable to perform query.",
                    "details": [f"Only the first {SEARCH_WINDOW} results can be paged."],
                }
            )
        field = "modified" if params.get("sortField") == "modified" else "created"
        descending = (params.get("sortOrder") or "asc").lower() == "desc"
        listing = self.state.memo(
            ("arcgis", query.key(), field, descending),
            lambda: self._listing(query, field, descending),
        )
        chosen = listing[start - 1 : start - 1 + num]
        following = start + num if num and start - 1 + num < len(listing) else -1

        def render() -> bytes:
            corpus = self.state.corpus
            return orjson.dumps(
                {
                    "query": q,
                    "total": len(listing),
                    "start": start,
                    "num": num,
                    "nextStart": following,
                    "results": [item(corpus.dataset(i)) for i in chosen],
                }
            )

        return await self.state.answer(
            request,
            page=(start - 1) // max(num, 1) + 1,
            render=render,
            media_type=JSON,
            cache_key=("arcgis", q, field, descending, start, num),
        )

    def _by_id(self) -> dict[str, int]:
        corpus = self.state.corpus
        return {corpus.hub_id(i): i for i in corpus.indices}

    async def content_item(self, request: Request) -> Response:
        index = self.state.memo("arcgis-ids", self._by_id).get(request.path_params["item_id"])
        if index is None:
            return _error(
                {
                    "code": 400,
                    "messageCode": "CONT_0001",
                    "message": "Item does not exist or is inaccessible.",
                    "details": [],
                }
            )
        corpus = self.state.corpus
        return await self._document(request, lambda: orjson.dumps(item(corpus.dataset(index))))
