"""The open registration endpoint's own, stricter rate limit (per client address).

It reuses :class:`api.ratelimit.TokenBuckets` (which the app applies to reads only) with a
burst of ``registration_limit`` refilled over ``registration_window`` seconds. Every attempt
counts, refused ones too, so probing addresses through registration stays slow. Refusals
are 429 problems with ``Retry-After``. In-process: with several workers, per worker.
"""

from __future__ import annotations

import math

from fastapi import Request

from api.problems import Problem
from api.ratelimit import TokenBuckets


def _buckets(request: Request) -> TokenBuckets:
    state = request.app.state
    buckets = getattr(state, "registration_limiter", None)
    if buckets is None:
        settings = state.settings
        buckets = TokenBuckets(
            rate=settings.registration_limit / settings.registration_window,
            burst=settings.registration_limit,
        )
        state.registration_limiter = buckets
    return buckets


async def registration_limit(request: Request) -> None:
    """Refuse (429) a client address over its registration allowance."""
    address = request.client.host if request.client else "unknown"
    wait = _buckets(request).take(address)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise Problem(
            429,
            f"too many registrations from this address; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
