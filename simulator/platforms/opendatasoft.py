"""The OpenDataSoft Explore API v2.1 catalogue (``/api/explore/v2.1/catalog``) over the corpus.

* ``catalog/datasets`` pages with ``limit`` (at most 100; ``-1`` or absent: the simulator's
  page size) and ``offset``, refused with a 400 past ``offset + limit > 10000`` as ODS does;
  ``order_by`` one of ``dataset_id`` or ``modified`` (``default.modified``), ``asc``/``desc``;
  ``where`` only the forms Moisson's connector emits: ``default.modified>=date'…'``
  (``>``, ``<``, ``<=``, ``=`` too), parenthesized or not, joined with ``AND``. Any other
  ODSQL, and ``select``/``group_by``/``refine``/``exclude``, is refused with a 400 (not
  simulated). ``limit=0`` answers just the ``total_count`` (the connector's probe).
* ``catalog/exports/json`` streams the same (filtered, ordered) datasets as one JSON array,
  with no offset limit (what the connector switches to past 10 000 datasets).

Errors are ODS's ``{"error_code": …, "message": …}``. ODS sites are monolingual: the
metadata are French. The dataset id is the corpus ``name`` (the CKAN slug); the first
distribution is the dataset's records (exports, records API), PDFs are attachments and the
other files alternative exports (``odsfile://`` URLs); WMS layers are not published.
"""

from __future__ import annotations

import html
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.corpus import SimDataset, SimDistribution
from simulator.json_array import json_array_chunks
from simulator.state import SimState

CATALOG = "/api/explore/v2.1/catalog"
MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000
MEDIA_TYPE = "application/json; charset=utf-8"
UNSIMULATED_PARAMETERS = ("select", "group_by", "refine", "exclude")
GEO_FORMATS = frozenset({"GeoJSON", "SHP", "KML"})
FREQUENCY_URI = "http://publications.europa.eu/resource/authority/frequency/"
FIELDS = (
    ("identifiant", "Identifiant", "text"),
    ("date", "Date", "date"),
    ("arrondissement", "Arrondissement", "text"),
    ("categorie", "Catégorie", "text"),
    ("valeur", "Valeur", "double"),
    ("geo_point_2d", "Localisation", "geo_point_2d"),
)
_CONDITION = re.compile(
    r"^\(*\s*(?:default\.)?modified\s*(>=|<=|>|<|=)\s*date'([^']+)'\s*\)*$", re.IGNORECASE
)
_COMPARISONS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_ORDER = re.compile(r"^\s*(dataset_id|(?:default\.)?modified)(?:\s+(asc|desc))?\s*$", re.I)


class OdsError(ValueError):
    """A request ODS would refuse with a 400 and this ``error_code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _iso(value: datetime) -> str:
    """ODS's timestamp style: UTC, seconds, ``+00:00``."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _file_item(d: SimDataset, dist: SimDistribution, position: int) -> dict[str, Any]:
    stem = f"{d.name}_{position}"
    return {
        "id": f"{stem}_{dist.format.extension}",
        "mimetype": dist.format.media_type,
        "title": dist.title[0],
        "url": f"odsfile://{stem}.{dist.format.extension}",
    }


def attachments(d: SimDataset) -> list[dict[str, Any]]:
    """PDF distributions (after the first) as attachments."""
    return [
        _file_item(d, dist, k)
        for k, dist in enumerate(d.distributions)
        if k and dist.format.name == "PDF"
    ]


def alternative_exports(d: SimDataset) -> list[dict[str, Any]]:
    """Other file distributions (after the first) as alternative exports."""
    return [
        {**_file_item(d, dist, k), "description": f"{dist.title[0]} — {d.title[0]}"}
        for k, dist in enumerate(d.distributions)
        if k and dist.format.name not in ("PDF", "WMS")
    ]


def is_geo(d: SimDataset) -> bool:
    return any(dist.format.name in GEO_FORMATS for dist in d.distributions)


def fields(d: SimDataset) -> list[dict[str, Any]]:
    """The record fields: a few columns, a geo point for geographic datasets."""
    chosen = list(FIELDS[: 3 + d.index % 3])
    if is_geo(d):
        chosen.append(FIELDS[-1])
    return [
        {"name": name, "label": label, "type": kind, "description": None, "annotations": {}}
        for name, label, kind in chosen
    ]


