"""A currency check of a stored aggregate that says "stale" once, for refresh tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession


class StaleOnce:
    """Answers "stale" to its first call (a refresher's check before taking the lock),
    then asks ``real`` (the check made again under the lock)."""

    def __init__(self, real: Callable[[AsyncSession], Awaitable[bool]]) -> None:
        self.real = real
        self.calls = 0

    async def __call__(self, session: AsyncSession) -> bool:
        self.calls += 1
        return False if self.calls == 1 else await self.real(session)
