"""CkanConnector.fetch and probe over recorded CKAN responses served by MockTransport."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from catalog.model import PartnerKind
from connectors import http
from connectors.base import RawRecord, SourceSpec
from connectors.ckan import CkanConnector, build_fq
from connectors.ckan_api import api_url_for, as_package, search_page, site_url, unwrap
from connectors.errors import SourceProtocolError, SourceUnavailable
from connectors.registry import get_connector
from tests.connectors.ckan_replay import (
    RECORDED_SEARCHES,
    PagedSearch,
    load,
    recorded_exchange,
    result_of,
    search_results,
)
from tests.paths import fixture

SITE = "https://portal.example.org"
API = f"{SITE}/api/3/action"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


@pytest.fixture
def packages() -> list[dict[str, Any]]:
    return search_results(*RECORDED_SEARCHES)


def spec(url: str = SITE, **options: Any) -> SourceSpec:
    return SourceSpec(
        id="src",
        url=url,
        platform="ckan",
        options=options,
        partner_name="Ville d'exemple",
        partner_kind=PartnerKind.municipality,
    )


def connector(handler: Any, url: str = SITE, max_pages: int | None = None, **options: Any):
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return CkanConnector(spec(url, **options), client, max_pages=max_pages)


async def collect(conn: CkanConnector, since: datetime | None = None) -> list[RawRecord]:
    return [raw async for raw in conn.fetch(since)]


def test_registered_under_ckan() -> None:
    assert get_connector("ckan") is CkanConnector
    assert CkanConnector.platform == "ckan"


def test_options_are_validated() -> None:
    with pytest.raises(ValidationError):
        CkanConnector(spec(rows=0), httpx.AsyncClient())
    with pytest.raises(ValidationError):
        CkanConnector(spec(unknown=True), httpx.AsyncClient())


@pytest.mark.parametrize(
    ("url", "api_path", "expected"),
    [
        (
            "https://www.donneesquebec.ca/recherche",
            None,
            "https://www.donneesquebec.ca/recherche/api/3/action",
        ),
        ("https://x.org/api/3", None, "https://x.org/api/3/action"),
        ("https://x.org/api/3/action/", None, "https://x.org/api/3/action"),
        ("https://x.org/api/action", None, "https://x.org/api/action"),
        ("https://x.org/", "/ckan/api/3/action", "https://x.org/ckan/api/3/action"),
    ],
)
def test_api_url_discovery(url: str, api_path: str | None, expected: str) -> None:
    assert api_url_for(url, api_path) == expected
    options = {"api_path": api_path} if api_path else {}
    assert CkanConnector(spec(url, **options), httpx.AsyncClient()).api_url == expected
    assert site_url(expected) == (expected.rsplit("/api", 1)[0])


async def test_pages_through_search_until_count(packages: list[dict[str, Any]]) -> None:
    server = PagedSearch(packages)
    conn = connector(server, rows=5)
    records = await collect(conn)
    assert [r.remote_id for r in records] == [p["id"] for p in packages]
    assert [r.payload for r in records] == packages
    pages = math.ceil(len(packages) / 5)
    assert conn.stats.pages == len(server.requests) == pages
    assert conn.stats.expected == len(packages)
    assert conn.stats.complete is True
    assert conn.stats.bytes > 0
    starts = [int(server.params(i)["start"]) for i in range(pages)]
    assert starts == list(range(0, len(packages), 5))
    first = server.params(0)
    assert first["q"] == "*:*" and first["rows"] == "5"
    assert first["sort"] == "id asc"
    assert "fq" not in first
    assert str(server.requests[0].url).startswith(f"{API}/package_search?")


async def test_an_empty_page_before_count_is_a_short_listing(
    packages: list[dict[str, Any]],
) -> None:
    # The portal advertises more than it serves: stop at the empty page, withdraw nothing.
    server = PagedSearch(packages[:7], count=9)
    conn = connector(server, rows=5)
    assert [r.remote_id for r in await collect(conn)] == [p["id"] for p in packages[:7]]
    assert len(server.requests) == 3
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "short listing"


async def test_without_count_an_empty_page_ends_a_complete_enumeration(
    packages: list[dict[str, Any]],
) -> None:
    # DKAN-like answers: the result is a bare list of packages, no count.
    def handler(request: httpx.Request) -> httpx.Response:
        start, rows = int(request.url.params["start"]), int(request.url.params["rows"])
        return httpx.Response(200, json={"success": True, "result": packages[start : start + rows]})

    exact = connector(handler, rows=5)
    assert len(await collect(exact)) == len(packages)
    assert exact.stats.complete is True and exact.stats.expected is None
    assert exact.stats.pages == len(packages) // 5 + 1
    assert len(packages) % 5 != 0  # the last page is short: no extra request needed


async def test_count_changing_during_paging_is_not_complete(
    packages: list[dict[str, Any]],
) -> None:
    server = PagedSearch(packages[:12])

    def handler(request: httpx.Request) -> httpx.Response:
        if len(server.requests) == 1:
            server.count = 11  # a dataset was deleted while we paged
        return server(request)

    conn = connector(handler, rows=5)
    await collect(conn)
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "count changed"


async def test_short_listing_stops_on_repeated_page_and_is_not_complete() -> None:
    # datagovuk_package_search.json says count=10 but carries only 4 results: a facade
    # ignoring ``start`` serves those 4 again and again.
    result = result_of("datagovuk_package_search.json")
    server = PagedSearch(result["results"], count=result["count"], ignore_start=True)
    conn = connector(server, rows=4)
    records = await collect(conn)
    assert [r.remote_id for r in records] == [p["id"] for p in result["results"]]
    assert len(server.requests) == 2
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "repeated page"


async def test_page_cap_stops_without_completing(packages: list[dict[str, Any]]) -> None:
    server = PagedSearch(packages)
    conn = connector(server, rows=5, max_pages=2)
    records = await collect(conn)
    assert len(records) == 10
    assert len(server.requests) == 2
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "page cap"
    assert connector(server, max_pages=3, rows=5).max_pages == 3
    options: dict[str, Any] = {"max_pages": 4}
    assert connector(server, rows=5, **options).max_pages == 4


async def test_since_filter_and_incremental_sort(packages: list[dict[str, Any]]) -> None:
    server = PagedSearch(packages[:3])
    since = datetime(2024, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=-5)))
    await collect(connector(server), since)
    params = server.params(0)
    assert params["fq"] == "metadata_modified:[2024-03-01T19:30:00Z TO *]"
    assert params["sort"] == "metadata_modified asc,id asc"


async def test_organization_and_fq_options_are_combined() -> None:
    result = result_of("dadosgovbr_package_search_by_organization.json")
    org = result["results"][0]["organization"]["name"]
    server = PagedSearch(result["results"])
    conn = connector(server, organization=org, fq="res_format:CSV OR res_format:JSON")
    records = await collect(conn, datetime(2020, 1, 1, tzinfo=UTC))
    assert {r.payload["organization"]["name"] for r in records} == {org}
    assert server.params(0)["fq"] == (
        f'organization:"{org}" AND (res_format:CSV OR res_format:JSON)'
        " AND metadata_modified:[2020-01-01T00:00:00Z TO *]"
    )
    assert build_fq(organization=None, fq="  ", since=None) is None


async def test_include_private_is_sent_only_when_asked(packages: list[dict[str, Any]]) -> None:
    server = PagedSearch(packages[:2])
    await collect(connector(server, include_private=True))
    await collect(connector(server))
    assert server.params(0)["include_private"] == "true"
    assert "include_private" not in server.params(1)


async def test_success_false_mid_run_raises_and_is_not_complete(
    packages: list[dict[str, Any]],
) -> None:
    server = PagedSearch(packages, fail_on_page=3)
    conn = connector(server, rows=5)
    seen: list[RawRecord] = []
    with pytest.raises(SourceProtocolError) as caught:
        async for raw in conn.fetch():
            seen.append(raw)
    assert len(seen) == 10
    assert "page 3 of" in str(caught.value)
    assert "Search error: bad sort (Search Query Error)" in str(caught.value)
    assert conn.stats.complete is False


async def test_success_false_with_status_200_names_ckan_error() -> None:
    body = load("error_404_group_package_show_not_found_dadosgovbr.json")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    conn = connector(handler)
    with pytest.raises(SourceProtocolError) as caught:
        await collect(conn)
    expected = f"{body['error']['message']} ({body['error']['__type']})"
    assert str(caught.value) == f"package_search at {API}/package_search failed: {expected}"
    assert conn.stats.complete is False


@pytest.mark.parametrize(
    "name",
    [
        "error_404_package_show_not_found_dadosgovbr.json",
        "error_404_group_package_show_not_found_dadosgovbr.json",
    ],
)
async def test_http_404_envelopes_give_ckan_message(name: str) -> None:
    content = fixture("ckan", name).read_bytes()
    message = json.loads(content)["error"]["message"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=content, headers={"Content-Type": "application/json"})

    with pytest.raises(SourceProtocolError) as caught:
        await collect(connector(handler))
    assert str(caught.value) == (
        f"page 1 of {API}/package_search returned 404 Not Found: {message} (Not Found Error)"
    )


@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("bad_html_403_catalog-data-gov.html", 403, SourceProtocolError),
        ("bad_html_500_catalog-data-gov.html", 500, SourceUnavailable),
        ("bad_html_503_maintenance_catalog-data-gov.html", 503, SourceUnavailable),
        ("bad_html_503_maintenance_catalog-data-gov.html", 200, SourceProtocolError),
    ],
)
async def test_html_pages_name_the_page(name: str, status: int, error: type[Exception]) -> None:
    page = fixture("ckan", name).read_bytes()
    first = result_of("demo-ckan_package_search_rows3.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["start"] == "0":
            return httpx.Response(
                200,
                json={
                    "success": True,
                    "result": {"count": first["count"] + 5, "results": first["results"]},
                },
            )
        return httpx.Response(status, content=page, headers={"Content-Type": "text/html"})

    conn = connector(handler, rows=len(first["results"]))
    with pytest.raises(error) as caught:
        await collect(conn)
    assert str(caught.value).startswith(f"page 2 of {API}/package_search returned ")
    assert (f"HTML (status {status})" if status == 200 else str(status)) in str(caught.value)
    assert conn.stats.complete is False


async def test_dkan_list_result_and_bare_result() -> None:
    dkan = load("bad_dkan-hautsdefrance_package_show_french-dates.json")
    bare = {"count": 1, "results": [result_of("datagovuk_ckan29_package_show_result_only.json")]}
    for body, expected in [(dkan, dkan["result"]), (bare, bare["results"])]:
        conn = connector(lambda request, body=body: httpx.Response(200, json=body), rows=10)
        records = await collect(conn)
        assert [r.payload for r in records] == expected
        assert conn.stats.complete is True


def test_verbose_help_is_ignored() -> None:
    body = load("ckan_package_show_verbose_help_no_resources.json")
    assert len(body["help"]) > 200
    assert unwrap(body, action="package_show", url=API) == body["result"]


def test_legacy_api_v2_documents_are_decoded_from_data_dict() -> None:
    # API v2 / Solr documents carry the package as JSON text: the helper decodes it.
    body = load("legacy_api2_search_dataset_all_fields_datagovuk.json")
    found, count = search_page(unwrap(body, action="search", url=API), url=API)
    assert count == body["count"]
    assert len(found) == len(body["results"])
    for document, package in zip(body["results"], found, strict=True):
        assert package["id"] == document["id"]
        assert isinstance(package["resources"], list)
        assert package == json.loads(document["validated_data_dict"])


@pytest.mark.parametrize(
    "name",
    [
        "datagovuk_package_list.json",
        "demo-ckan_package_list.json",
        "ridl-unhcr_package_list.json",
        "datagovuk_organization_list.json",
    ],
)
async def test_name_lists_are_rejected_with_a_clear_error(name: str) -> None:
    # package_list / organization_list answer names, not packages: the connector never
    # uses them and refuses them where a package_search page was expected.
    body = load(name)
    conn = connector(lambda request: httpx.Response(200, json=body))
    with pytest.raises(SourceProtocolError, match="str items, not packages"):
        await collect(conn)
    assert as_package(body["result"][0]) is None


async def test_recorded_datasud_exchange_replays_the_search() -> None:
    transport, history = recorded_exchange("datasud_recorded_exchange_search_then_show.json")
    search_url = httpx.URL(history[0]["request"]["url"])
    base = str(search_url.copy_with(query=None)).removesuffix("/package_search")
    expected = json.loads(history[0]["response"]["body"])["result"]
    source = spec(base, organization="communaute-dagglomeration-de-gap-tallard-durance")
    conn = CkanConnector(source, httpx.AsyncClient(transport=transport))
    records = await collect(conn)
    assert [r.remote_id for r in records] == [p["id"] for p in expected["results"]]
    assert conn.stats.expected == expected["count"] and conn.stats.complete is True
    # The recorded package_show answers agree with the searched packages.
    for item in history[1:]:
        shown = json.loads(item["response"]["body"])["result"]
        assert shown["id"] in {r.remote_id for r in records}
    records_by_id = {r.remote_id: r for r in records}
    show = json.loads(history[-1]["response"]["body"])["result"]
    record = conn.normalize(records_by_id[show["id"]])
    assert record.title == {"": show["title"]}
    assert record.provenance.api_url == f"{base}/package_show?id={show['id']}"


async def test_probe_recognizes_ckan_behind_a_site_url() -> None:
    status = {
        "success": True,
        "result": {
            "site_title": "Données Québec",
            "ckan_version": "2.10.4",
            "site_url": "https://www.donneesquebec.ca",
        },
    }
    search = load("dadosgovbr_package_search_q_all.json")
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/recherche/api/3/action/status_show":
            return httpx.Response(200, json=status)
        if request.url.path == "/recherche/api/3/action/package_search":
            assert request.url.params["rows"] == "0"
            return httpx.Response(200, json=search)
        return httpx.Response(404)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        found = await CkanConnector.probe("https://www.donneesquebec.ca/recherche", client)
    assert found is not None
    assert found.platform == "ckan"
    assert found.api_url == "https://www.donneesquebec.ca/recherche/api/3/action"
    assert found.title == "Données Québec"
    assert found.dataset_count == search["result"]["count"]
    assert found.notes == ["CKAN 2.10.4"]


async def test_probe_falls_back_to_unversioned_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/action/status_show":
            return httpx.Response(200, json={"success": True, "result": {"ckan_version": "2.2"}})
        return httpx.Response(404, text="<html><title>Not found</title></html>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        found = await CkanConnector.probe("https://old.example.org", client)
    assert found is not None and found.api_url == "https://old.example.org/api/action"
    assert found.dataset_count is None


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200, content=fixture("ckan", "bad_html_403_catalog-data-gov.html").read_bytes()
        ),
        httpx.Response(503, text="down"),
        httpx.Response(200, json={"title": "an ArcGIS hub"}),
        httpx.Response(404, json=load("error_404_package_show_not_found_dadosgovbr.json")),
    ],
)
async def test_probe_returns_none_for_non_ckan_sites(response: httpx.Response) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: response)) as client:
        assert await CkanConnector.probe("https://hub.example.org", client) is None
