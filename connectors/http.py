"""The one place that turns HTTP responses into JSON or harvest errors (DESIGN §5, §8).

:func:`get_json` streams the body under a byte cap, retries what may succeed later
(connection errors, timeouts, 429, 502, 503, 504) with exponential backoff, jitter and
``Retry-After``, and classifies everything else::

    connection error / timeout / 429 / 502 / 503 / 504   retried, then SourceUnavailable
    500, 501, other 5xx                                  SourceUnavailable (not retried)
    other 4xx, 3xx                                       SourceProtocolError
    HTML or XML, empty body, invalid JSON                SourceProtocolError
    Content-Length, wire or decompressed bytes over cap  SourceForbidden

Exceptions raised by the client's transport that are not httpx errors (the SSRF guard's
``SourceForbidden``) pass through untouched.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from connectors.errors import SourceForbidden, SourceProtocolError, SourceUnavailable

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_WAIT = 1.0
"""Base of the exponential backoff, in seconds (tests set it to 0)."""
RETRY_WAIT_MAX = 60.0
RETRY_AFTER_MAX = 120.0
"""A ``Retry-After`` longer than this is cut down to it."""
ERROR_BODY_BYTES = 64 * 1024
"""How much of an error response is read to explain it."""

sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""The sleep used between attempts (tests replace it to record the waits)."""

ErrorDescriber = Callable[[Any], str | None]
"""Turns the JSON body of an error response into a message (e.g. CKAN's ``error``)."""


class RetryableError(Exception):
    """One failed attempt that may succeed later; wraps the error to raise when it is the last."""

    def __init__(self, error: SourceUnavailable) -> None:
        super().__init__(error.message)
        self.error = error


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    seconds: float
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """The wait before attempt ``attempt + 1``: ``Retry-After`` when given, else
    exponential backoff (``RETRY_WAIT * 2**(attempt-1)``, capped) plus up to 10 % jitter."""
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_MAX)
    base = min(RETRY_WAIT * 2 ** max(attempt - 1, 0), RETRY_WAIT_MAX)
    return base + random.uniform(0, base / 10)


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    retry_after = error.error.retry_after if isinstance(error, RetryableError) else None
    return backoff(state.attempt_number, retry_after)


async def _sleep(seconds: float) -> None:
    await sleep(seconds)


def subject_of(url: str, what: str | None) -> str:
    """How messages name a request: "page 3 of https://…", or the URL alone."""
    return f"{what} of {url}" if what else url


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]+>")


def excerpt(body: bytes, limit: int = 200) -> str:
    """A short human excerpt of a body: the HTML ``<title>``, else the first text."""
    match = _TITLE.search(body[:65536])
    text = match.group(1) if match else _TAG.sub(b" ", body[:4096])
    cleaned = " ".join(html.unescape(text.decode("utf-8", "replace")).split())
    return cleaned[:limit]


def _looks_like_html(body: bytes, content_type: str) -> bool:
    if "html" in content_type.lower():
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<"))


def _is_xml(body: bytes, content_type: str) -> bool:
    if "html" in content_type.lower():
        return False
    head = body[:512].lstrip().lower()
    return "xml" in content_type.lower() or (
        head.startswith(b"<?xml") and b"<html" not in body[:4096].lower()
    )


async def _read(response: httpx.Response, cap: int, subject: str) -> bytes:
    """The decompressed body, refusing more than ``cap`` bytes."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise SourceForbidden(
            f"response from {subject} exceeds {size_text(cap)}",
            detail=f"Content-Length: {length}",
            url=str(response.request.url),
        )
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > cap or response.num_bytes_downloaded > cap:
            where = "after decompression" if total > cap else "on the wire (compressed)"
            raise SourceForbidden(
                f"response from {subject} exceeds {size_text(cap)}",
                detail=f"more than {cap} bytes {where}",
                url=str(response.request.url),
            )
        chunks.append(chunk)
    return b"".join(chunks)


def size_text(cap: int) -> str:
    """A byte cap in words: "64 MiB", "512 KiB", "100 bytes"."""
    if cap >= 1024 * 1024 and cap % (1024 * 1024) == 0:
        return f"{cap // (1024 * 1024)} MiB"
    if cap >= 1024 and cap % 1024 == 0:
        return f"{cap // 1024} KiB"
    return f"{cap} bytes"


def _error_message(body: bytes, describe: ErrorDescriber | None) -> str | None:
    if describe is None or not body.strip():
        return None
    try:
        return describe(orjson.loads(body))
    except orjson.JSONDecodeError:
        return None


async def status_error(
    response: httpx.Response, subject: str, describe: ErrorDescriber | None
) -> Exception:
    """The error for a non-2xx response (a ``RetryableError`` when worth another attempt)."""
    status = response.status_code
    url = str(response.request.url)
    try:
        body = await _read(response, ERROR_BODY_BYTES, subject)
    except SourceForbidden:
        body = b""
    said = _error_message(body, describe)
    message = f"{subject} returned {_status_text(status)}" + (f": {said}" if said else "")
    detail = f"GET {url}\n{excerpt(body)}" if body else f"GET {url}"
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return RetryableError(
            SourceUnavailable(
                message, detail=detail, url=url, status=status, retry_after=retry_after
            )
        )
    if status >= 500:
        return SourceUnavailable(message, detail=detail, url=url, status=status)
    if 300 <= status < 400:
        location = response.headers.get("location", "?")
        message = f"{subject} redirected ({status}) to {location}"
    return SourceProtocolError(message, detail=detail, url=url)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A successful response's body (decompressed, under the cap) and what describes it."""

    body: bytes
    content_type: str | None
    status: int
    url: str


