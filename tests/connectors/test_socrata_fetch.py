"""SocrataConnector.fetch and probe over recorded Socrata responses served by MockTransport."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from catalog.dates import parse_date
from connectors import http
from connectors.base import RawRecord, SourceSpec
from connectors.errors import SourceProtocolError, SourceUnavailable
from connectors.registry import get_connector
from connectors.socrata import SocrataConnector
from connectors.socrata_api import catalog_page, socrata_error, soda_schema, soda_url
from connectors.socrata_mapping import DEFAULT_ONLY
from tests.connectors.socrata_replay import (
    DISCOVERY,
    Catalog,
    discovery_results,
    load,
    raw_http,
    with_ids,
)

SITE = "https://data.example.gov"
DOMAIN = "data.example.gov"
API = f"{SITE}/api/catalog/v1"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


def spec(url: str = SITE, **options: Any) -> SourceSpec:
    return SourceSpec(id="src", url=url, platform="socrata", options=options)


def connector(handler: Any, url: str = SITE, **options: Any) -> SocrataConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return SocrataConnector(spec(url, **options), client)


async def collect(conn: SocrataConnector, since: datetime | None = None) -> list[RawRecord]:
    return [raw async for raw in conn.fetch(since)]


def ids_of(results: list[dict[str, Any]]) -> list[str]:
    return [r["resource"]["id"] for r in results]


def test_registered_under_socrata() -> None:
    assert get_connector("socrata") is SocrataConnector
    assert SocrataConnector.platform == "socrata"


def test_options_are_validated_and_domain_defaults_to_the_host() -> None:
    with pytest.raises(ValidationError):
        SocrataConnector(spec(page_size=0), httpx.AsyncClient())
    with pytest.raises(ValidationError):
        SocrataConnector(spec(only=[]), httpx.AsyncClient())
    with pytest.raises(ValidationError):
        SocrataConnector(spec(unknown=True), httpx.AsyncClient())
    conn = SocrataConnector(spec(f"{SITE}/browse?q=x"), httpx.AsyncClient())
    assert conn.domain == DOMAIN and conn.api_url == API
    assert conn.options.only == list(DEFAULT_ONLY)
    shared = SocrataConnector(
        spec("https://api.us.socrata.com/api/catalog/v1", domain="HTTPS://Data.NY.gov/"),
        httpx.AsyncClient(),
    )
    assert shared.domain == "data.ny.gov"
    assert shared.api_url == "https://api.us.socrata.com/api/catalog/v1"


async def test_scroll_paging_enumerates_in_id_order_and_completes() -> None:
    results = discovery_results()
    server = Catalog(results)
    conn = connector(server, page_size=3)
    records = await collect(conn)
    expected = sorted(ids_of(results))
    assert [r.remote_id for r in records] == expected
    by_id = {r["resource"]["id"]: r for r in results}
    assert all(r.payload == by_id[r.remote_id] for r in records)
    pages = math.ceil(len(results) / 3)
    assert conn.stats.pages == len(server.requests) == pages
    assert conn.stats.complete is True
    assert conn.stats.expected == len(results)
    assert conn.stats.bytes > 0
    sent = server.catalog_requests()
    assert [p["scroll_id"] for p in sent] == ["", expected[2], expected[5]]
    first = sent[0]
    assert first["domains"] == first["search_context"] == DOMAIN
    assert first["only"] == ",".join(DEFAULT_ONLY)
    assert first["limit"] == "3"
    assert "offset" not in first and "order" not in first and "provenance" not in first
    assert conn.stats.cursor["scroll_id"] == expected[-1]


async def test_a_scroll_reads_to_its_end_when_an_asset_is_deleted_meanwhile() -> None:
    # resultSetSize drops with the deletions: counting the assets already listed against it
    # ended the scroll a page early, "complete", and that page's assets would be withdrawn.
    results = with_ids(discovery_results(), 9)
    server = Catalog(results)

    def handler(request: httpx.Request) -> httpx.Response:
        if len(server.requests) == 1:
            server.results = results[3:]  # the first page's assets, listed, are deleted
        return server(request)

    conn = connector(handler, page_size=3)
    records = await collect(conn)
    assert [r.remote_id for r in records] == ids_of(results)
    assert conn.stats.complete is True
    assert [p["scroll_id"] for p in server.catalog_requests()][-1] == ids_of(results)[-1]


async def test_recorded_page_with_a_huge_result_set_is_a_short_listing() -> None:
    # The recorded page carries 7 results of resultSetSize 150680: when the scroll runs
    # dry before that, nothing may be withdrawn.
    body = load(DISCOVERY)
    server = Catalog(body["results"], size=body["resultSetSize"])
    conn = connector(server, page_size=100, official_only=True)
    records = await collect(conn)
    assert len(records) == len(body["results"])
    assert conn.stats.expected == body["resultSetSize"]
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "short listing"
    assert server.catalog_requests()[0]["provenance"] == "official"


async def test_a_server_ignoring_scroll_id_stops_without_completing() -> None:
    # The recorded page is in relevance order, not id order: scrolling from its last id
    # would skip assets, so paging stops at the first page.
    results = discovery_results()
    assert ids_of(results) != sorted(ids_of(results))
    server = Catalog(results, ignore_paging=True, size=len(results) + 1)
    conn = connector(server, page_size=len(results))
    records = await collect(conn)
    assert records == []
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "unordered scroll page"


async def test_offset_paging_until_result_set_size() -> None:
    results = with_ids(discovery_results(), 23)
    server = Catalog(results)
    conn = connector(server, paging="offset", page_size=10)
    records = await collect(conn)
    assert [r.remote_id for r in records] == ids_of(results)
    assert [p["offset"] for p in server.catalog_requests()] == ["0", "10", "20"]
    assert all("scroll_id" not in p for p in server.catalog_requests())
    assert conn.stats.complete is True
    assert conn.stats.cursor["offset"] == 23


async def test_offset_paging_stops_at_the_api_cap() -> None:
    results = with_ids(discovery_results(), 12)
    server = Catalog(results, size=20_000, ignore_paging=False)

    def handler(request: httpx.Request) -> httpx.Response:
        # A deep catalogue: every page full, ids made from the offset.
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        server.requests.append(request)
        page = with_ids(results, offset + limit)[offset:]
        return httpx.Response(200, json={"results": page, "resultSetSize": 20_000})

    conn = connector(handler, paging="offset", page_size=4_000)
    records = await collect(conn)
    assert [p["limit"] for p in server.catalog_requests()] == ["4000", "4000", "2000"]
    assert len(records) == 10_000
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "offset cap"


async def test_offset_paging_with_a_changing_size_is_not_complete() -> None:
    results = with_ids(discovery_results(), 9)
    server = Catalog(results)

    def handler(request: httpx.Request) -> httpx.Response:
        if len(server.requests) == 1:
            server.size = 8  # an asset was deleted while we paged
        return server(request)

    conn = connector(handler, paging="offset", page_size=5)
    await collect(conn)
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "resultSetSize changed"


async def test_offset_paging_on_a_repeated_page_is_not_complete() -> None:
    results = with_ids(discovery_results(), 9)
    server = Catalog(results, ignore_paging=True)
    conn = connector(server, paging="offset", page_size=5)
    assert len(await collect(conn)) == 5
    assert len(server.requests) == 2
    assert conn.stats.cursor["stopped"] == "repeated page"
    assert conn.stats.complete is False


async def test_page_cap_stops_without_completing() -> None:
    server = Catalog(discovery_results())
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    conn = SocrataConnector(spec(page_size=2), client, max_pages=2)
    assert len(await collect(conn)) == 4
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "page cap"
    assert connector(server, max_pages=5).max_pages == 5


def _updated(result: dict[str, Any]) -> datetime:
    value = parse_date(result["resource"]["updatedAt"])
    assert isinstance(value, datetime)
    return value


async def test_since_orders_by_update_and_stops_at_older_assets() -> None:
    results = discovery_results()
    since = datetime(2018, 1, 1, tzinfo=UTC)
    changed = sorted((r for r in results if _updated(r) >= since), key=_updated, reverse=True)
    assert 0 < len(changed) < len(results)
    server = Catalog(results)
    conn = connector(server, page_size=2)
    records = await collect(conn, since)
    assert [r.remote_id for r in records] == ids_of(changed)
    sent = server.catalog_requests()
    assert all(p["order"] == "updatedAt DESC" and "scroll_id" not in p for p in sent)
    assert len(sent) == len(changed) // 2 + 1  # stopped at the first older asset
    assert conn.stats.complete is True


async def test_since_with_unsorted_answers_reads_the_whole_listing() -> None:
    results = discovery_results()
    since = datetime(2018, 1, 1)  # naive: taken as UTC
    changed = {r["resource"]["id"] for r in results if _updated(r) >= since.replace(tzinfo=UTC)}
    server = Catalog(results, ignore_order=True)
    conn = connector(server, page_size=2)
    records = await collect(conn, since)
    assert {r.remote_id for r in records} == changed
    assert len(server.requests) == math.ceil(len(results) / 2)
    assert conn.stats.complete is True


async def test_403_not_logged_in_names_the_page_and_socrata_message() -> None:
    body = load("error_403_not_logged_in.json")
    conn = connector(lambda request: httpx.Response(403, json=body))
    with pytest.raises(SourceProtocolError) as caught:
        await collect(conn)
    message = str(caught.value)
    assert message.startswith(f"page 1 of {API} returned 403 Forbidden")
    assert message.endswith(body["message"])
    assert conn.stats.complete is False


async def test_an_error_body_with_status_200_is_a_protocol_error() -> None:
    body = load("error_403_not_logged_in.json")
    conn = connector(lambda request: httpx.Response(200, json=body))
    with pytest.raises(SourceProtocolError, match=body["message"]):
        await collect(conn)
    with pytest.raises(SourceProtocolError, match="no Discovery API results list"):
        catalog_page({"resultSetSize": 3}, url=API)
    with pytest.raises(SourceProtocolError, match="str results"):
        catalog_page({"results": ["abcd-1234"]}, url=API)


async def test_raw_500_is_source_unavailable_with_socrata_message() -> None:
    recorded = raw_http("raw_http_500_internal_error.http")
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return recorded.response()

    with pytest.raises(SourceUnavailable) as caught:
        await collect(connector(handler))
    said = json.loads(recorded.body)["message"]
    assert caught.value.status == recorded.status == 500
    assert str(caught.value).endswith(f"returned 500 Internal Server Error: {said}")
    assert len(calls) == 1  # 500 is not retried


async def test_raw_200_with_empty_body_is_a_protocol_error() -> None:
    recorded = raw_http("raw_http_200_empty_body.http")
    assert recorded.status == 200 and recorded.body.strip() == b""
    with pytest.raises(SourceProtocolError, match="empty body"):
        await collect(connector(lambda request: recorded.response()))


async def test_raw_404_dataset_missing_gives_the_code_and_message() -> None:
    recorded = raw_http("raw_http_404_dataset_missing.http")
    body = json.loads(recorded.body)
    with pytest.raises(SourceProtocolError) as caught:
        await collect(connector(lambda request: recorded.response()))
    assert str(caught.value).endswith(f"404 Not Found: {body['message']} ({body['code']})")


def test_socrata_error_bodies_are_described() -> None:
    missing = load("error_404_dataset_missing_soda.json")
    view = load("error_404_view_not_found.json")
    assert socrata_error(missing) == f"{missing['message']} ({missing['code']})"
    assert socrata_error(view) == f"{view['message']} ({view['code']})"
    assert (
        socrata_error(load("error_403_not_logged_in.json"))
        == (load("error_403_not_logged_in.json")["message"])
    )
    assert socrata_error(load(DISCOVERY)) is None


def _seattle_asset(view: dict[str, Any]) -> dict[str, Any]:
    """A Discovery result for a recorded view (shape of the recorded Discovery page)."""
    result = json.loads(json.dumps(discovery_results()[0]))
    result["resource"].update(id=view["id"], name=view["name"])
    result["metadata"] = {"domain": "data.seattle.gov"}
    return result


async def test_enrich_views_attaches_each_view_with_bounded_concurrency() -> None:
    names = (
        "views_seattle_3k2p-39jp_police-911.json",
        "views_seattle_gza6-uqxz_private-schools.json",
        "views_seattle_2tje-83f6_filtered-view.json",
    )
    views = {load(n)["id"]: load(n) for n in names}
    missing = _seattle_asset({"id": "miss-0001", "name": "Gone"})
    results = [_seattle_asset(v) for v in views.values()] + [missing]
    server = Catalog(results, views=views)
    active = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0)
        active -= 1
        return server(request)

    conn = connector(handler, enrich_views=True, views_concurrency=2, page_size=10)
    records = {r.remote_id: r for r in await collect(conn)}
    assert set(records) == {*views, "miss-0001"}
    for key, view in views.items():
        assert records[key].payload["view"] == view
    assert "view" not in records["miss-0001"].payload  # 404 not_found: left as listed
    assert conn.stats.cursor["views_failed"] == 1
    assert conn.stats.complete is True
    view_paths = sorted(r.url.path for r in server.requests if r.url.path.startswith("/api/v"))
    assert view_paths == sorted(f"/api/views/{k}.json" for k in [*views, "miss-0001"])
    assert all(r.url.host == "data.seattle.gov" for r in server.requests if "views" in r.url.path)
    assert peak == 2  # views_concurrency requests at a time


async def test_without_enrich_views_no_view_is_requested() -> None:
    server = Catalog(discovery_results())
    await collect(connector(server))
    assert all(r.url.path == "/api/catalog/v1" for r in server.requests)


async def test_probe_recognizes_the_discovery_api() -> None:
    body = load(DISCOVERY)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={**body, "results": []})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    result = await SocrataConnector.probe(f"{SITE}/browse", client)
    assert result is not None
    assert result.platform == "socrata"
    assert result.api_url == API
    assert result.dataset_count == body["resultSetSize"]
    params = seen[0].url.params
    assert params["domains"] == params["search_context"] == DOMAIN
    assert params["limit"] == "0"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json=load("error_404_dataset_missing_soda.json")),
        httpx.Response(403, json=load("error_403_not_logged_in.json")),
        httpx.Response(200, json={"success": True, "result": {"count": 3, "results": []}}),
        httpx.Response(200, json={"results": [], "resultSetSize": "many"}),
        httpx.Response(200, text="<html><title>Portal</title></html>"),
    ],
)
async def test_probe_says_no_to_other_answers(response: httpx.Response) -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: response))
    assert await SocrataConnector.probe(SITE, client) is None


async def test_soda_rows_headers_give_the_column_schema() -> None:
    recorded = raw_http("raw_http_200_soda_rows_with_x-soda2-headers.http")
    url = soda_url("soda.demo.socrata.com", "earthquakes")
    assert url == "https://soda.demo.socrata.com/resource/earthquakes.json"  # as recorded
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: recorded.response()))
    response = await client.get(url, params={"$limit": 50})
    schema = soda_schema(response.headers)
    headers = dict((k.lower(), v) for k, v in recorded.headers)
    fields = json.loads(headers["x-soda2-fields"])
    types = json.loads(headers["x-soda2-types"])
    assert schema == {f: t for f, t in zip(fields, types, strict=True) if not f.startswith(":")}
    rows = response.json()
    assert rows and all(set(row) <= set(schema) for row in rows)
    assert soda_schema({}) == {}
    assert soda_schema({"x-soda2-fields": '["a"]', "x-soda2-types": '["text","number"]'}) == {}
    assert soda_schema({"x-soda2-fields": "[not json", "x-soda2-types": "[]"}) == {}


def test_soda_endpoint_matches_the_recorded_rows_page_and_view_columns() -> None:
    # soda_resource_seattle_gza6-uqxz_page.json was fetched from
    # https://data.seattle.gov/resource/gza6-uqxz.json; its rows use the view's field names.
    view = load("views_seattle_gza6-uqxz_private-schools.json")
    rows = load("soda_resource_seattle_gza6-uqxz_page.json")
    assert soda_url("data.seattle.gov", view["id"]) == (
        "https://data.seattle.gov/resource/gza6-uqxz.json"
    )
    fields = {c["fieldName"] for c in view["columns"]}
    assert rows and all(set(row) <= fields for row in rows)