def records_count(d: SimDataset) -> int:
    """A stable record count; some above the 50 000 records that cut shapefile exports."""
    return 12 + (d.index * 7_919) % 90_000


def _bbox_feature(d: SimDataset) -> dict[str, Any]:
    west, south, east, north = d.bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {},
    }


def default_metas(d: SimDataset) -> dict[str, Any]:
    """The ``default`` metadata template (ODS's basic metadata)."""
    geo = is_geo(d)
    return {
        "title": d.title[0],
        "description": f"<p>{html.escape(d.description[0], quote=False)}</p>",
        "theme": [d.theme.label[0]],
        "keyword": d.keywords[0],
        "license": d.licence.title,
        "license_url": d.licence.url,
        "language": "fr",
        "metadata_languages": ["fr"],
        "timezone": "America/Toronto",
        "modified": _iso(d.modified),
        "modified_updates_on_metadata_change": True,
        "modified_updates_on_data_change": True,
        "data_processed": _iso(d.distributions[0].modified),
        "metadata_processed": _iso(d.modified),
        "geographic_reference": [],
        "geographic_reference_auto": False,
        "territory": [d.place.name[0]],
        "geometry_types": ["Point"] if geo else None,
        "bbox": _bbox_feature(d) if geo else None,
        "publisher": d.place.name[0],
        "references": d.landing_page,
        "records_count": records_count(d),
        "attributions": None,
        "source_domain": None,
        "federated": False,
    }


def dcat_metas(d: SimDataset) -> dict[str, Any]:
    """The ``dcat`` interoperability template."""
    return {
        "created": _iso(d.created),
        "issued": _iso(d.created),
        "creator": d.place.name[0],
        "contributor": None,
        "contact_name": d.contact[0],
        "contact_email": d.contact[1],
        "accrualperiodicity": FREQUENCY_URI + d.frequency[0],
        "spatial": None,
        "temporal": f"{d.temporal[0].isoformat()}/{d.temporal[1].isoformat()}",
        "granularity": None,
        "dataquality": None,
        "conforms_to": None,
        "temporal_coverage_start": None,
        "temporal_coverage_end": None,
        "accessRights": None,
    }


def dataset(d: SimDataset) -> dict[str, Any]:
    """One ``catalog/datasets`` result (the same object in ``catalog/exports/json``)."""
    return {
        "visibility": "domain",
        "dataset_id": d.name,
        "dataset_uid": "da_" + d.fxf.replace("-", ""),
        "has_records": True,
        "data_visible": True,
        "features": ["analyze", "geo"] if is_geo(d) else ["analyze"],
        "attachments": attachments(d),
        "alternative_exports": alternative_exports(d),
        "fields": fields(d),
        "metas": {"default": default_metas(d), "dcat": dcat_metas(d)},
    }


# --- query parameters -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """``modified <op> date'…'``."""

    op: str
    moment: datetime

    def holds(self, modified: datetime) -> bool:
        return bool(_COMPARISONS[self.op](modified, self.moment))


