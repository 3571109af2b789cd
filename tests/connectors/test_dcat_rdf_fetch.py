"""DcatRdfConnector.fetch and probe over recorded DCAT RDF pages served by MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from rdflib import URIRef
from rdflib.namespace import RDF

from connectors import http
from connectors.base import RawRecord, SourceSpec
from connectors.dcat_rdf import DcatRdfConnector, csw_next, hydra_next, hydra_total
from connectors.dcat_rdf_graphs import dataset_subjects
from connectors.dcat_rdf_values import DCAT, DCT
from connectors.errors import SourceForbidden, SourceProtocolError, SourceUnavailable
from connectors.rdf_parse import parse_document, parse_rdf
from connectors.registry import get_connector
from tests.paths import fixture

TEST_ORG = "http://data.test.org/catalog.jsonld"
CSW = "https://www.geo2france.fr/geonetwork/srv/eng/csw"
CSW_QUERY = (
    f"{CSW}?service=CSW&version=2.0.2&request=GetRecords&typeNames=csw:Record"
    "&resultType=results&elementSetName=full&outputSchema=http://www.w3.org/ns/dcat%23"
    "&maxRecords=2&startPosition=1"
)
TYPES = {
    "jsonld": "application/ld+json",
    "ttl": "text/turtle",
    "rdf": "application/rdf+xml",
    "xml": "application/rdf+xml",
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


def body(name: str) -> bytes:
    return fixture("dcat-rdf", name).read_bytes()


def kind(name: str) -> str:
    return TYPES[name.rsplit(".", 1)[-1]]


class Site:
    """Serves fixture bodies by full URL; anything else is a 404. Records requests."""

    def __init__(self, pages: dict[str, tuple[int, bytes, str]]) -> None:
        self.pages = pages
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        found = self.pages.get(str(request.url))
        if found is None:
            return httpx.Response(
                404,
                text="<html><title>Not found</title></html>",
                headers={"Content-Type": "text/html"},
            )
        status, content, content_type = found
        return httpx.Response(status, content=content, headers={"Content-Type": content_type})


def served(**names: str) -> Site:
    return Site({url: (200, body(name), kind(name)) for url, name in names.items()})


def spec(url: str, **options: Any) -> SourceSpec:
    return SourceSpec(id="src", url=url, platform="dcat_rdf", options=options)


def connector(
    handler: Callable[[httpx.Request], httpx.Response], url: str, **options: Any
) -> DcatRdfConnector:
    return DcatRdfConnector(
        spec(url, **options), httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )


async def collect(conn: DcatRdfConnector) -> list[RawRecord]:
    return [raw async for raw in conn.fetch()]


def subjects(name: str) -> list[str]:
    return [
        str(s) for s in dataset_subjects(parse_rdf(body(name), content_type=None, base="http://x/"))
    ]


def test_registered_under_dcat_rdf() -> None:
    assert get_connector("dcat_rdf") is DcatRdfConnector
    assert DcatRdfConnector.platform == "dcat_rdf"


def test_options_are_validated() -> None:
    conn = DcatRdfConnector(spec(TEST_ORG, format="turtle", max_pages=3), httpx.AsyncClient())
    assert conn.options.format == "turtle" and conn.max_pages == 3
    for bad in ({"format": "n3"}, {"max_pages": 0}, {"page_size": 10}):
        with pytest.raises(ValidationError):
            DcatRdfConnector(spec(TEST_ORG, **bad), httpx.AsyncClient())


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("hydra_paged-collection_page1.jsonld", "hydra_paged-collection_page2.jsonld"),  # nextPage
        ("hydra_partial-collection_page1.jsonld", "hydra_partial-collection_page2.jsonld"),  # next
    ],
)
async def test_follows_hydra_to_the_last_page(first: str, second: str) -> None:
    site = served(**{f"{TEST_ORG}?page=1": first, f"{TEST_ORG}?page=2": second})
    conn = connector(site, f"{TEST_ORG}?page=1")
    records = await collect(conn)
    expected = subjects(first) + subjects(second)
    assert [r.payload["subject"] for r in records] == expected
    assert [r.remote_id for r in records] == ["1", "2", "3", "4"]  # dct:identifier
    assert [str(r.url) for r in site.requests] == [f"{TEST_ORG}?page=1", f"{TEST_ORG}?page=2"]
    assert all("text/turtle" in r.headers["accept"] for r in site.requests)
    assert conn.stats.pages == 2 and conn.stats.complete is True
    assert conn.stats.expected == 4 and conn.stats.bytes == len(body(first)) + len(body(second))
    assert records[0].payload["page"] == f"{TEST_ORG}?page=1"
    record = conn.normalize(records[-1])
    assert record.identifier == "4"
    # provenance names the catalogue: a page shift must not change the content hash
    assert record.provenance.api_url == f"{TEST_ORG}?page=1"


@pytest.mark.parametrize(
    "name",
    [
        "demo-ckan_catalog_page1_hydra.ttl",
        "demo-ckan_catalog_page1_hydra.rdf.xml",
        "demo-ckan_catalog_page1_hydra.jsonld",
    ],
)
async def test_error_on_the_next_page_names_it_and_is_not_complete(name: str) -> None:
    graph = parse_rdf(body(name), content_type=kind(name), base="http://demo.ckan.org/catalog")
    next_url = hydra_next(graph, "http://demo.ckan.org/catalog")
    assert next_url is not None and next_url.endswith("page=2")
    site = served(**{"http://demo.ckan.org/catalog": name})
    site.pages[next_url] = (503, b"<html><title>Maintenance</title></html>", "text/html")
    conn = connector(site, "http://demo.ckan.org/catalog")
    seen: list[RawRecord] = []
    with pytest.raises(SourceUnavailable) as caught:
        async for raw in conn.fetch():
            seen.append(raw)
    assert len(seen) == 100
    assert str(caught.value).startswith(f"page 2 of {next_url} returned 503")
    assert conn.stats.complete is False and conn.stats.expected == hydra_total(graph) == 2561


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("dati-unibo_catalog_dcatapit_hydra.rdf", "http://paster/catalog.rdf?page=1"),
        (
            "ckan-dcatde_catalog_endpoint_hydra.rdf",
            "http://data.example-domain.de/catalog.rdf?page=1",
        ),
    ],
)
async def test_single_hydra_page_is_a_complete_listing(name: str, url: str) -> None:
    site = served(**{url: name})
    conn = connector(site, url)
    records = await collect(conn)
    total = hydra_total(parse_rdf(body(name), content_type=None, base=url))
    assert len(records) == total == len(subjects(name))
    assert conn.stats.complete is True and len(site.requests) == 1


async def test_short_listing_against_total_items_is_not_complete() -> None:
    # page 2 is served without its dataset: 3 of 4 datasets, no next link
    empty_page = (
        body("hydra_paged-collection_page2.jsonld")
        .replace(b"dcat#Dataset", b"dcat#Nothing")
        .replace(b"dcat#dataset", b"dcat#nothing")
    )
    site = served(**{f"{TEST_ORG}?page=1": "hydra_paged-collection_page1.jsonld"})
    site.pages[f"{TEST_ORG}?page=2"] = (200, empty_page, "application/ld+json")
    conn = connector(site, f"{TEST_ORG}?page=1")
    assert len(await collect(conn)) == 3
    assert conn.stats.complete is False and conn.stats.cursor["stopped"] == "short listing"


async def test_repeated_page_url_stops_paging() -> None:
    # page 2 says its next page is page 1 again
    loop = body("hydra_partial-collection_page2.jsonld").replace(
        b'#previous": [{"@value": "http://data.test.org/catalog.jsonld?page=1"}]',
        b'#next": [{"@value": "http://data.test.org/catalog.jsonld?page=1"}]',
    )
    site = served(**{f"{TEST_ORG}?page=1": "hydra_partial-collection_page1.jsonld"})
    site.pages[f"{TEST_ORG}?page=2"] = (200, loop, "application/ld+json")
    conn = connector(site, f"{TEST_ORG}?page=1")
    assert len(await collect(conn)) == 4
    assert len(site.requests) == 2
    assert conn.stats.complete is False and conn.stats.cursor["stopped"] == "repeated page"


async def test_same_datasets_on_a_new_url_stop_paging() -> None:
    # a server that ignores ?page= serves page 1 forever, each time pointing further
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        content = body("hydra_paged-collection_page1.jsonld").replace(
            b"catalog.jsonld?page=2", f"catalog.jsonld?page={number + 1}".encode()
        )
        return httpx.Response(200, content=content, headers={"Content-Type": "application/ld+json"})

    conn = connector(handler, f"{TEST_ORG}?page=1")
    assert len(await collect(conn)) == 3
    assert conn.stats.pages == 2 and conn.stats.cursor["stopped"] == "repeated page"
    assert conn.stats.complete is False


async def test_page_cap_stops_without_completing() -> None:
    site = served(
        **{
            f"{TEST_ORG}?page=1": "hydra_paged-collection_page1.jsonld",
            f"{TEST_ORG}?page=2": "hydra_paged-collection_page2.jsonld",
        }
    )
    conn = connector(site, f"{TEST_ORG}?page=1", max_pages=1)
    assert len(await collect(conn)) == 3
    assert conn.stats.complete is False and conn.stats.cursor["stopped"] == "page cap"


async def test_csw_getrecords_pages_by_next_record() -> None:
    pages = {
        1: "csw_geo2france_getrecords_dcat_page1.xml",
        3: "csw_geo2france_getrecords_dcat_page3.xml",
        5: "csw_geo2france_getrecords_dcat_page5.xml",
    }
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        assert request.url.params["outputSchema"] == "http://www.w3.org/ns/dcat#"
        name = pages[int(request.url.params["startPosition"])]
        return httpx.Response(200, content=body(name), headers={"Content-Type": "application/xml"})

    conn = connector(handler, CSW_QUERY)
    records = await collect(conn)
    expected = [s for name in pages.values() for s in subjects(name)]
    assert [r.payload["subject"] for r in records] == expected and len(records) == 6
    assert [r.url.params["startPosition"] for r in requests] == ["1", "3", "5"]
    assert conn.stats.expected == 6 and conn.stats.complete is True
    assert all(conn.normalize(r).title for r in records)


def test_csw_next_record_rules() -> None:
    first = parse_document(
        body("csw_geo2france_getrecords_geodcatap_page1.xml"), content_type=None, base=CSW
    )
    assert first.csw is not None and first.csw.matched == 6 and first.csw.next_record == 3
    following = csw_next(first, CSW_QUERY)
    assert following is not None and httpx.URL(following).params["startPosition"] == "3"
    assert httpx.URL(following).params["maxRecords"] == "2"
    last = parse_document(
        body("csw_geo2france_getrecords_dcat_page5.xml"), content_type=None, base=CSW
    )
    assert csw_next(last, CSW_QUERY) is None
    plain = parse_document(body("nobelprize_catalog_sweden.rdf"), content_type=None, base=CSW)
    assert plain.csw is None and csw_next(plain, CSW_QUERY) is None


async def test_content_type_is_checked_against_the_body() -> None:
    # RDF/XML served as application/json, Turtle as text/plain: sniffing decides
    site = Site(
        {
            "https://a.org/catalog": (
                200,
                body("datagouvfr_org_catalog_vanves.rdf.xml"),
                "application/json",
            ),
            "https://b.org/catalog": (200, body("datos-gob-es_dataset_madrid.ttl"), "text/plain"),
        }
    )
    for url, name in (
        ("https://a.org/catalog", "datagouvfr_org_catalog_vanves.rdf.xml"),
        ("https://b.org/catalog", "datos-gob-es_dataset_madrid.ttl"),
    ):
        conn = connector(site, url)
        records = await collect(conn)
        assert [r.payload["subject"] for r in records] == subjects(name)
        assert conn.stats.complete is True


async def test_forced_format_and_bad_page_errors() -> None:
    site = served(**{"https://c.org/catalog": "nobelprize_catalog_sweden.rdf"})
    with pytest.raises(
        SourceProtocolError, match=r"page 1 of https://c\.org/catalog is not valid Turtle"
    ):
        await collect(connector(site, "https://c.org/catalog", format="turtle"))
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    site.pages["https://d.org/catalog"] = (200, bomb, "application/rdf+xml")
    conn = connector(site, "https://d.org/catalog")
    with pytest.raises(
        SourceForbidden, match=r"page 1 of https://d\.org/catalog declares a DOCTYPE"
    ):
        await collect(conn)
    assert conn.stats.complete is False
    big = connector(site, "https://c.org/catalog", max_bytes=1024)
    with pytest.raises(SourceForbidden, match="exceeds 1 KiB"):
        await collect(big)


async def test_blank_node_datasets_are_fetched_with_hashed_ids() -> None:
    turtle = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://e.org/c> a dcat:Catalog ; dcat:dataset [ a dcat:Dataset ; dct:title "A" ] , [ a dcat:Dataset ; dct:title "B" ] ."""
    site = Site({"https://e.org/c": (200, turtle, "text/turtle")})
    conn = connector(site, "https://e.org/c")
    first = await collect(conn)
    again = await collect(conn)
    assert [r.remote_id for r in first] == [r.remote_id for r in again]
    assert len({r.remote_id for r in first}) == 2 and all(
        r.remote_id.startswith("bnode:") for r in first
    )
    assert sorted(conn.normalize(r).title[""] for r in first) == ["A", "B"]


