"""connectors.http.get_json: status classes, retries, HTML, caps, bad JSON."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest

from connectors import http
from connectors.errors import SourceForbidden, SourceProtocolError, SourceUnavailable
from connectors.http import backoff, excerpt, get_json, parse_retry_after
from tests.paths import fixture

URL = "https://portal.example.org/api/3/action/package_search"


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def html_fixture(name: str) -> bytes:
    return fixture("ckan", name).read_bytes()


async def test_returns_parsed_json_and_sends_params(waits: list[float]) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "result": {"count": 3}})

    async with client_for(handler) as client:
        body = await get_json(client, URL, params={"rows": 5, "q": "*:*"})
    assert body == {"success": True, "result": {"count": 3}}
    assert seen[0].url.params["rows"] == "5"
    assert seen[0].headers["accept"] == "application/json"
    assert waits == []


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retryable_statuses_are_retried_then_succeed(status: int, waits: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            return httpx.Response(status, text="busy")
        return httpx.Response(200, json=[1, 2])

    async with client_for(handler) as client:
        assert await get_json(client, URL) == [1, 2]
    assert calls == 3
    assert len(waits) == 2


async def test_retryable_status_gives_up_with_source_unavailable(waits: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(
            503, content=html_fixture("bad_html_503_maintenance_catalog-data-gov.html")
        )

    async with client_for(handler) as client:
        with pytest.raises(SourceUnavailable) as caught:
            await get_json(client, URL, attempts=3, what="page 2")
    assert calls == 3
    assert len(waits) == 2
    error = caught.value
    assert error.status == 503
    assert str(error).startswith(f"page 2 of {URL} returned 503 Service Unavailable")
    assert error.detail is not None and "Site Maintenance" in error.detail


async def test_retry_after_seconds_is_honoured(waits: list[float]) -> None:
    responses = iter(
        [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={})]
    )
    async with client_for(lambda request: next(responses)) as client:
        await get_json(client, URL)
    assert waits == [7.0]


async def test_retry_after_is_capped_and_reported(waits: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "86400"})

    async with client_for(handler) as client:
        with pytest.raises(SourceUnavailable) as caught:
            await get_json(client, URL, attempts=2)
    assert waits == [http.RETRY_AFTER_MAX]
    assert caught.value.retry_after == http.RETRY_AFTER_MAX
    assert caught.value.status == 429


def test_retry_after_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30.0)
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_exponentially_with_bounded_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "RETRY_WAIT", 2.0)
    for attempt, base in [(1, 2.0), (2, 4.0), (3, 8.0)]:
        wait = backoff(attempt)
        assert base <= wait <= base * 1.1
    assert backoff(30) <= http.RETRY_WAIT_MAX * 1.1
    assert backoff(3, retry_after=5.0) == 5.0


async def test_connection_errors_are_retried(waits: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls == 2:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"ok": True})

    async with client_for(handler) as client:
        assert await get_json(client, URL) == {"ok": True}
    assert calls == 3


async def test_timeouts_end_as_source_unavailable(waits: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    async with client_for(handler) as client:
        with pytest.raises(SourceUnavailable, match="timed out"):
            await get_json(client, URL, attempts=2)
    assert len(waits) == 1


async def test_500_is_unavailable_without_retry(waits: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500, content=html_fixture("bad_html_500_catalog-data-gov.html"))

    async with client_for(handler) as client:
        with pytest.raises(SourceUnavailable) as caught:
            await get_json(client, URL, what="page 1")
    assert calls == 1
    assert waits == []
    assert caught.value.status == 500
    assert URL in str(caught.value) and "500 Internal Server Error" in str(caught.value)
    assert caught.value.detail is not None and "Site unavailable" in caught.value.detail


async def test_403_html_is_a_protocol_error_naming_url_and_status(waits: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            content=html_fixture("bad_html_403_catalog-data-gov.html"),
            headers={"Content-Type": "text/html"},
        )

    async with client_for(handler) as client:
        with pytest.raises(SourceProtocolError) as caught:
            await get_json(client, URL, what="page 4")
    assert str(caught.value) == f"page 4 of {URL} returned 403 Forbidden"
    assert caught.value.detail is not None and "Site Forbidden" in caught.value.detail
    assert waits == []


async def test_404_json_error_uses_the_platform_message() -> None:
    body = fixture("ckan", "error_404_package_show_not_found_dadosgovbr.json").read_bytes()
    message = orjson.loads(body)["error"]["message"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=body, headers={"Content-Type": "application/json"})

    async with client_for(handler) as client:
        with pytest.raises(SourceProtocolError) as caught:
            await get_json(client, URL, describe_error=lambda data: data["error"]["message"])
    assert str(caught.value) == f"{URL} returned 404 Not Found: {message}"


@pytest.mark.parametrize(
    "name",
    [
        "bad_html_403_catalog-data-gov.html",
        "bad_html_500_catalog-data-gov.html",
        "bad_html_503_maintenance_catalog-data-gov.html",
    ],
)
async def test_html_with_status_200_is_a_protocol_error(name: str) -> None:
    page = html_fixture(name)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=page, headers={"Content-Type": "text/html"})

    async with client_for(handler) as client:
        with pytest.raises(SourceProtocolError) as caught:
            await get_json(client, URL, what="page 3")
    assert str(caught.value) == f"page 3 of {URL} returned HTML (status 200) instead of JSON"
    assert caught.value.detail is not None and excerpt(page) in caught.value.detail
    assert excerpt(page).startswith("Site ")


async def test_xml_where_json_was_expected_is_named() -> None:
    content = b'<?xml version="1.0"?><rdf:RDF><title>Catalog</title></rdf:RDF>'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"Content-Type": "application/rdf+xml"})

    async with client_for(handler) as client:
        with pytest.raises(SourceProtocolError, match=r"returned XML \(status 200\)"):
            await get_json(client, URL)


async def test_empty_body_is_a_protocol_error() -> None:
    async with client_for(lambda request: httpx.Response(200, content=b"  ")) as client:
        with pytest.raises(SourceProtocolError, match="empty body"):
            await get_json(client, URL)


async def test_invalid_json_names_the_position() -> None:
    content = b'{"success": true, "result": [1, 2,, 3]}'
    async with client_for(lambda request: httpx.Response(200, content=content)) as client:
        with pytest.raises(SourceProtocolError) as caught:
            await get_json(client, URL)
    assert "invalid JSON" in str(caught.value)
    assert f"position {content.index(b',,') + 1}" in str(caught.value)


async def test_content_length_over_cap_is_refused_before_reading() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" + b"1," * 600 + b"1]")

    async with client_for(handler) as client:
        with pytest.raises(SourceForbidden) as caught:
            await get_json(client, URL, max_bytes=1024)
    assert str(caught.value) == f"response from {URL} exceeds 1 KiB"
    assert caught.value.detail is not None and "Content-Length" in caught.value.detail


async def test_decompressed_size_is_capped() -> None:
    raw = b"[" + b"0," * 50_000 + b"0]"
    packed = gzip.compress(raw)
    assert len(packed) < 2048 < len(raw)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=packed, headers={"Content-Encoding": "gzip"})

    async with client_for(handler) as client:
        with pytest.raises(SourceForbidden, match="exceeds 64 KiB"):
            await get_json(client, URL, max_bytes=64 * 1024)
        assert await get_json(client, URL, max_bytes=len(raw)) == [0] * 50_001


def test_default_cap_message() -> None:
    assert http.DEFAULT_MAX_BYTES == 64 * 1024 * 1024
    assert http.size_text(http.DEFAULT_MAX_BYTES) == "64 MiB"
    assert http.size_text(512 * 1024) == "512 KiB"
    assert http.size_text(1000) == "1000 bytes"


async def test_transport_refusals_pass_through_untouched(waits: list[float]) -> None:
    refusal = SourceForbidden("http://10.0.0.1/ resolves to a private address")

    def handler(request: httpx.Request) -> httpx.Response:
        raise refusal

    async with client_for(handler) as client:
        with pytest.raises(SourceForbidden) as caught:
            await get_json(client, URL)
    assert caught.value is refusal
    assert waits == []


async def test_bytes_downloaded_are_reported() -> None:
    content = orjson.dumps({"result": list(range(100))})
    sizes: list[int] = []
    async with client_for(lambda request: httpx.Response(200, content=content)) as client:
        await get_json(client, URL, on_body=sizes.append)
    assert sizes == [len(content)]
