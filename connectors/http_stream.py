"""Streaming GETs for documents too large to hold in memory (DESIGN §5, §8).

:func:`open_stream` retries like :func:`connectors.http.get_bytes` — connection errors,
timeouts, 429/502/503/504 — but only *before* the body starts. :func:`json_chunks` then
yields the decompressed body under a byte cap, refusing HTML or XML served where JSON was
expected and turning a dropped connection into ``StreamBrokenOff``. A document that breaks
off midway is read again from its start by :func:`read_until_whole`, whose reader skips
what the earlier streams gave (a server cannot be asked for "the rest" of a document).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx

from connectors import http
from connectors.errors import (
    SourceForbidden,
    SourceProtocolError,
    SourceUnavailable,
    StreamBrokenOff,
)

STREAMS = 3
"""How many times, in all, a document that breaks off midway is read."""

T = TypeVar("T")


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient,
    url: str,
    *,
    accept: str = "application/json",
    attempts: int = 4,
    what: str | None = None,
    describe_error: http.ErrorDescriber | None = None,
) -> AsyncIterator[httpx.Response]:
    """A successful streaming response for ``url``; non-2xx statuses become harvest errors
    (see :mod:`connectors.http`), retried when worth it, up to ``attempts`` tries.
    ``what`` and ``describe_error`` as for :func:`connectors.http.get_bytes`."""
    subject = http.subject_of(url, what)
    request = client.build_request("GET", url, headers={"Accept": accept})
    for attempt in range(1, max(attempts, 1) + 1):
        try:
            response = await client.send(request, stream=True)
        except httpx.UnsupportedProtocol as error:
            raise SourceProtocolError(
                f"{subject} is not an http(s) URL", detail=str(error)
            ) from None
        except (httpx.TimeoutException, httpx.TransportError) as error:
            kind = "timed out" if isinstance(error, httpx.TimeoutException) else "could not connect"
            failure = SourceUnavailable(f"{subject} {kind}", detail=repr(error), url=url)
        else:
            if response.is_success:
                try:
                    yield response
                finally:
                    await response.aclose()
                return
            outcome = await http.status_error(response, subject, describe_error)
            await response.aclose()
            if not isinstance(outcome, http.RetryableError):
                raise outcome
            failure = outcome.error
        if attempt >= attempts:
            if attempts > 1:
                failure.detail = f"{failure.detail}\n(after {attempts} attempts)"
            raise failure
        await http.sleep(http.backoff(attempt, failure.retry_after))


async def json_chunks(
    response: httpx.Response,
    url: str,
    max_bytes: int,
    on_total: Callable[[int], None] | None = None,
    *,
    what: str | None = None,
) -> AsyncGenerator[bytes, None]:
    """The decompressed body of a JSON response, chunk by chunk, under ``max_bytes``;
    ``on_total`` receives the running byte count. Markup instead of JSON, the cap and a
    dropped connection raise harvest errors (naming the request as ``what`` of ``url``)."""
    subject = http.subject_of(url, what)
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise SourceForbidden(
            f"{subject} exceeds {http.size_text(max_bytes)}",
            detail=f"Content-Length: {length}",
            url=url,
        )
    total = 0
    first = True
    chunks = response.aiter_bytes()
    try:
        async for chunk in chunks:
            total += len(chunk)
            if on_total is not None:
                on_total(total)
            if total > max_bytes:
                raise SourceForbidden(
                    f"{subject} exceeds {http.size_text(max_bytes)}",
                    detail=f"more than {max_bytes} bytes after decompression",
                    url=url,
                )
            if first and chunk.strip():
                first = False
                if chunk.lstrip()[:1] == b"<":
                    await _refuse_markup(response, url, subject, chunk, chunks)
            yield chunk
    except httpx.HTTPError as error:
        kind = "timed out" if isinstance(error, httpx.TimeoutException) else "broke off"
        raise StreamBrokenOff(
            f"{subject} {kind} after {total} bytes", detail=repr(error), url=url
        ) from None


async def read_until_whole(
    read: Callable[[], AsyncIterator[T]],
    *,
    streams: int = STREAMS,
    on_cut: Callable[[StreamBrokenOff, int], None] | None = None,
) -> AsyncIterator[T]:
    """Yield what ``read()`` yields. ``read`` streams one document from its start at each
    call and skips what its earlier calls gave; when the body breaks off midway, it is called
    again after the backoff, up to ``streams`` times in all (``on_cut(error, n)`` hears of
    the n-th cut). A stream that never starts is not read again: :func:`open_stream` has
    retried it already."""
    for stream in range(1, streams + 1):
        try:
            async for item in read():
                yield item
            return
        except StreamBrokenOff as error:
            if stream >= streams:
                error.detail = f"{error.detail}\n(broke off {streams} times)"
                raise
            if on_cut is not None:
                on_cut(error, stream)
            await http.sleep(http.backoff(stream, error.retry_after))


async def _refuse_markup(
    response: httpx.Response, url: str, subject: str, head: bytes, rest: AsyncIterator[bytes]
) -> None:
    """Raise the "returned HTML instead of JSON" error with an excerpt of the page."""
    body = head
    async for chunk in rest:
        body += chunk
        if len(body) >= http.ERROR_BODY_BYTES:
            break
    content_type = response.headers.get("content-type", "").lower()
    is_html = "html" in content_type or b"<html" in body[:4096].lower()
    kind = (
        "XML"
        if not is_html and ("xml" in content_type or body.lstrip()[:5] == b"<?xml")
        else "HTML"
    )
    raise SourceProtocolError(
        f"{subject} returned {kind} (status {response.status_code}) instead of JSON",
        detail=f"GET {url}\n{http.excerpt(body)}",
        url=url,
    )
