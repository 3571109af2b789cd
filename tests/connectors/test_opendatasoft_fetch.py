"""OpenDataSoftConnector.fetch and probe, served by httpx.MockTransport.

v1 pages are the recorded search responses; v2.1 pages are built from the documented samples
in tests/connectors/ods_samples.py (no recorded v2.1 JSON exists)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from connectors import http
from connectors.base import RawRecord, SourceSpec
from connectors.errors import SourceForbidden, SourceProtocolError, SourceUnavailable
from connectors.opendatasoft import OpenDataSoftConnector
from connectors.opendatasoft_api import (
    OFFSET_LIMIT,
    build_where,
    ods_error,
    refine_params,
    site_url,
    v21_page,
)
from connectors.registry import get_connector
from tests.connectors import ods_samples
from tests.connectors.broken_bodies import BrokenOff
from tests.paths import fixture

SITE = ods_samples.SITE
CATALOG = f"{SITE}/api/explore/v2.1/catalog/datasets"
EXPORT = f"{SITE}/api/explore/v2.1/catalog/exports/json"
V1_SEARCH = f"{SITE}/api/datasets/1.0/search/"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


def load(name: str) -> Any:
    return json.loads(fixture("opendatasoft", name).read_text(encoding="utf-8"))


def many(count: int) -> list[dict[str, Any]]:
    """``count`` distinct v2.1 datasets derived from the documented samples."""
    found = []
    for index in range(count):
        dataset = copy.deepcopy(ods_samples.DATASETS[index % len(ods_samples.DATASETS)])
        dataset["dataset_id"] = f"{dataset['dataset_id']}-{index:05d}"
        found.append(dataset)
    return found


def spec(url: str = SITE, **options: Any) -> SourceSpec:
    return SourceSpec(id="src", url=url, platform="opendatasoft", options=options)


def connector(handler: Any, url: str = SITE, max_pages: int | None = None, **options: Any):
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenDataSoftConnector(spec(url, **options), client, max_pages=max_pages)


async def collect(conn: OpenDataSoftConnector, since: datetime | None = None) -> list[RawRecord]:
    return [raw async for raw in conn.fetch(since)]


@dataclass
class Catalog:
    """A v2.1 ``catalog/datasets`` (and ``catalog/exports/json``) endpoint over ``datasets``."""

    datasets: list[dict[str, Any]]
    total_count: int | None = None
    ignore_offset: bool = False
    export: bytes | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url).startswith(EXPORT):
            body = self.export if self.export is not None else json.dumps(self.datasets).encode()
            return httpx.Response(200, content=body, headers={"content-type": "application/json"})
        if not str(request.url).startswith(CATALOG):
            return httpx.Response(404, json={"error_code": "NotFound", "message": "Not found"})
        limit = int(request.url.params.get("limit", 10))
        if limit > 100:
            return httpx.Response(400, json=ods_samples.OFFSET_ERROR)
        offset = 0 if self.ignore_offset else int(request.url.params.get("offset", 0))
        if offset + limit > OFFSET_LIMIT:
            return httpx.Response(
                400,
                json={
                    "error_code": "InvalidRESTParameterError",
                    "message": "offset + limit must be < 10000",
                },
            )
        page = ods_samples.catalog_page(self.datasets[offset : offset + limit], self.total_count)
        if self.total_count is None:
            page["total_count"] = len(self.datasets)
        return httpx.Response(200, json=page)

    def params(self, index: int) -> httpx.QueryParams:
        return self.requests[index].url.params


def test_registered_under_opendatasoft() -> None:
    assert get_connector("opendatasoft") is OpenDataSoftConnector
    assert OpenDataSoftConnector.platform == "opendatasoft"


@pytest.mark.parametrize(
    "options",
    [
        {"page_size": 101},
        {"page_size": 0},
        {"api_version": "v2"},
        {"unknown": 1},
        {"api_version": "v1", "page_size": 1001},
    ],
)
def test_options_are_validated(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OpenDataSoftConnector(spec(**options), httpx.AsyncClient())


def test_v1_accepts_bigger_pages_and_defaults() -> None:
    conn = OpenDataSoftConnector(spec(api_version="v1", page_size=1000), httpx.AsyncClient())
    assert conn.options.page_size == 1000
    default = OpenDataSoftConnector(spec(), httpx.AsyncClient()).options
    assert (default.api_version, default.page_size, default.where, default.refine) == (
        "v2.1",
        100,
        None,
        {},
    )


@pytest.mark.parametrize(
    "url",
    [
        SITE,
        f"{SITE}/",
        f"{SITE}/explore",
        f"{SITE}/api/explore/v2.1/",
        f"{SITE}/api/explore/v2.1/catalog/datasets",
        f"{SITE}/api/datasets/1.0/search/",
    ],
)
def test_site_is_found_from_any_portal_or_api_url(url: str) -> None:
    assert site_url(url) == SITE
    assert OpenDataSoftConnector(spec(url), httpx.AsyncClient()).site == SITE


def test_recorded_dcat_export_url_resolves_to_its_portal() -> None:
    exchange = load("explore_v2.1_catalog_exports_dcat_capatlantique.exchange.json")
    urls = {e["request"]["url"] for e in exchange["requests_history"]}
    assert {site_url(u) for u in urls} == {"https://data.capatlantique.fr"}


async def test_recorded_rdf_where_json_is_expected_is_a_protocol_error() -> None:
    # A source registered with its DCAT export URL gets the real RDF/XML answer: the JSON
    # catalogue reading fails with a message naming the page and what came back.
    exchange = load("explore_v2.1_catalog_exports_dcat_capatlantique.exchange.json")
    get = next(e for e in exchange["requests_history"] if e["request"]["method"] == "GET")
    headers = {"content-type": get["response"]["headers"]["Content-Type"]}
    body = get["response"]["body"].encode()
    rdf = fixture("opendatasoft", "explore_v2.1_catalog_exports_dcat_capatlantique.rdf.xml")
    assert body == rdf.read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers=headers)

    conn = connector(handler, url=get["request"]["url"])
    with pytest.raises(
        SourceProtocolError,
        match=r"page 1 of https://data\.capatlantique\.fr/"
        r"api/explore/v2\.1/catalog/datasets returned XML \(status 200\)",
    ):
        await collect(conn)
    assert conn.stats.complete is False


async def test_pages_v21_catalog_until_total_count() -> None:
    datasets = many(7)
    server = Catalog(datasets)
    conn = connector(server, page_size=3)
    records = await collect(conn)
    assert [r.remote_id for r in records] == [d["dataset_id"] for d in datasets]
    assert [r.payload for r in records] == datasets
    assert conn.stats.pages == len(server.requests) == 3
    assert conn.stats.complete is True
    assert conn.stats.expected == 7
    assert conn.stats.bytes > 0
    assert [int(server.params(i)["offset"]) for i in range(3)] == [0, 3, 6]
    first = server.params(0)
    assert first["limit"] == "3" and first["order_by"] == "dataset_id"
    assert "where" not in first and "refine" not in first
    assert str(server.requests[0].url).startswith(f"{CATALOG}?")
    assert conn.normalize(records[0]).identifier == datasets[0]["dataset_id"]


async def test_since_where_and_refine_are_combined_in_odsql() -> None:
    server = Catalog(many(2))
    since = datetime(2024, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=-5)))
    refine = {"publisher": 'Ville "d\'exemple"', "theme": "Environnement"}
    await collect(connector(server, where="records_count > 10", refine=refine), since)
    params = server.params(0)
    assert params["where"] == (
        "(records_count > 10) AND default.modified>=date'2024-03-01T19:30:00Z'"
    )
    assert params.get_list("refine") == [
        'publisher:"Ville \\"d\'exemple\\""',
        'theme:"Environnement"',
    ]
    assert build_where(None, datetime(2024, 1, 1)) == "default.modified>=date'2024-01-01T00:00:00Z'"
    assert build_where("  ", None) is None
    assert refine_params({"a": "b"}, v1=True) == [("refine.a", "b")]


async def test_an_empty_page_before_total_count_is_a_short_listing() -> None:
    server = Catalog(many(4), total_count=6)
    conn = connector(server, page_size=2)
    assert len(await collect(conn)) == 4
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "short listing"


async def test_total_count_changing_during_paging_is_not_complete() -> None:
    server = Catalog(many(6))

    def handler(request: httpx.Request) -> httpx.Response:
        response = server(request)
        if len(server.requests) == 2:  # a dataset was published while we paged
            page = json.loads(response.content)
            page["total_count"] += 1
            return httpx.Response(200, json=page)
        return response

    conn = connector(handler, page_size=2)
    await collect(conn)
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "count changed"


async def test_a_repeated_page_stops_without_completing() -> None:
    server = Catalog(many(6), ignore_offset=True)
    conn = connector(server, page_size=2)
    records = await collect(conn)
    assert len(records) == 2 and len(server.requests) == 2
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "repeated page"


async def test_page_cap_stops_without_completing() -> None:
    server = Catalog(many(9))
    conn = connector(server, page_size=2, max_pages=2)
    assert len(await collect(conn)) == 4
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "page cap"
    assert connector(server, max_pages=5).max_pages == 5
    from_options = OpenDataSoftConnector(spec(max_pages=4), httpx.AsyncClient())
    assert from_options.max_pages == 4


async def test_ods_error_bodies_name_the_page_and_the_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=ods_samples.INVALID_WHERE_ERROR)

    conn = connector(handler, where="invalid_field_name = 1")
    with pytest.raises(SourceProtocolError) as caught:
        await collect(conn)
    message = str(caught.value)
    assert message.startswith(f"page 1 of {CATALOG} returned 400 Bad Request: ")
    assert ods_samples.INVALID_WHERE_ERROR["message"] in message
    assert "(ODSQLError)" in message
    assert conn.stats.complete is False
    assert ods_error({"error": "Unknown dataset"}) == "Unknown dataset"
    assert ods_error({"error_code": "X"}) == "X" and ods_error([]) is None


async def test_server_errors_mid_run_are_unavailable_and_incomplete() -> None:
    server = Catalog(many(4))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("offset") == "2":
            return httpx.Response(503, text="busy")
        return server(request)

    conn = connector(handler, page_size=2)
    got: list[RawRecord] = []
    with pytest.raises(SourceUnavailable, match="page 2 of"):
        async for raw in conn.fetch():
            got.append(raw)
    assert len(got) == 2 and conn.stats.complete is False


def test_pages_without_results_list_are_rejected() -> None:
    with pytest.raises(SourceProtocolError, match="no 'results' list"):
        v21_page({"total_count": 3, "results": None}, url=CATALOG)
    with pytest.raises(SourceProtocolError, match="str items instead of dataset objects"):
        v21_page({"total_count": 1, "results": ["a"]}, url=CATALOG)
    wrapped = {"total_count": 1, "datasets": [{"dataset": ods_samples.TABLE_DATASET}]}
    assert v21_page(wrapped, url=CATALOG) == ([ods_samples.TABLE_DATASET], 1)


def small(count: int) -> list[dict[str, Any]]:
    """``count`` minimal v2.1 datasets (a long listing, quick to serve)."""
    return [{"dataset_id": f"d{i:05d}", "metas": {"default": {"title": "t"}}} for i in range(count)]


async def test_more_than_10000_datasets_switch_to_the_streamed_export() -> None:
    datasets = small(OFFSET_LIMIT + 1)
    server = Catalog(datasets)
    since = datetime(2024, 1, 1, tzinfo=UTC)
    conn = connector(server, refine={"theme": "Transports"})
    records = await collect(conn, since)
    assert [r.remote_id for r in records] == [d["dataset_id"] for d in datasets]
    assert conn.stats.complete is True
    assert conn.stats.cursor["mode"] == "exports/json"
    assert conn.stats.expected == len(datasets)
    assert [str(r.url).split("?")[0] for r in server.requests] == [CATALOG, EXPORT]
    export = server.params(1)
    assert export["where"] == "default.modified>=date'2024-01-01T00:00:00Z'"
    assert export["refine"] == 'theme:"Transports"' and export["order_by"] == "dataset_id"
    assert "limit" not in export and "offset" not in export


@pytest.mark.parametrize(
    ("export", "error", "match"),
    [
        (b'[{"dataset_id": "a"}, {"dataset_id": "b"', SourceProtocolError, "not a valid JSON"),
        (b'{"error_code": "X"}', SourceProtocolError, "no array of datasets"),
    ],
)
async def test_a_broken_export_is_an_error_and_incomplete(
    export: bytes, error: type[Exception], match: str
) -> None:
    server = Catalog([], total_count=OFFSET_LIMIT + 5, export=export)
    conn = connector(server)
    with pytest.raises(error, match=match):
        await collect(conn)
    assert conn.stats.complete is False


async def test_an_export_shorter_than_announced_is_not_complete() -> None:
    datasets = many(3)
    server = Catalog(datasets, total_count=OFFSET_LIMIT + 1)
    conn = connector(server)
    assert len(await collect(conn)) == 3
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "count changed"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(503, text="maintenance"), SourceUnavailable),
        (httpx.Response(403, text="forbidden"), SourceProtocolError),
        (
            httpx.Response(
                200,
                text="<html><title>Portal</title></html>",
                headers={"content-type": "text/html"},
            ),
            SourceProtocolError,
        ),
    ],
)
async def test_export_status_errors_are_classified(
    response: httpx.Response, error: type[Exception]
) -> None:
    first = ods_samples.catalog_page([], total_count=OFFSET_LIMIT + 1)

    def handler(request: httpx.Request) -> httpx.Response:
        return response if str(request.url).startswith(EXPORT) else httpx.Response(200, json=first)

    conn = connector(handler)
    with pytest.raises(error, match=f"catalogue export of {EXPORT}"):
        await collect(conn)
    assert conn.stats.complete is False


async def test_export_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors import opendatasoft_stream

    monkeypatch.setattr(opendatasoft_stream, "MAX_EXPORT_BYTES", 10)
    server = Catalog(many(2), total_count=OFFSET_LIMIT + 1)
    with pytest.raises(SourceForbidden, match="exceeds 10 bytes"):
        await collect(connector(server))


@dataclass
class FlakyExport:
    """:class:`Catalog` (a count past 10 000, so the connector streams the export) whose
    export answers ``failures`` in turn (a status, or ``"cut"``) before answering whole."""

    datasets: list[dict[str, Any]]
    failures: list[int | str]
    exports: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not str(request.url).startswith(EXPORT):
            return Catalog(self.datasets, total_count=OFFSET_LIMIT + 1)(request)
        self.exports += 1
        body = json.dumps(self.datasets).encode()
        failure = self.failures.pop(0) if self.failures else None
        if failure == "cut":
            cut = body.index(b"}, {", len(body) // 2) + 3  # after about half the datasets
            return httpx.Response(200, stream=BrokenOff(body, cut))
        if isinstance(failure, int):
            return httpx.Response(failure, text="busy", headers={"retry-after": "2"})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


async def test_an_export_that_breaks_off_is_streamed_again(waits: list[float]) -> None:
    """A long export whose connection drops midway is read again from its start: every
    dataset once, in order, and the listing complete."""
    datasets = small(OFFSET_LIMIT + 1)
    server = FlakyExport(datasets, ["cut", "cut"])
    conn = connector(server)
    records = await collect(conn)
    assert [r.remote_id for r in records] == [d["dataset_id"] for d in datasets]
    assert conn.stats.complete is True and conn.stats.cursor["restarts"] == 2
    assert server.exports == 3 and len(waits) == 2
    assert conn.stats.cursor["exported"] == len(datasets)


async def test_an_export_that_always_breaks_off_fails_incomplete(waits: list[float]) -> None:
    datasets = small(OFFSET_LIMIT + 1)
    server = FlakyExport(datasets, ["cut"] * 5)
    conn = connector(server)
    got: list[RawRecord] = []
    with pytest.raises(SourceUnavailable, match="broke off"):
        async for raw in conn.fetch():
            got.append(raw)
    assert server.exports == 3 and conn.stats.complete is False
    assert 0 < len(got) < len(datasets)
    assert len({r.remote_id for r in got}) == len(got)


async def test_a_busy_export_is_retried_before_it_starts(waits: list[float]) -> None:
    datasets = many(3)
    server = FlakyExport(datasets, [503, 429])
    conn = connector(server)
    records = await collect(conn)
    assert [r.remote_id for r in records] == [d["dataset_id"] for d in datasets]
    assert server.exports == 3 and waits == [2.0, 2.0]
    assert "restarts" not in conn.stats.cursor


async def test_an_export_that_never_starts_is_not_streamed_again(waits: list[float]) -> None:
    server = FlakyExport(many(3), [503] * 10)
    conn = connector(server)
    with pytest.raises(SourceUnavailable, match=r"catalogue export of .* returned 503") as caught:
        await collect(conn)
    assert "after 4 attempts" in (caught.value.detail or "")
    assert server.exports == 4 and conn.stats.complete is False


@dataclass
class V1Search:
    """The v1 ``/api/datasets/1.0/search/`` endpoint over recorded dataset objects."""

    datasets: list[dict[str, Any]]
    nhits: int | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not str(request.url).startswith(V1_SEARCH):
            return httpx.Response(404, json={"error": "Unknown API"})
        start, rows = int(request.url.params["start"]), int(request.url.params["rows"])
        nhits = len(self.datasets) if self.nhits is None else self.nhits
        return httpx.Response(
            200,
            json={
                "nhits": nhits,
                "parameters": {"rows": rows, "start": start},
                "datasets": self.datasets[start : start + rows],
            },
        )


async def test_v1_search_pages_the_recorded_datasets() -> None:
    datasets = [
        *load("v1_datasets_search_etalab-sandbox.json")["datasets"],
        *load("v1_datasets_search_no-records.json")["datasets"],
    ]
    server = V1Search(datasets)
    since = datetime(2024, 5, 2, 23, 0, tzinfo=timezone(timedelta(hours=-2)))
    conn = connector(
        server, api_version="v1", page_size=4, where="publisher:test", refine={"language": "en"}
    )
    records = await collect(conn, since)
    assert [r.remote_id for r in records] == [d["datasetid"] for d in datasets]
    assert conn.stats.complete is True and conn.stats.pages == 2
    first = server.requests[0].url.params
    assert (first["rows"], first["start"], first["sort"]) == ("4", "0", "-modified")
    assert first["interopmetas"] == "true"
    assert first["q"] == "(publisher:test) AND (modified>=2024/05/03)"
    assert first["refine.language"] == "en"
    record = conn.normalize(records[0])
    assert record.provenance.api_url == f"{SITE}/api/datasets/1.0/{datasets[0]['datasetid']}/"


async def test_v1_recorded_no_records_search_is_complete() -> None:
    body = load("v1_datasets_search_no-records.json")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    conn = connector(handler, api_version="v1", page_size=10)
    records = await collect(conn)
    assert [r.remote_id for r in records] == [d["datasetid"] for d in body["datasets"]]
    assert conn.stats.expected == body["nhits"] and conn.stats.complete is True
    assert all(not any(d.api_access for d in conn.normalize(r).distributions) for r in records)


async def test_v1_stops_incomplete_at_the_offset_limit() -> None:
    datasets = [{"datasetid": f"d{i:05d}", "metas": {"title": "t"}} for i in range(OFFSET_LIMIT)]
    server = V1Search(datasets, nhits=OFFSET_LIMIT + 50)
    conn = connector(server, api_version="v1", page_size=1000)
    records = await collect(conn)
    assert len(records) == OFFSET_LIMIT and len(server.requests) == 10
    assert conn.stats.complete is False
    assert conn.stats.cursor["stopped"] == "offset limit"


async def test_probe_reads_total_count_from_v21() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if str(request.url).startswith(CATALOG):
            return httpx.Response(200, json=ods_samples.catalog_page([], total_count=412))
        return httpx.Response(404)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    result = await OpenDataSoftConnector.probe(f"{SITE}/explore/", client)
    assert result is not None
    assert (result.platform, result.dataset_count) == ("opendatasoft", 412)
    assert result.api_url == f"{SITE}/api/explore/v2.1"
    assert seen[0].url.params["limit"] == "0" and len(seen) == 1


async def test_probe_falls_back_to_v1_search() -> None:
    body = load("v1_datasets_search_etalab-sandbox.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(V1_SEARCH):
            assert request.url.params["rows"] == "0"
            return httpx.Response(200, json={**body, "datasets": []})
        return httpx.Response(404, text="<html><title>Not found</title></html>")

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    result = await OpenDataSoftConnector.probe(SITE, client)
    assert result is not None
    assert result.dataset_count == body["nhits"]
    assert result.api_url == f"{SITE}/api/datasets/1.0"
    assert "v1" in result.notes[0]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200, text="<html><title>Welcome</title></html>", headers={"content-type": "text/html"}
        ),
        httpx.Response(200, json={"success": True, "result": {"count": 3, "results": []}}),
        httpx.Response(200, json={"total_count": "3", "results": []}),
        httpx.Response(503),
    ],
)
async def test_probe_returns_none_for_other_sites(response: httpx.Response) -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: response))
    assert await OpenDataSoftConnector.probe(SITE, client) is None


def recorded_dcat_exchange() -> tuple[dict[str, Any], bytes, str]:
    """The recorded GET of the capatlantique DCAT export: request, body, Content-Type."""
    exchange = load("explore_v2.1_catalog_exports_dcat_capatlantique.exchange.json")
    get = next(e for e in exchange["requests_history"] if e["request"]["method"] == "GET")
    body = fixture("opendatasoft", "explore_v2.1_catalog_exports_dcat_capatlantique.rdf.xml")
    assert get["response"]["body"].encode() == body.read_bytes()
    return get, body.read_bytes(), get["response"]["headers"]["Content-Type"]


async def test_dcat_export_harvests_the_recorded_capatlantique_export() -> None:
    get, body, content_type = recorded_dcat_exchange()
    site = "https://data.capatlantique.fr"
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    recorded = httpx.URL(get["request"]["url"])
    where = recorded.params["where"]  # publisher="CCAS Guérande"
    conn = connector(handler, url=site, use_dcat_export=True, where=where)
    since = datetime(2025, 7, 1, tzinfo=UTC)
    records = await collect(conn, since)
    (request,) = requests
    assert request.url.path == recorded.path.rstrip("/")
    assert request.url.params["where"] == (
        f"({where}) AND default.modified>=date'2025-07-01T00:00:00Z'"
    )
    assert "order_by" not in request.url.params
    assert conn.stats.complete is True and conn.stats.expected == len(records) == 1
    assert conn.stats.cursor["mode"] == "exports/dcat" and conn.stats.bytes == len(body)

    dataset_id = "264400516_arretes_ccas_guerande"
    assert records[0].remote_id == dataset_id
    record = conn.normalize(records[0])
    assert record.provenance.remote_id == dataset_id
    assert record.provenance.platform == "opendatasoft"
    assert record.landing_page == f"{site}/explore/dataset/{dataset_id}/"
    assert record.title == {"fr": "Arrêtés du CCAS de Guérande"}
    assert record.publisher is not None and record.publisher.name == {"fr": "CCAS Guérande"}
    downloads = [d.download_url for d in record.distributions if not d.api_access]
    base = f"{site}/api/explore/v2.1/catalog/datasets/{dataset_id}"
    assert sorted(downloads) == [f"{base}/exports/csv?use_labels=true", f"{base}/exports/json"]
    (api,) = [d for d in record.distributions if d.api_access]
    assert api.endpoint_url == f"{base}/records"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
            SourceProtocolError,
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&a;</rdf:RDF>',
            SourceForbidden,
        ),
    ],
)
async def test_dcat_export_bad_documents_fail_incomplete(
    body: bytes, error: type[Exception]
) -> None:
    _, _, content_type = recorded_dcat_exchange()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    conn = connector(handler, use_dcat_export=True)
    with pytest.raises(error):
        await collect(conn)
    assert conn.stats.complete is False


async def test_an_empty_dcat_export_is_not_complete() -> None:
    _, _, content_type = recorded_dcat_exchange()
    empty = (
        b'<?xml version="1.0"?><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=empty, headers={"content-type": content_type})

    conn = connector(handler, use_dcat_export=True)
    assert await collect(conn) == []
    assert conn.stats.complete is False and conn.stats.cursor["stopped"] == "empty export"


def test_dcat_export_needs_v21() -> None:
    with pytest.raises(ValidationError, match=r"use_dcat_export needs api_version v2\.1"):
        OpenDataSoftConnector(spec(use_dcat_export=True, api_version="v1"), httpx.AsyncClient())
