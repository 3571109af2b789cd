"""ArcGIS Online / Enterprise portals: recorded items and searches, fetch paging, probe."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from catalog.dates import parse_date
from catalog.model import PartnerKind
from connectors import arcgis, http
from connectors.arcgis import ArcgisConnector
from connectors.arcgis_portal import (
    build_query,
    is_portal_url,
    item_url,
    normalize_item,
    portal_root,
)
from connectors.base import RawRecord, SourceSpec
from connectors.dcat_us_text import plain_text
from connectors.errors import RecordInvalid, RecordSkipped, SourceProtocolError
from connectors.registry import get_connector
from tests.connectors.arcgis_samples import (
    PORTAL_SELF,
    PUBLIC_PORTAL_SELF,
    SEARCH_ERROR,
    SHARING_ROOT,
    TOKEN_ERROR,
)
from tests.paths import fixture

PORTAL = "https://ville-exemple.maps.arcgis.com"
SHARING = f"{PORTAL}/sharing/rest"
NOW = datetime(2024, 5, 1, tzinfo=UTC)
ITEMS = [
    "agol_sharing_content_item_csv.json",
    "agol_sharing_content_item_feature-service.json",
    "agol_sharing_content_item_no-url.json",
    "agol_sharing_content_item_with-metadata.json",
]
PAGE_146 = "agol_sharing_search_page1_total146_nextStart101.json"
LAST_46 = "agol_sharing_search_single_page_total46.json"
LIVING_ATLAS = "agol_sharing_search_group_livingatlas.json"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


def load(name: str) -> Any:
    return json.loads(fixture("arcgis", name).read_text(encoding="utf-8"))


def source(**options: Any) -> SourceSpec:
    return SourceSpec(id="agol", url=PORTAL, platform="arcgis", options=options)


def normalize(item: dict[str, Any], **kwargs: Any) -> Any:
    return normalize_item(item, source(), root=PORTAL, fetched_at=NOW, **kwargs)


def test_registered_under_its_platform() -> None:
    assert get_connector("arcgis") is ArcgisConnector


def test_portal_urls() -> None:
    assert portal_root(f"{SHARING}/search?q=x") == PORTAL
    assert portal_root("https://gis.example.org/portal/home/item.html?id=1") == (
        "https://gis.example.org/portal"
    )
    assert is_portal_url(PORTAL) and is_portal_url("https://www.arcgis.com")
    assert is_portal_url("https://gis.example.org/portal")
    assert not is_portal_url("https://donnees.hub.arcgis.com")
    assert ArcgisConnector(source(group="g"), httpx.AsyncClient()).mode == "portal"


@pytest.mark.parametrize("name", ITEMS)
def test_recorded_items_map(name: str) -> None:
    item = load(name)
    record = normalize(item)
    page = f"{PORTAL}/home/item.html?id={item['id']}"
    assert record.identifier == record.provenance.remote_id == item["id"]
    assert record.provenance.platform == "arcgis"
    assert record.provenance.api_url == item_url(PORTAL, item["id"], "?f=json")
    assert record.landing_page == record.uri == page
    assert record.title == {"en": item["title"]}
    assert record.language == ["ENG"]  # culture "en" / "en-us"
    assert record.keywords == {"en": item["tags"]}
    assert record.issued == parse_date(item["created"])
    assert record.modified == parse_date(item["modified"])
    assert record.creators[0].identifier == item["owner"]
    assert record.access_rights == "PUBLIC"
    if item["extent"]:
        (west, south), (east, north) = item["extent"]
        assert record.spatial[0].bbox == (west, south, east, north)
    else:
        assert record.spatial == []


def test_csv_item_is_a_download_of_its_data() -> None:
    item = load("agol_sharing_content_item_csv.json")
    assert item["url"] is None
    [csv] = normalize(item).distributions
    assert csv.download_url == csv.access_url == item_url(PORTAL, item["id"], "/data")
    assert (csv.format, csv.file_type, csv.byte_size) == ("CSV", "CSV", item["size"])
    assert csv.api_access is False


@pytest.mark.parametrize(
    "name",
    [
        "agol_sharing_content_item_feature-service.json",
        "agol_sharing_content_item_with-metadata.json",
    ],
)
def test_service_item_is_api_access(name: str) -> None:
    item = load(name)
    [service] = normalize(item).distributions
    assert service.access_url == service.endpoint_url == item["url"]
    assert service.api_access is True
    assert service.file_type == "REST"


def test_item_without_url_has_no_distribution() -> None:
    item = load("agol_sharing_content_item_no-url.json")
    assert item["type"] == "Feature Service" and item["url"] is None
    record = normalize(item)
    assert record.distributions == []
    assert record.documentation == []


def test_metadata_keyword_links_formal_metadata() -> None:
    item = load("agol_sharing_content_item_with-metadata.json")
    assert "Metadata" in item["typeKeywords"]
    assert normalize(item).documentation == [
        item_url(PORTAL, item["id"], "/info/metadata/metadata.xml")
    ]


def test_living_atlas_group_items_map() -> None:
    results = load(LIVING_ATLAS)["results"]
    for item in results:
        record = normalize(item)
        assert record.title[next(iter(record.title))] == item["title"]
        assert record.description[next(iter(record.description))] == plain_text(item["description"])
        assert record.licence is not None
        first_link = re.search(r"href=['\"]([^'\"]+)", item["licenseInfo"])
        assert first_link is not None
        assert record.licence.uri == first_link.group(1)
        visible = "".join((plain_text(item["licenseInfo"]) or "").split())
        assert "".join((record.licence.title or "").split())[:40] == visible[:40]
        [distribution] = record.distributions
        if item["type"] == "Web Map":
            assert distribution.access_url == item_url(PORTAL, item["id"], "/data")
            assert distribution.media_type == "application/json"
            assert distribution.api_access is False
        else:
            assert distribution.endpoint_url == item["url"] and distribution.api_access
    credited = [i for i in results if i["accessInformation"] and len(i["accessInformation"]) < 120]
    assert credited
    for item in credited:
        name = normalize(item).publisher
        assert name is not None
        assert next(iter(name.name.values())) == item["accessInformation"].removeprefix("Sources: ")


def test_apps_are_skipped_unless_asked_for() -> None:
    page = load(PAGE_146)["results"]
    assert {i["type"] for i in page} == {"Hub Site Application", "Web Mapping Application"}
    for item in page:
        with pytest.raises(RecordSkipped, match="not a dataset"):
            normalize(item)
    app = next(i for i in page if i["type"] == "Hub Site Application")
    record = normalize(app, item_types=["Hub Site Application"])
    assert record.distributions[0].access_url == app["url"]
    assert record.themes == [c.rsplit("/", 1)[-1] for c in app["categories"]]


def test_licence_text_null_is_no_licence() -> None:
    item = load(LAST_46)["results"][0]
    assert item["licenseInfo"] == "null"
    assert normalize(item, item_types=[item["type"]]).licence is None


def test_bad_items() -> None:
    item = load("agol_sharing_content_item_csv.json")
    with pytest.raises(RecordSkipped, match="not public"):
        normalize({**item, "access": "org"})
    with pytest.raises(RecordInvalid, match="no title"):
        normalize({**item, "title": " ", "name": None})
    with pytest.raises(RecordInvalid, match="without id"):
        normalize({**item, "id": None})
    with pytest.raises(RecordInvalid):
        normalize([])  # type: ignore[arg-type]


def test_publisher_falls_back_to_partner() -> None:
    item = load("agol_sharing_content_item_csv.json")
    spec = SourceSpec(
        id="s",
        url=PORTAL,
        platform="arcgis",
        partner_name="Ville exemple",
        partner_kind=PartnerKind.municipality,
    )
    record = normalize_item(item, spec, root=PORTAL, fetched_at=NOW)
    assert record.publisher is not None
    assert record.publisher.name == {"": "Ville exemple"}
    assert record.publisher.kind == PartnerKind.municipality


def test_build_query() -> None:
    assert build_query(group="abc") == "group:abc"
    assert build_query(org_id="Org1") == "orgid:Org1"
    assert build_query(query="owner:x", org_id="Org1") == "(owner:x)"
    since = datetime(2024, 1, 1, tzinfo=UTC)
    q = build_query(group="g", item_types=["CSV", "Feature Service"], since=since, now=NOW)
    assert q == (
        'group:g AND (type:"CSV" OR type:"Feature Service") AND '
        f"modified:[{int(since.timestamp() * 1000):019d} TO {int(NOW.timestamp() * 1000):019d}]"
    )


# -- fetch -----------------------------------------------------------------------------------


class Portal:
    """A sharing API: search pages by ``start``, optional ``portals/self``."""

    def __init__(self, pages: dict[int, Any], portal_self: Any = PORTAL_SELF) -> None:
        self.pages = pages
        self.portal_self = portal_self
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/sharing/rest":
            return httpx.Response(200, json=SHARING_ROOT)
        if path == "/sharing/rest/portals/self":
            return httpx.Response(200, json=self.portal_self)
        if path == "/sharing/rest/search":
            if request.url.params.get("num") == "1" and 0 not in self.pages:
                return httpx.Response(200, json=self.pages[1])
            start = int(request.url.params["start"])
            return httpx.Response(200, json=self.pages[start])
        return httpx.Response(404, text="<html><title>Not found</title></html>")

    def params(self, index: int) -> dict[str, list[str]]:
        searches = [r for r in self.requests if r.url.path.endswith("/search")]
        return parse_qs(searches[index].url.query.decode())


def two_pages() -> dict[int, Any]:
    """The recorded 146-item first page and, as page 2, the 46 recorded items of another
    search served at start=101 with the same total."""
    second = load(LAST_46)
    return {1: load(PAGE_146), 101: {**second, "total": 146, "start": 101, "nextStart": -1}}


def connector(portal: Portal, **options: Any) -> ArcgisConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(portal))
    return ArcgisConnector(source(**options), client)


async def collect(c: ArcgisConnector, since: datetime | None = None) -> list[RawRecord]:
    return [raw async for raw in c.fetch(since)]


async def test_fetch_pages_with_next_start() -> None:
    portal = Portal(two_pages())
    c = connector(portal)
    raws = await collect(c)
    pages = two_pages()
    listed = [i["id"] for i in pages[1]["results"]] + [i["id"] for i in pages[101]["results"]]
    assert len(listed) == 146 > len(set(listed))  # the two recorded searches overlap
    assert [r.remote_id for r in raws] == list(dict.fromkeys(listed))
    assert c.stats.complete is True
    assert (c.stats.pages, c.stats.expected) == (2, 146)
    assert portal.params(0)["q"] == [f"orgid:{PORTAL_SELF['id']}"]
    assert portal.params(0)["sortField"] == ["created"]
    assert portal.params(1)["start"] == ["101"]


async def test_fetch_with_group_skips_portal_self_and_filters_since() -> None:
    portal = Portal({1: load(LAST_46)})
    c = connector(portal, group="47dd57c9a59d458c86d3d6b978560088", item_types=["CSV"])
    raws = await collect(c, since=datetime(2024, 1, 1, tzinfo=UTC))
    assert len(raws) == 46 and c.stats.complete
    assert not any(r.url.path.endswith("/portals/self") for r in portal.requests)
    q = portal.params(0)["q"][0]
    assert q.startswith('group:47dd57c9a59d458c86d3d6b978560088 AND (type:"CSV") AND modified:[')
    assert portal.params(0)["sortField"] == ["modified"]


async def test_page_cap_leaves_listing_incomplete() -> None:
    page = load(LIVING_ATLAS)
    portal = Portal({1: page})
    c = connector(portal, group="47dd57c9a59d458c86d3d6b978560088", page_size=10, max_pages=1)
    raws = await collect(c)
    assert len(raws) == len(page["results"]) == 10
    assert c.stats.complete is False
    assert c.stats.cursor["stopped"] == "page cap"
    assert c.stats.expected == page["total"]


async def test_search_window_stops_paging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arcgis, "SEARCH_WINDOW", 150)
    c = connector(Portal(two_pages()), group="g")
    raws = await collect(c)
    assert len(raws) == 100
    assert c.stats.complete is False and c.stats.cursor["stopped"] == "search window"


async def test_short_listing_is_incomplete() -> None:
    pages = two_pages()
    pages[101]["results"] = pages[101]["results"][:10]
    c = connector(Portal(pages), group="g")
    listed = [i["id"] for i in pages[1]["results"]] + [i["id"] for i in pages[101]["results"]]
    assert len(await collect(c)) == len(set(listed))
    assert c.stats.complete is False and c.stats.cursor["stopped"] == "short listing"


async def test_repeated_page_stops() -> None:
    first = load(PAGE_146)
    c = connector(Portal({1: first, 101: {**first, "nextStart": 201}}), group="g")
    assert len(await collect(c)) == 100
    assert c.stats.complete is False and c.stats.cursor["stopped"] == "repeated page"


async def test_error_body_names_page_and_url() -> None:
    c = connector(Portal({1: load(PAGE_146), 101: SEARCH_ERROR}), group="g")
    raws: list[RawRecord] = []
    with pytest.raises(SourceProtocolError) as caught:
        async for raw in c.fetch():
            raws.append(raw)
    assert len(raws) == 100 and c.stats.complete is False
    message = str(caught.value)
    assert f"page 2 of {SHARING}/search" in message
    assert "Unable to perform query. (code 400): 'q' is invalid" in message


async def test_token_error_is_explained() -> None:
    c = connector(Portal({1: TOKEN_ERROR}), group="g")
    with pytest.raises(SourceProtocolError, match="wants a token"):
        await collect(c)


async def test_portal_without_organization_asks_for_a_query() -> None:
    c = connector(Portal({}, portal_self=PUBLIC_PORTAL_SELF))
    with pytest.raises(SourceProtocolError, match="set the source's group or query"):
        await collect(c)


async def test_html_instead_of_json() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<!doctype html><title>Maintenance</title>")

    client = httpx.AsyncClient(transport=httpx.MockTransport(html))
    c = ArcgisConnector(source(group="g"), client)
    with pytest.raises(SourceProtocolError, match="returned HTML"):
        await collect(c)


async def test_fetched_items_normalize_through_the_connector() -> None:
    c = connector(Portal({1: load(LIVING_ATLAS) | {"nextStart": -1, "total": 10}}), group="g")
    raws = await collect(c)
    records = [c.normalize(r) for r in raws]
    assert [r.identifier for r in records] == [r.remote_id for r in raws]
    assert all(r.provenance.source_id == "agol" for r in records)


async def test_probe_recognises_a_portal() -> None:
    portal = Portal({1: load(LAST_46)})
    client = httpx.AsyncClient(transport=httpx.MockTransport(portal))
    found = await ArcgisConnector.probe(f"{PORTAL}/home/index.html", client)
    assert found is not None
    assert found.platform == "arcgis"
    assert found.api_url == SHARING
    assert found.title == PORTAL_SELF["name"]
    assert found.dataset_count == load(LAST_46)["total"]
    assert found.notes[0] == f"ArcGIS portal {SHARING_ROOT['currentVersion']}"


async def test_probe_ignores_other_sites() -> None:
    def nothing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "not here"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(nothing))
    assert await ArcgisConnector.probe("https://example.org", client) is None
