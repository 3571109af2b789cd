"""How many harvests may run at once: in total, and against one remote host.

:class:`LocalLimits` holds asyncio semaphores (one process: the embedded scheduler).
:class:`PostgresLimits` shares the same two limits between every worker on every machine
through PostgreSQL session advisory locks: a limit of *n* is *n* lock slots
``(key, 0..n-1)``; a harvest holds one global slot and one slot of its host on a dedicated
connection for its whole duration, and PostgreSQL frees them if the worker dies.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

GLOBAL_KEY = "moisson:harvests"


def host_of(url: str) -> str:
    """The host a source URL points at (lower case)."""
    return (urlsplit(url).hostname or url).lower()


class Limits(Protocol):
    def slot(self, host: str) -> AbstractAsyncContextManager[None]:
        """Wait for a global slot and a slot of ``host``; hold them inside the block."""


class LocalLimits:
    """Per-process limits (asyncio semaphores)."""

    def __init__(self, total: int, per_host: int) -> None:
        self.total = asyncio.Semaphore(total)
        self.per_host = per_host
        self.hosts: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        semaphore = self.hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with self.total, semaphore:
            yield


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for an advisory lock name."""
    value = zlib.crc32(name.encode())
    return value - 2**32 if value >= 2**31 else value


class PostgresLimits:
    """Limits shared across processes and machines through advisory locks."""

    def __init__(
        self,
        engine: AsyncEngine,
        total: int,
        per_host: int,
        *,
        poll: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.engine = engine
        self.total = total
        self.per_host = per_host
        self.poll = poll
        self.sleep = sleep

    async def _take(self, connection: AsyncConnection, name: str, size: int) -> int | None:
        key = lock_key(name)
        for number in range(size):
            taken = await connection.scalar(
                sa.text("SELECT pg_try_advisory_lock(:key, :slot)"), {"key": key, "slot": number}
            )
            if taken:
                return number
        return None

    async def _release(self, connection: AsyncConnection, name: str, number: int) -> None:
        await connection.execute(
            sa.text("SELECT pg_advisory_unlock(:key, :slot)"),
            {"key": lock_key(name), "slot": number},
        )

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        async with self.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            held: list[tuple[str, int]] = []
            try:
                while True:
                    total = await self._take(connection, GLOBAL_KEY, self.total)
                    if total is not None:
                        mine = await self._take(connection, f"host:{host}", self.per_host)
                        if mine is not None:
                            held = [(GLOBAL_KEY, total), (f"host:{host}", mine)]
                            break
                        await self._release(connection, GLOBAL_KEY, total)
                    await self.sleep(self.poll)
                yield
            finally:
                for name, number in held:
                    await self._release(connection, name, number)