def _decode(fetched: Fetched, subject: str) -> Any:
    url, status = fetched.url, fetched.status
    body = fetched.body
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if not body.strip():  # tested here: a page's copy, stripped, costs ~50 µs
            raise SourceProtocolError(
                f"{subject} returned an empty body (status {status}) instead of JSON",
                detail=f"GET {url}",
                url=url,
            ) from None
        content_type = fetched.content_type or ""
        if _looks_like_html(body, content_type):
            kind = "XML" if _is_xml(body, content_type) else "HTML"
            raise SourceProtocolError(
                f"{subject} returned {kind} (status {status}) instead of JSON",
                detail=f"GET {url}\n{excerpt(body)}",
                url=url,
            ) from None
        raise SourceProtocolError(
            f"{subject} returned invalid JSON (status {status}): {error.msg} "
            f"at position {error.pos}",
            detail=f"GET {url}\n{excerpt(body)}",
            url=url,
        ) from None


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    params: Mapping[str, Any] | None,
    accept: str,
    max_bytes: int,
    subject: str,
    describe: ErrorDescriber | None,
    on_body: Callable[[int], None] | None,
) -> Fetched:
    try:
        async with client.stream("GET", url, params=params, headers={"Accept": accept}) as response:
            if not response.is_success:
                raise await status_error(response, subject, describe)
            body = await _read(response, max_bytes, subject)
            if on_body is not None:
                on_body(response.num_bytes_downloaded or len(body))
    except httpx.UnsupportedProtocol as error:
        raise SourceProtocolError(f"{subject} is not an http(s) URL", detail=str(error)) from None
    except (httpx.TimeoutException, httpx.TransportError) as error:
        kind = "timed out" if isinstance(error, httpx.TimeoutException) else "could not connect"
        raise RetryableError(
            SourceUnavailable(f"{subject} {kind}", detail=repr(error), url=url)
        ) from error
    except httpx.HTTPError as error:  # decoding errors, too many redirects, …
        raise SourceProtocolError(f"{subject} failed: {error}", detail=repr(error)) from None
    return Fetched(
        body, response.headers.get("content-type"), response.status_code, str(response.url)
    )


async def get_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    accept: str = "*/*",
    max_bytes: int = DEFAULT_MAX_BYTES,
    attempts: int = 4,
    what: str | None = None,
    describe_error: ErrorDescriber | None = None,
    on_body: Callable[[int], None] | None = None,
) -> Fetched:
    """GET ``url`` with the retry, cap and error rules below and return the body, or raise a
    harvest error.

    ``what`` names the request in messages ("page 3" → "page 3 of https://… returned …");
    ``describe_error`` extracts a platform's own message from a JSON error body;
    ``on_body`` receives the number of bytes downloaded for a successful response.
    """
    subject = subject_of(url, what)
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(attempts, 1)),
        wait=_wait,
        retry=retry_if_exception_type(RetryableError),
        sleep=_sleep,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await _attempt(
                    client, url, params, accept, max_bytes, subject, describe_error, on_body
                )
    except RetryableError as failed:
        error = failed.error
        if attempts > 1:
            error.detail = f"{error.detail}\n(after {attempts} attempts)"
        raise error from None
    raise AssertionError("unreachable")  # pragma: no cover


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    attempts: int = 4,
    what: str | None = None,
    describe_error: ErrorDescriber | None = None,
    on_body: Callable[[int], None] | None = None,
) -> Any:
    """:func:`get_bytes` asking for JSON, parsed; HTML or broken JSON is a protocol error."""
    fetched = await get_bytes(
        client,
        url,
        params=params,
        accept="application/json",
        max_bytes=max_bytes,
        attempts=attempts,
        what=what,
        describe_error=describe_error,
        on_body=on_body,
    )
    return json_body(fetched, url, what)


def json_body(fetched: Fetched, url: str, what: str | None = None) -> Any:
    """The JSON of a body :func:`get_bytes` fetched from ``url`` (asking for JSON), with
    :func:`get_json`'s errors for HTML or broken JSON."""
    return _decode(fetched, subject_of(url, what))
