"""Anonymous rate limiting: an in-process token bucket per client IP, 429 + Retry-After.

Only reads (GET/HEAD) are limited; write endpoints require a token anyway. A request that
``app.state.rate_limit_exempt(headers)`` accepts (e.g. a valid bearer token, once the
token module provides that check) is not counted. The client is ``scope["client"]``: put
the service behind a proxy that sets it (uvicorn ``--proxy-headers``), not raw
X-Forwarded-For. The processes of ``moisson serve --workers N`` share their buckets
(:mod:`api.shared_buckets`); elsewhere each process has its own.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_response

Exempt = Callable[[Headers], Awaitable[bool]]


class Limiter(Protocol):
    def take(self, key: str) -> float:
        """0 if a request of ``key`` may go now, else the seconds to wait."""


def take_one(
    tokens: float, then: float, now: float, *, rate: float, burst: float
) -> tuple[float, float]:
    """A bucket holding ``tokens`` at ``then``, refilled at ``rate`` up to ``burst``, asked
    for one token at ``now``: the tokens left and the seconds to wait (0: granted)."""
    tokens = min(burst, tokens + (now - then) * rate)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / rate


@dataclass
class TokenBuckets:
    """``burst`` requests at once, refilled at ``rate`` per second, per key; the least
    recently seen keys are forgotten past ``max_keys``."""

    rate: float = 10.0
    burst: float = 60.0
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def take(self, key: str) -> float:
        """0 if a request of ``key`` may go now, else the seconds to wait."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens, wait = take_one(tokens, then, now, rate=self.rate, burst=self.burst)
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """Applies ``app.state.rate_limiter`` (a :class:`TokenBuckets`, None = off)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        limiter: Limiter | None = getattr(state, "rate_limiter", None)
        exempt: Exempt | None = getattr(state, "rate_limit_exempt", None)
        if limiter is None or (exempt is not None and await exempt(Headers(scope=scope))):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = limiter.take(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        response = problem_response(
            429,
            f"too many requests from this address; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )
        await response(scope, receive, send)
