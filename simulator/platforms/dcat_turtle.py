"""A DCAT-AP catalogue in Turtle, paged with Hydra (``/catalog.ttl?page=N``), as
ckanext-dcat serves it: bilingual literals, EU vocabularies, distributions as IRIs.

Paging terms follow :attr:`SimConfig.hydra`: ``legacy`` (``hydra:PagedCollection`` with
``nextPage``/``totalItems`` on the page, like ckanext-dcat) or ``current``
(``hydra:Collection`` + ``hydra:PartialCollectionView`` with ``hydra:next``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.corpus import SimDataset
from simulator.state import SimState

EU = "http://publications.europa.eu/resource/authority"
IANA = "https://www.iana.org/assignments/media-types"
FILE_TYPES = {
    "CSV": "CSV",
    "JSON": "JSON",
    "GeoJSON": "GEOJSON",
    "SHP": "SHP",
    "XLSX": "XLSX",
    "PDF": "PDF",
    "KML": "KML",
    "XML": "XML",
    "WMS": "WMS_SRVC",
}
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def lit(text: str, lang: str | None = None) -> str:
    quoted = f'"{text.translate(_ESCAPES)}"'
    return f"{quoted}@{lang}" if lang else quoted


def _when(value: datetime) -> str:
    stamp = value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return f'"{stamp}"^^xsd:dateTime'


def _pair(values: tuple[str, str]) -> str:
    return f"{lit(values[0], 'fr')}, {lit(values[1], 'en')}"


def dataset_turtle(d: SimDataset, site: str) -> str:
    """The Turtle statements of one dataset, its publisher and its distributions."""
    uri = f"{site}/dataset/{d.uid}"
    publisher = f"https://{d.place.host}/organization/{d.place.slug}"
    west, south, east, north = d.bbox
    wkt = (
        f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    )
    keywords = [lit(k, "fr") for k in d.keywords[0]] + [lit(k, "en") for k in d.keywords[1]]
    dist_uris = [f"{uri}/resource/{dist.uid}" for dist in d.distributions]
    lines = [
        f"<{uri}> a dcat:Dataset ;",
        f"    dct:identifier {lit(d.uid)} ;",
        f"    dct:title {_pair(d.title)} ;",
        f"    dct:description {_pair(d.description)} ;",
        f"    dcat:keyword {', '.join(keywords)} ;",
        f"    dcat:theme <{EU}/data-theme/{d.theme.eu_theme}> ;",
        f"    dct:issued {_when(d.created)} ;",
        f"    dct:modified {_when(d.modified)} ;",
        f"    dct:publisher <{publisher}> ;",
        f"    dcat:contactPoint [ a vcard:Kind ; vcard:fn {lit(d.contact[0])} ; "
        f"vcard:hasEmail <mailto:{d.contact[1]}> ] ;",
        f"    dct:license <{d.licence.url}> ;",
        f"    dct:accrualPeriodicity <{EU}/frequency/{d.frequency[0]}> ;",
        f"    dct:language <{EU}/language/FRA>, <{EU}/language/ENG> ;",
        f'    dct:spatial [ a dct:Location ; dcat:bbox "{wkt}"^^gsp:wktLiteral ] ;',
        f"    dct:temporal [ a dct:PeriodOfTime ; "
        f'dcat:startDate "{d.temporal[0].isoformat()}"^^xsd:date ; '
        f'dcat:endDate "{d.temporal[1].isoformat()}"^^xsd:date ] ;',
        f"    dcat:landingPage <{d.landing_page}> ;",
        f"    dcat:distribution {', '.join(f'<{u}>' for u in dist_uris)} .",
        "",
        f"<{publisher}> a foaf:Organization ; foaf:name {_pair(d.place.name)} .",
        "",
    ]
    for dist, dist_uri in zip(d.distributions, dist_uris, strict=True):
        lines += [
            f"<{dist_uri}> a dcat:Distribution ;",
            f"    dct:title {_pair(dist.title)} ;",
            f"    dcat:accessURL <{dist.url}> ;",
            f"    dct:format <{EU}/file-type/{FILE_TYPES[dist.format.name]}> ;",
            f"    dcat:mediaType <{IANA}/{dist.format.media_type}> ;",
        ]
        if dist.format.name != "WMS":
            lines.append(f"    dcat:downloadURL <{dist.url}> ;")
        if dist.byte_size is not None:
            lines.append(f'    dcat:byteSize "{dist.byte_size}"^^xsd:nonNegativeInteger ;')
        lines += [f"    dct:modified {_when(dist.modified)} .", ""]
    return "\n".join(lines) + "\n"


def paging_turtle(site: str, page: int, last: int, total: int, size: int, style: str) -> str:
    """The Hydra description of page ``page`` of ``last``."""
    base = f"{site}/catalog.ttl"
    url = f"{base}?page={page}"
    if style == "current":
        lines = [
            f"<{base}> a hydra:Collection ; hydra:totalItems {total} ; hydra:view <{url}> .",
            f"<{url}> a hydra:PartialCollectionView ;",
            f"    hydra:first <{base}?page=1> ;",
            f"    hydra:last <{base}?page={last}> ;",
        ]
        if page > 1:
            lines.append(f"    hydra:previous <{base}?page={page - 1}> ;")
        if page < last:
            lines.append(f"    hydra:next <{base}?page={page + 1}> ;")
    else:
        lines = [
            f"<{url}> a hydra:PagedCollection ;",
            f"    hydra:totalItems {total} ;",
            f"    hydra:itemsPerPage {size} ;",
            f'    hydra:firstPage "{base}?page=1" ;',
            f'    hydra:lastPage "{base}?page={last}" ;',
        ]
        if page > 1:
            lines.append(f'    hydra:previousPage "{base}?page={page - 1}" ;')
        if page < last:
            lines.append(f'    hydra:nextPage "{base}?page={page + 1}" ;')
    lines[-1] = lines[-1][:-2] + " ."
    return "\n".join(lines) + "\n\n"


class DcatTurtlePlatform:
    """The ``/catalog.ttl`` route."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [Route("/catalog.ttl", self.catalog)]

    async def catalog(self, request: Request) -> Response:
        site = str(request.base_url).rstrip("/")
        try:
            page = max(int(request.query_params.get("page") or 1), 1)
        except ValueError:
            return Response("page must be an integer", status_code=400)
        size = max(self.state.config.page_size, 1)
        style = self.state.config.hydra

        def render() -> bytes:
            corpus = self.state.corpus
            indices = corpus.indices
            total = len(indices)
            last = max(-(-total // size), 1)
            chosen = indices[(page - 1) * size : page * size]
            datasets = [corpus.dataset(i) for i in chosen]
            members = ", ".join(f"<{site}/dataset/{d.uid}>" for d in datasets)
            parts = [
                PREFIXES,
                f"<{site}/catalog> a dcat:Catalog ;\n"
                f"    dct:title {lit('Catalogue de données ouvertes (simulé)', 'fr')} ;\n"
                f"    foaf:homepage <{site}/>"
                + (f" ;\n    dcat:dataset {members} .\n\n" if members else " .\n\n"),
                paging_turtle(site, page, last, total, size, style),
                *(dataset_turtle(d, site) for d in datasets),
            ]
            return "".join(parts).encode()

        return await self.state.answer(
            request,
            page=page,
            render=render,
            media_type="text/turtle; charset=utf-8",
            cache_key=("turtle", site, page, size, style),
        )
