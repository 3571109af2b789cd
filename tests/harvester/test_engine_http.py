"""Response caps while streaming: compressed bytes on the wire as well as decompressed."""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator

import httpx
import pytest

from connectors.errors import SourceForbidden
from connectors.http import get_json


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 256):
            yield self.data[start : start + 256]


async def test_compressed_bytes_over_the_cap_are_refused_without_content_length() -> None:
    incompressible = os.urandom(990)  # gzip makes it larger: header and stored blocks
    wire = gzip.compress(incompressible)
    assert len(incompressible) <= 1000 < len(wire)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
            stream=_Chunks(wire),
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(SourceForbidden, match="exceeds 1000 bytes") as caught:
            await get_json(client, "https://x.example/api", max_bytes=1000, attempts=1)
    assert caught.value.detail is not None and "on the wire" in caught.value.detail
