"""Streaming the OpenDataSoft ``catalog/exports/json`` endpoint: one big JSON array of datasets.

Past 10 000 datasets the paged ``catalog/datasets`` endpoint refuses the offset, and the
export is the documented way to enumerate the whole catalogue. It may be large, so it is
read chunk by chunk by the incremental parser of :mod:`connectors.json_stream`, each item
decoded alone: memory holds one dataset at a time, not the whole export.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx

from connectors.errors import SourceForbidden, SourceProtocolError, SourceUnavailable
from connectors.http import excerpt
from connectors.json_stream import ArrayItems

MAX_EXPORT_BYTES = 2 * 1024 * 1024 * 1024


async def stream_json_array(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    max_bytes: int | None = None,
    what: str = "catalogue export",
    on_bytes: Callable[[int], None] | None = None,
) -> AsyncIterator[Any]:
    """Yield each item of the JSON array served at ``url``, decoded, as it arrives.

    Errors: 429/5xx, timeouts and cut connections → ``SourceUnavailable``; other statuses,
    HTML, malformed or truncated JSON → ``SourceProtocolError``; over ``max_bytes`` →
    ``SourceForbidden`` (default :data:`MAX_EXPORT_BYTES`). Not retried: a retry would
    restart the whole export."""
    cap = max_bytes or MAX_EXPORT_BYTES
    subject = f"{what} {url}"
    parser = ArrayItems("results")
    total = 0
    try:
        async with client.stream(
            "GET", url, params=params, headers={"Accept": "application/json"}
        ) as response:
            await _check_status(response, subject)
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
                if total > cap:
                    raise SourceForbidden(
                        f"{subject} exceeds {cap} bytes", url=str(response.request.url)
                    )
                for item in parser.feed(chunk):
                    yield item.value
            parser.close()
            if not parser.found:
                raise ValueError("no array of datasets found")
    except ValueError as error:  # JsonStreamError
        raise SourceProtocolError(
            f"{subject} is not a valid JSON array: {error}", detail=f"after {total} bytes", url=url
        ) from None
    except (httpx.TimeoutException, httpx.TransportError) as error:
        kind = "timed out" if isinstance(error, httpx.TimeoutException) else "was cut off"
        raise SourceUnavailable(f"{subject} {kind}", detail=repr(error), url=url) from error


async def _check_status(response: httpx.Response, subject: str) -> None:
    status = response.status_code
    url = str(response.request.url)
    content_type = response.headers.get("content-type", "")
    if response.is_success and "html" not in content_type.lower():
        return
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > 65536:
            break
    detail = f"GET {url}\n{excerpt(body)}"
    if response.is_success:
        raise SourceProtocolError(
            f"{subject} returned HTML (status {status}) instead of JSON", detail=detail, url=url
        )
    message = f"{subject} returned status {status}"
    if status == 429 or status >= 500:
        raise SourceUnavailable(message, detail=detail, url=url, status=status)
    raise SourceProtocolError(message, detail=detail, url=url)
