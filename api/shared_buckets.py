"""Read-limit buckets shared by the processes of ``moisson serve --workers N``.

With a bucket per process a client could make N times ``MOISSON_RATE_LIMIT``: its
connections spread over the processes. The supervisor allocates one table in shared memory
and a lock before it starts the processes and hands both to each
(:func:`harvester.serve_workers.run_worker` calls :func:`use_shared_table`). A bucket
lives in the slot its address hashes to (CRC-32): two addresses in one slot share a
bucket, which is stricter, never looser (with a thousand active addresses, about one in
260 shares its slot). Linux's monotonic clock is the same in every process.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

from api.ratelimit import Limiter, TokenBuckets, take_one

SLOTS = 1 << 18
"""Buckets in the table (4 MB of shared memory, touched only where addresses land)."""


@dataclass(frozen=True)
class SharedTable:
    """Two doubles per slot (tokens, last refill; 0: never used) and the lock over them."""

    values: Any
    lock: Any

    @classmethod
    def allocate(cls, context: BaseContext) -> SharedTable:
        return cls(context.RawArray("d", 2 * SLOTS), context.Lock())


class SharedTokenBuckets:
    """:class:`~api.ratelimit.TokenBuckets`' ``take`` over a :class:`SharedTable`."""

    def __init__(
        self,
        table: SharedTable,
        *,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table, self.rate, self.burst, self.clock = table, rate, burst, clock

    def take(self, key: str) -> float:
        """0 if a request of ``key`` may go now, else the seconds to wait."""
        slot = 2 * (zlib.crc32(key.encode()) % SLOTS)
        values = self.table.values
        with self.table.lock:
            now = self.clock()
            tokens, then = values[slot], values[slot + 1]
            if then == 0.0:
                tokens, then = self.burst, now
            tokens, wait = take_one(tokens, then, now, rate=self.rate, burst=self.burst)
            values[slot], values[slot + 1] = tokens, now
        return wait


_shared: SharedTable | None = None


def use_shared_table(table: SharedTable | None) -> None:
    """Make the read limits of apps created in this process use ``table``."""
    global _shared
    _shared = table


def read_limiter(rate: float, burst: float) -> Limiter | None:
    """The read limiter of a new app: None when ``rate`` is 0 (off)."""
    if rate <= 0:
        return None
    if _shared is not None:
        return SharedTokenBuckets(_shared, rate=rate, burst=burst)
    return TokenBuckets(rate=rate, burst=burst)
