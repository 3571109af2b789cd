"""Rate-limit buckets shared by the processes of ``moisson serve --workers N``.

With buckets per process a client could make N times ``MOISSON_RATE_LIMIT`` reads (its
connections spread over the processes) and N times ``MOISSON_REGISTRATION_LIMIT``
registrations. The supervisor allocates a table in shared memory and a lock per limit
before it starts the processes and hands them to each
(:func:`harvester.serve_workers.run_worker` calls :func:`use_shared_tables`). A bucket
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
"""Buckets in a table (4 MB of shared memory, touched only where addresses land)."""

LIMITS = ("reads", "registrations")
"""The limits with a table each."""


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


SharedTables = dict[str, SharedTable]

_shared: SharedTables = {}


def allocate_tables(context: BaseContext) -> SharedTables:
    """One table per limit (:data:`LIMITS`), for the processes ``context`` will start."""
    return {limit: SharedTable.allocate(context) for limit in LIMITS}


def use_shared_tables(tables: SharedTables) -> None:
    """Make the limits of apps created in this process use ``tables``."""
    global _shared
    _shared = dict(tables)


def buckets(limit: str, *, rate: float, burst: float) -> Limiter:
    """The buckets of ``limit`` (one of :data:`LIMITS`): shared when tables were given,
    else this process's own."""
    table = _shared.get(limit)
    if table is not None:
        return SharedTokenBuckets(table, rate=rate, burst=burst)
    return TokenBuckets(rate=rate, burst=burst)


def read_limiter(rate: float, burst: float) -> Limiter | None:
    """The read limiter of a new app: None when ``rate`` is 0 (off)."""
    return buckets("reads", rate=rate, burst=burst) if rate > 0 else None
