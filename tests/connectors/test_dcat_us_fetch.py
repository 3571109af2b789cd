"""DcatUsConnector.fetch/probe and the streaming reader, over recorded data.json files
served in chunks by MockTransport."""

from __future__ import annotations

import json
import random
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError

from connectors import http
from connectors.base import RawRecord, SourceSpec
from connectors.dcat_us import DcatUsConnector, data_json_url, iter_datasets
from connectors.dcat_us_mapping import remote_id
from connectors.errors import SourceForbidden, SourceProtocolError, SourceUnavailable
from connectors.json_stream import ArrayItems, JsonStreamError
from connectors.registry import get_connector
from harvester.seen_ids import SeenIds
from tests.paths import fixture

SITE = "https://data.example.gov"
DATA_JSON = f"{SITE}/data.json"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


def body_of(platform: str, name: str) -> bytes:
    return fixture(platform, name).read_bytes()


def chunked(data: bytes, *, seed: int = 1, low: int = 1, high: int = 4096) -> list[bytes]:
    rng = random.Random(seed)
    chunks, at = [], 0
    while at < len(data):
        size = rng.randint(low, high)
        chunks.append(data[at : at + size])
        at += size
    return chunks


async def stream(chunks: list[bytes], fail: Exception | None = None) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
    if fail is not None:
        raise fail