async def test_probe_by_content_negotiation() -> None:
    name = "dati-unibo_catalog_dcatapit_hydra.rdf"

    def handler(request: httpx.Request) -> httpx.Response:
        if "application/rdf+xml" in request.headers.get("accept", ""):
            return httpx.Response(
                200, content=body(name), headers={"Content-Type": "application/rdf+xml"}
            )
        return httpx.Response(200, text="<html></html>", headers={"Content-Type": "text/html"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        found = await DcatRdfConnector.probe("https://dati.unibo.it/catalog", client)
    graph = parse_rdf(body(name), content_type=None, base="https://dati.unibo.it/")
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    titles = {str(v) for v in graph.objects(catalog, DCT.title)}
    assert found is not None and found.platform == "dcat_rdf"
    assert found.api_url == "https://dati.unibo.it/catalog"
    assert found.title in titles
    assert found.dataset_count == hydra_total(graph) == 12
    assert found.notes == ["DCAT xml"]


async def test_probe_tries_well_known_paths() -> None:
    site = served(**{"https://portal.example.org/catalog.jsonld": "catalog_with_at_graph.jsonld"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(site)) as client:
        found = await DcatRdfConnector.probe("https://portal.example.org/", client)
    assert found is not None and found.api_url == "https://portal.example.org/catalog.jsonld"
    assert found.title == "Title example.org" and found.dataset_count == 1
    assert [r.url.path for r in site.requests] == [
        "/",
        "/catalog.ttl",
        "/catalog.rdf",
        "/catalog.jsonld",
    ]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200,
            text="<!DOCTYPE html><html><title>Hi</title></html>",
            headers={"Content-Type": "text/html"},
        ),
        httpx.Response(200, json={"success": True, "result": []}),
        httpx.Response(503, text="down"),
        httpx.Response(200, content=b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'),
    ],
)
async def test_probe_returns_none_for_other_sites(response: httpx.Response) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: response)) as client:
        assert await DcatRdfConnector.probe("https://hub.example.org", client) is None


def test_probe_counts_csw_matches() -> None:
    document = parse_document(
        body("csw_geo2france_getrecords_geodcatap_page1.xml"), content_type=None, base=CSW
    )
    assert document.csw is not None and document.csw.matched == 6
    assert len(list(document.graph.subjects(RDF.type, DCAT.Dataset))) == 2
    assert URIRef("https://www.geo2france.fr/insee/partmenage5ans") in set(
        document.graph.subjects(RDF.type, DCAT.Dataset)
    )
