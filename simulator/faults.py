"""Fault modes: how a simulated portal misbehaves, and on which pages.

::

    mode        what the client gets                          what Moisson's connectors raise
    ─────────   ───────────────────────────────────────────   ───────────────────────────────
    429         429 Too Many Requests + Retry-After           retried, then SourceUnavailable
    503         503 HTML maintenance page + Retry-After       retried, then SourceUnavailable
    500         500 Internal Server Error                     SourceUnavailable (no retry)
    truncated   200 with the first half of the body           SourceProtocolError
    html        200 text/html page instead of the payload     SourceProtocolError
    slow        200 whose body trickles (``slow_delay``)      SourceUnavailable (timed out)

A :class:`FaultPlan` says which pages (1-based; ``None`` = all) and how many times per
request (``times``; ``None`` = always, 1 = a transient fault that a retry gets past).
``latency`` (seconds before every answer) is a separate knob of the server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from starlette.responses import Response, StreamingResponse

FaultMode = Literal["none", "429", "503", "500", "truncated", "html", "slow"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)

MAINTENANCE_PAGE = b"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Maintenance en cours</title></head>
<body><h1>Portail en maintenance</h1>
<p>Le portail de donn\xc3\xa9es ouvertes est temporairement indisponible. Revenez plus tard.</p>
</body></html>
"""


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which fault, on which pages, how many times per request."""

    mode: FaultMode = "none"
    pages: frozenset[int] | None = None
    times: int | None = None
    retry_after: int = 1
    slow_delay: float = 0.5
    slow_chunks: int = 8

    @classmethod
    def parse_pages(cls, text: str | None) -> frozenset[int] | None:
        """``"2,5"`` → {2, 5}; empty or ``"all"`` → None (every page)."""
        if not text or text.strip().lower() == "all":
            return None
        return frozenset(int(part) for part in text.split(",") if part.strip())


class FaultState:
    """Counts requests per key (path + query) so a transient fault hits each page ``times``."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.injected = 0

    def take(self, key: str, page: int) -> FaultMode | None:
        """The fault to inject for this request of ``page``, or None."""
        plan = self.plan
        if plan.mode == "none" or (plan.pages is not None and page not in plan.pages):
            return None
        with self._lock:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            if plan.times is not None and count > plan.times:
                return None
            self.injected += 1
        return plan.mode


def fault_response(mode: FaultMode, body: bytes, media_type: str, plan: FaultPlan) -> Response:
    """The misbehaving answer standing in for ``body``."""
    if mode == "429":
        return Response(
            b'{"error": true, "message": "Too many requests"}',
            status_code=429,
            media_type="application/json",
            headers={"Retry-After": str(plan.retry_after)},
        )
    if mode == "503":
        return Response(
            MAINTENANCE_PAGE,
            status_code=503,
            media_type="text/html; charset=utf-8",
            headers={"Retry-After": str(plan.retry_after)},
        )
    if mode == "500":
        return Response(b"Internal Server Error", status_code=500, media_type="text/plain")
    if mode == "truncated":
        return Response(body[: len(body) // 2], media_type=media_type)
    if mode == "html":
        return Response(MAINTENANCE_PAGE, media_type="text/html; charset=utf-8")
    if mode == "slow":
        return StreamingResponse(
            trickle(_split(body, plan.slow_chunks), plan.slow_delay), media_type=media_type
        )
    return Response(body, media_type=media_type)


def _split(body: bytes, parts: int) -> list[bytes]:
    size = max(len(body) // max(parts, 1), 1)
    return [body[i : i + size] for i in range(0, len(body), size)]


async def trickle(chunks: Iterable[bytes], delay: float) -> AsyncIterator[bytes]:
    """``chunks`` with a pause before each one but the first."""
    for number, chunk in enumerate(chunks):
        if number:
            await asyncio.sleep(delay)
        yield chunk


async def faulty_stream(
    chunks: Iterable[bytes], mode: FaultMode | None, plan: FaultPlan
) -> AsyncIterator[bytes]:
    """A streamed body (``data.json``) under a fault: ``truncated`` stops half-way (by
    chunk count), ``slow`` pauses between chunks; other modes are answered before streaming."""
    listed = list(chunks) if mode == "truncated" else chunks
    if mode == "truncated":
        assert isinstance(listed, list)
        half = b"".join(listed)
        yield half[: len(half) // 2]
        return
    for number, chunk in enumerate(listed):
        if mode == "slow" and number:
            await asyncio.sleep(plan.slow_delay)
        yield chunk
        if number % 16 == 15:
            await asyncio.sleep(0)
