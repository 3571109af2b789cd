"""Response bodies that break off midway, as a connection lost during a long download."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx


class BrokenOff(httpx.AsyncByteStream):
    """A body that sends its first ``cut`` bytes (default: half), then loses the connection."""

    def __init__(self, body: bytes, cut: int | None = None) -> None:
        self.body = body
        self.cut = len(body) // 2 if cut is None else cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body[: self.cut]
        raise httpx.ReadError("connection reset by peer")
