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

from connectors.errors import SourceProtocolError
from connectors.http_stream import json_chunks, open_stream
from connectors.json_stream import ArrayItems, iter_items
from connectors.opendatasoft_api import ods_error

MAX_EXPORT_BYTES = 2 * 1024 * 1024 * 1024


async def stream_json_array(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    max_bytes: int | None = None,
    what: str = "catalogue export",
    on_bytes: Callable[[int], None] | None = None,
    attempts: int = 4,
) -> AsyncIterator[Any]:
    """Yield each item of the JSON array served at ``url``, decoded, as it arrives.

    Errors: 429/502/503/504, timeouts and failed connections are retried up to ``attempts``
    times before the body starts (:func:`connectors.http_stream.open_stream`), then raise
    ``SourceUnavailable``; a body that breaks off raises ``StreamBrokenOff`` (the caller may
    stream the export again); other statuses, HTML, malformed or truncated JSON →
    ``SourceProtocolError``;
    over ``max_bytes`` → ``SourceForbidden`` (default :data:`MAX_EXPORT_BYTES`).
    ``on_bytes`` receives each chunk's size."""
    cap = max_bytes or MAX_EXPORT_BYTES
    target = str(httpx.URL(url, params=params)) if params else url
    parser = ArrayItems("results")
    received = 0

    def count(total: int) -> None:
        nonlocal received
        if on_bytes is not None:
            on_bytes(total - received)
        received = total

    async with open_stream(
        client, target, attempts=attempts, what=what, describe_error=ods_error
    ) as response:
        try:
            async for item in iter_items(
                json_chunks(response, target, cap, count, what=what), parser
            ):
                yield item.value
            if not parser.found:
                raise ValueError("no array of datasets found")
        except ValueError as error:  # JsonStreamError
            raise SourceProtocolError(
                f"{what} of {target} is not a valid JSON array: {error}",
                detail=f"after {received} bytes",
                url=target,
            ) from None
