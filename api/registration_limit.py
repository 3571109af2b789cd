"""The open registration endpoint's own, stricter rate limit (per client address).

Token buckets as for reads (:mod:`api.ratelimit`; shared by the processes of
``serve --workers``, :mod:`api.shared_buckets`) with a burst of ``registration_limit``
refilled over ``registration_window`` seconds. Every attempt counts, refused ones too, so
probing addresses through registration stays slow. Refusals are 429 problems with
``Retry-After``.
"""

from __future__ import annotations

import math

from fastapi import Request

from api.problems import Problem
from api.ratelimit import Limiter
from api.shared_buckets import buckets


def _buckets(request: Request) -> Limiter:
    state = request.app.state
    limiter: Limiter | None = getattr(state, "registration_limiter", None)
    if limiter is None:
        settings = state.settings
        limiter = buckets(
            "registrations",
            rate=settings.registration_limit / settings.registration_window,
            burst=settings.registration_limit,
        )
        state.registration_limiter = limiter
    return limiter


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