def _moment(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise OdsError("ODSQLError", f"ODSQL query is malformed: invalid date '{text}'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_where(where: str | None) -> tuple[Condition, ...]:
    """The modified-date conditions of ``where``; other ODSQL is refused."""
    if not where or not where.strip():
        return ()
    conditions = []
    for part in _AND.split(where.strip()):
        match = _CONDITION.match(part.strip())
        if match is None:
            raise OdsError(
                "ODSQLError",
                f"ODSQL query is malformed (the simulator only knows "
                f"default.modified>=date'…'): {part.strip()} Clause(s) containing the "
                "error(s): where.",
            )
        conditions.append(Condition(match.group(1), _moment(match.group(2))))
    return tuple(conditions)


def parse_order(order_by: str | None) -> tuple[str, bool]:
    """(``dataset_id`` or ``modified``, descending) of ``order_by``."""
    match = _ORDER.match(order_by or "dataset_id")
    if match is None:
        raise OdsError(
            "ODSQLError",
            f"ODSQL query is malformed (the simulator orders by dataset_id or modified): "
            f"{order_by} Clause(s) containing the error(s): order_by.",
        )
    key = "dataset_id" if match.group(1).lower() == "dataset_id" else "modified"
    return key, (match.group(2) or "asc").lower() == "desc"


def _integer(params: Any, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise OdsError(
            "InvalidRESTParameterError",
            f"Invalid value for {name} API parameter: {raw} is not an integer.",
        ) from None


def parse_limit(params: Any, default: int) -> int:
    """``limit`` (-1 or absent: ``default``), refused outside -1..100."""
    limit = _integer(params, "limit", -1)
    if not -1 <= limit <= MAX_LIMIT:
        raise OdsError(
            "InvalidRESTParameterError",
            f"Invalid value for limit API parameter: {limit} was found but "
            f"-1 <= limit <= {MAX_LIMIT} is expected.",
        )
    return min(default, MAX_LIMIT) if limit == -1 else limit


def parse_offset(params: Any) -> int:
    offset = _integer(params, "offset", 0)
    if offset < 0:
        raise OdsError(
            "InvalidRESTParameterError",
            f"Invalid value for offset API parameter: {offset} was found but offset >= 0 "
            "is expected.",
        )
    return offset


def check_window(offset: int, limit: int) -> None:
    """ODS refuses to page deeper than ``offset + limit = 10000``."""
    if offset + limit > MAX_OFFSET_PLUS_LIMIT:
        raise OdsError(
            "InvalidRESTParameterError",
            f"Invalid value for offset API parameter: offset + limit ({offset + limit}) "
            f"must be <= {MAX_OFFSET_PLUS_LIMIT}; use the catalog/exports endpoints to "
            "retrieve more datasets.",
        )


def check_simulated(params: Any) -> None:
    for name in UNSIMULATED_PARAMETERS:
        if name in params:
            raise OdsError(
                "InvalidRESTParameterError", f"The {name} API parameter is not simulated."
            )


def _error(error: OdsError) -> Response:
    return JSONResponse({"error_code": error.code, "message": error.message}, status_code=400)


@dataclass(frozen=True, slots=True)
class Query:
    """What a catalogue request selects: its filter and order (a memo key)."""

    conditions: tuple[Condition, ...]
    order: str
    descending: bool

    @classmethod
    def of(cls, params: Any) -> Query:
        check_simulated(params)
        order, descending = parse_order(params.get("order_by"))
        return cls(parse_where(params.get("where")), order, descending)


class OpenDataSoftPlatform:
    """Routes of the simulated OpenDataSoft site."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route(f"{CATALOG}/datasets", self.datasets),
            Route(f"{CATALOG}/exports/json", self.export_json),
        ]

    def _listing(self, query: Query) -> list[int]:
        corpus = self.state.corpus
        ids = self.state.memo("ods-ids", lambda: {i: corpus.name(i) for i in corpus.indices})
        indices = [
            i for i in corpus.indices if all(c.holds(corpus.modified(i)) for c in query.conditions)
        ]
        key: Callable[[int], Any] = (
            ids.__getitem__
            if query.order == "dataset_id"
            else lambda i: (corpus.modified(i), ids[i])
        )
        return sorted(indices, key=key, reverse=query.descending)

    def listing(self, query: Query) -> list[int]:
        """The dataset indices ``query`` selects, in its order (once per generation)."""
        return self.state.memo(("ods", query), lambda: self._listing(query))

    async def datasets(self, request: Request) -> Response:
        params = request.query_params
        try:
            query = Query.of(params)
            limit = parse_limit(params, self.state.config.page_size)
            offset = parse_offset(params)
            check_window(offset, limit)
        except OdsError as error:
            return _error(error)
        listing = self.listing(query)
        chosen = listing[offset : offset + limit]

        def render() -> bytes:
            corpus = self.state.corpus
            results = [dataset(corpus.dataset(i)) for i in chosen]
            return orjson.dumps({"total_count": len(listing), "results": results})

        return await self.state.answer(
            request,
            page=offset // max(limit, 1) + 1,
            render=render,
            media_type=MEDIA_TYPE,
            cache_key=("ods", query, offset, limit),
        )

    async def export_json(self, request: Request) -> Response:
        params = request.query_params
        try:
            query = Query.of(params)
            limit = _integer(params, "limit", -1)
            offset = parse_offset(params)
        except OdsError as error:
            return _error(error)
        listing = self.listing(query)
        chosen = listing[offset:] if limit < 0 else listing[offset : offset + limit]
        return await self.state.stream(
            request,
            chunks=lambda: json_array_chunks(self.state.corpus, chosen, dataset),
            media_type=MEDIA_TYPE,
        )