def serve(
    data: bytes,
    *,
    status: int = 200,
    content_type: str = "application/json",
    seed: int = 1,
    high: int = 4096,
    fail: Exception | None = None,
    length: bool = False,
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": content_type}
        if length:
            headers["content-length"] = str(len(data))
        if request.url.path != "/data.json":
            return httpx.Response(404, headers={"content-type": "text/html"}, text="<html/>")
        return httpx.Response(
            status, headers=headers, content=stream(chunked(data, seed=seed, high=high), fail)
        )

    return handler


def connector(handler: Any, url: str = SITE, **options: Any) -> DcatUsConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return DcatUsConnector(
        SourceSpec(id="src", url=url, platform="dcat_us", options=options), client
    )


async def collect(conn: DcatUsConnector, into: list[RawRecord] | None = None) -> list[RawRecord]:
    found = into if into is not None else []
    async for raw in conn.fetch():
        found.append(raw)
    return found


def test_registered_and_options() -> None:
    assert get_connector("dcat_us") is DcatUsConnector
    assert DcatUsConnector.platform == "dcat_us"
    with pytest.raises(ValidationError):
        connector(serve(b""), max_bytes=0)
    with pytest.raises(ValidationError):
        connector(serve(b""), unknown=1)


def test_data_json_url() -> None:
    assert data_json_url("https://x.gov/") == "https://x.gov/data.json"
    assert data_json_url("https://x.gov/catalog.json") == "https://x.gov/catalog.json"
    assert data_json_url("https://x.gov/Data.JSON?v=1") == "https://x.gov/Data.JSON?v=1"
    assert data_json_url("https://x.gov", "/open/data.json") == "https://x.gov/open/data.json"


GOOD = [
    ("dcat-us", "arm_data.json"),
    ("dcat-us", "cfpb_data.json"),
    ("dcat-us", "cftc_data.json"),
    ("dcat-us", "usda_data.json"),
    ("dcat-us", "usgs_long_description_data.json"),
    ("dcat-us", "bad_large-spatial_data.json"),
    ("dcat-us", "bad_missing_title.json"),
    ("dcat-us", "bad_philadelphia_data_null-modified.json"),
    ("dcat-us", "bad_oakland-county-hub_license-html.json"),
    ("dcat-us", "dcatus3_example_catalog.json"),
    ("socrata", "datajson_data-ny-gov_excerpt.json"),
    ("arcgis", "hub_datajson_ville-evian.json"),
    ("arcgis", "opendata_datajson_apur-cassini.json"),
]


@pytest.mark.parametrize(("platform", "name"), GOOD)
@pytest.mark.parametrize("high", [7, 4096])
async def test_fetch_streams_every_dataset_in_order(platform: str, name: str, high: int) -> None:
    data = body_of(platform, name)
    conn = connector(serve(data, high=high))
    records = await collect(conn)
    expected = json.loads(data)["dataset"]
    assert [r.remote_id for r in records] == [remote_id(d) for d in expected]
    assert [r.payload for r in records] == expected
    assert conn.stats.complete and conn.stats.expected == len(expected)
    assert conn.stats.bytes == len(data) and conn.stats.pages == 1


async def test_missing_title_fails_alone_in_normalize() -> None:
    conn = connector(serve(body_of("dcat-us", "bad_missing_title.json")))
    [raw] = await collect(conn)
    assert conn.stats.complete
    with pytest.raises(Exception, match="has no title") as caught:
        conn.normalize(raw)
    assert type(caught.value).__name__ == "RecordInvalid"
    assert DATA_JSON in str(caught.value)


async def test_no_dataset_key_is_a_protocol_error() -> None:
    conn = connector(serve(body_of("dcat-us", "bad_no_dataset_key.json")))
    with pytest.raises(SourceProtocolError, match=f"{DATA_JSON} has no 'dataset' list"):
        await collect(conn)
    assert not conn.stats.complete


async def test_unclosed_document_is_incomplete() -> None:
    data = body_of("dcat-us", "bad_unclosed_truncated.json")
    try:
        json.loads(data)
    except json.JSONDecodeError as error:
        line = error.lineno
    conn = connector(serve(data, high=3))
    with pytest.raises(SourceProtocolError) as caught:
        await collect(conn)
    message = str(caught.value)
    assert message.startswith(DATA_JSON) and "truncated" in message
    assert f"line {line}," in message
    assert not conn.stats.complete


async def test_invalid_json_names_the_dataset_and_position() -> None:
    data = body_of("dcat-us", "bad_cfpb_data_invalid.json")
    with pytest.raises(json.JSONDecodeError) as stdlib:
        json.loads(data)
    conn = connector(serve(data, high=50))
    with pytest.raises(SourceProtocolError) as caught:
        await collect(conn)
    message = str(caught.value)
    assert "dataset #1" in message and message.startswith(DATA_JSON)
    assert f"line {stdlib.value.lineno}, column {stdlib.value.colno}" in message
    assert not conn.stats.complete


async def test_truncated_stream_yields_what_came_before() -> None:
    data = body_of("dcat-us", "cftc_data.json")
    datasets = json.loads(data)["dataset"]
    cut = data.index(b'"cftc-dc4"')  # inside dataset #4
    conn = connector(serve(data[:cut], high=64))
    records: list[RawRecord] = []
    with pytest.raises(SourceProtocolError, match="truncated") as caught:
        await collect(conn, records)
    assert [r.remote_id for r in records] == [d["identifier"] for d in datasets[:3]]
    assert "dataset #4" in str(caught.value)
    assert not conn.stats.complete


async def test_a_connection_broken_three_times_is_unavailable() -> None:
    data = body_of("dcat-us", "cftc_data.json")
    broken = serve(data[: len(data) // 2], fail=httpx.ReadError("reset"))
    calls: list[httpx.Request] = []

    def counted(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return broken(request)

    conn = connector(counted)
    records: list[RawRecord] = []
    with pytest.raises(SourceUnavailable, match="broke off") as caught:
        await collect(conn, records)
    assert records and not conn.stats.complete and len(calls) == 3
    assert len({r.remote_id for r in records}) == len(records)
    assert conn.stats.cursor["restarts"] == 2 and "broke off 3 times" in (caught.value.detail or "")


async def test_a_connection_broken_midway_reads_the_document_again() -> None:
    """data.json is one document: when its body breaks off, it is read again from its start
    and the datasets already yielded are skipped (bytes count both streams)."""
    data = body_of("dcat-us", "cftc_data.json")
    identifiers = [d["identifier"] for d in json.loads(data)["dataset"]]
    half = len(data) // 2
    answers = [serve(data[:half], fail=httpx.ReadError("reset")), serve(data)]

    def once_broken(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)(request)

    conn = connector(once_broken)
    records = await collect(conn)
    assert [r.remote_id for r in records] == identifiers
    assert conn.stats.complete and conn.stats.cursor["restarts"] == 1
    assert conn.stats.pages == 2 and conn.stats.bytes == half + len(data)


async def test_cap_from_content_length() -> None:
    data = body_of("dcat-us", "usgs_long_description_data.json")
    conn = connector(serve(data, length=True), max_bytes=4096)
    with pytest.raises(SourceForbidden, match="exceeds 4 KiB"):
        await collect(conn)
    assert not conn.stats.complete


async def test_cap_while_streaming() -> None:
    data = body_of("arcgis", "opendata_datajson_apur-cassini.json")
    conn = connector(serve(data), max_bytes=100 * 1024)
    records: list[RawRecord] = []
    with pytest.raises(SourceForbidden, match="exceeds 100 KiB"):
        await collect(conn, records)
    assert 0 < len(records) < len(json.loads(data)["dataset"])
    assert not conn.stats.complete


async def test_html_instead_of_json() -> None:
    page = b"<!DOCTYPE html><html><head><title>Site maintenance</title></head><body/></html>"
    conn = connector(serve(page, content_type="text/html", high=10))
    with pytest.raises(SourceProtocolError, match=r"returned HTML \(status 200\)") as caught:
        await collect(conn)
    assert "Site maintenance" in (caught.value.detail or "")
    assert not conn.stats.complete


async def test_empty_body() -> None:
    conn = connector(serve(b"  \n"))
    with pytest.raises(SourceProtocolError, match="empty body"):
        await collect(conn)


async def test_retries_then_succeeds_and_404_is_final() -> None:
    data = body_of("dcat-us", "cfpb_data.json")
    calls: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503)
        return serve(data)(request)

    conn = connector(flaky)
    assert len(await collect(conn)) == 2 and len(calls) == 3 and conn.stats.complete
    missing = connector(serve(data), url=f"{SITE}/missing.json")
    with pytest.raises(SourceProtocolError, match="404"):
        await collect(missing)


async def test_repeated_identifiers_are_yielded_once() -> None:
    dataset = json.loads(body_of("dcat-us", "cfpb_data.json"))["dataset"][0]
    data = orjson.dumps({"dataset": [dataset, dataset]})
    records = await collect(connector(serve(data)))
    assert [r.remote_id for r in records] == [dataset["identifier"]]


async def test_top_level_array_is_accepted() -> None:
    found = json.loads(body_of("dcat-us", "usda_data.json"))["dataset"]
    conn = connector(serve(orjson.dumps(found), high=13))
    assert [r.payload for r in await collect(conn)] == found
    assert conn.stats.complete


async def test_collection_parents_become_series() -> None:
    conn = connector(serve(body_of("dcat-us", "collection_isPartOf_data.json")))
    records = await collect(conn)
    parents = {r.payload["isPartOf"] for r in records if "isPartOf" in r.payload}
    assert conn.stats.cursor["collections"] == sorted(parents)
    for raw in records:
        assert conn.normalize(raw).is_series == (raw.remote_id in parents)


async def test_iter_datasets_is_reusable_without_stats() -> None:
    data = body_of("arcgis", "hub_datajson_ville-evian.json")
    client = httpx.AsyncClient(transport=httpx.MockTransport(serve(data)))
    found = [raw.remote_id async for raw in iter_datasets(client, DATA_JSON)]
    assert found == [d["identifier"] for d in json.loads(data)["dataset"]]


def generated_catalog(count: int, description: int = 0) -> bytes:
    items = [
        {
            "identifier": f"ds-{i}",
            "title": f'Dataset {i} "quoted" {{braces}} [brackets] \\ back',
            "description": "d" * description,
            "keyword": ["a", "b"],
            "distribution": [{"downloadURL": f"https://x.gov/{i}.csv", "mediaType": "text/csv"}],
        }
        for i in range(count)
    ]
    return orjson.dumps(
        {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": items}
    )


def test_parser_memory_is_one_item_not_the_document() -> None:
    data = generated_catalog(20_000)
    chunks = chunked(data, seed=3, low=3, high=4096)
    parser = ArrayItems()
    seen = 0
    tracemalloc.start()
    try:
        for chunk in chunks:
            for item in parser.feed(chunk):
                assert item.value["identifier"] == f"ds-{seen}" and item.index == seen
                seen += 1
        parser.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 20_000 and parser.count == seen
    assert peak < len(data) / 50, (peak, len(data))


async def test_large_catalog_streams_with_small_memory() -> None:
    # ~1.4 KB a dataset (the recorded Philadelphia data.json averages 3 KB): what stays in
    # memory is one dataset at a time plus the identifiers kept to drop repeats.
    count = 10_000
    data = generated_catalog(count, description=1200)
    chunks = chunked(data, seed=7, low=3, high=4096)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=stream(chunks))

    conn = connector(handler)
    seen = 0
    tracemalloc.start()
    try:
        async for raw in conn.fetch():
            assert raw.remote_id == f"ds-{seen}"
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count and conn.stats.complete and conn.stats.bytes == len(data)
    assert peak < len(data) / 5, (peak, len(data))


def test_stream_parser_edge_cases() -> None:
    doc = (
        b'\xef\xbb\xbf {"title": "a\\"]}", "dataset": [ {"k": "\\\\"} , [1] , "s", 2 ], "n": null}'
    )
    for size in (1, 2, 5, len(doc)):
        parser = ArrayItems()
        items = [
            item.value for i in range(0, len(doc), size) for item in parser.feed(doc[i : i + size])
        ]
        parser.close()
        assert items == [{"k": "\\"}, [1], "s", 2]
        assert parser.header == {"title": 'a"]}', "n": None} and parser.finished
    for bad, reason in [
        (b'{"dataset": [1,]}', "expected a value"),
        (b'{"dataset": [1]} x', "expected the end of the document"),
        (b'"text"', "expected a JSON object"),
        (b'{"dataset": [1] "x": 2}', "expected ',' or '}'"),
    ]:
        parser = ArrayItems()
        with pytest.raises(JsonStreamError, match=reason):
            parser.feed(bad)
            parser.close()


async def test_probe_recognizes_a_data_json() -> None:
    data = body_of("dcat-us", "usda_data.json")
    client = httpx.AsyncClient(transport=httpx.MockTransport(serve(data)))
    result = await DcatUsConnector.probe(SITE, client)
    assert result is not None and result.platform == "dcat_us" and result.api_url == DATA_JSON
    assert result.dataset_count == len(json.loads(data)["dataset"])
    assert result.notes == ["DCAT-US 1.1"]
    v3 = body_of("dcat-us", "dcatus3_example_catalog.json")
    client = httpx.AsyncClient(transport=httpx.MockTransport(serve(v3)))
    result = await DcatUsConnector.probe(DATA_JSON, client)
    assert result is not None and result.title == json.loads(v3)["title"]


async def test_probe_rejects_other_documents() -> None:
    for data in (b'{"results": []}', b"<html><title>x</title></html>", b"{"):
        client = httpx.AsyncClient(transport=httpx.MockTransport(serve(data)))
        assert await DcatUsConnector.probe(SITE, client) is None
    client = httpx.AsyncClient(transport=httpx.MockTransport(serve(b"{}")))
    assert await DcatUsConnector.probe(f"{SITE}/other", client) is None  # 404


async def test_a_dataset_listed_twice_is_yielded_once_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The recorded CFTC feed with its second dataset listed again at the end; the run's
    own set of ids (digests) is the one the listing fills, not a set of its own."""
    document = orjson.loads(body_of("dcat-us", "cftc_data.json"))
    datasets = document["dataset"]
    document["dataset"] = [*datasets, datasets[1]]
    conn = connector(serve(orjson.dumps(document)))
    conn.seen = shared = SeenIds()
    with caplog.at_level("WARNING", logger="connectors.dcat_us"):
        raws = await collect(conn)
    assert [raw.remote_id for raw in raws] == [remote_id(d) for d in datasets]
    assert [r.getMessage().split(": ", 1)[1] for r in caplog.records] == [
        f"dataset {remote_id(datasets[1])} listed twice (line 1)"
    ]
    assert len(shared) == len(datasets) and all(remote_id(d) in shared for d in datasets)
