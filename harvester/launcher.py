"""Where "harvest now" goes: this process's embedded scheduler, or the workers' queue.

``MOISSON_QUEUE=true`` (PostgreSQL) sends harvests to ``moisson worker`` processes; otherwise
the API process runs them itself, and its APScheduler drives the schedule unless
``MOISSON_SCHEDULER=false`` (``moisson serve --no-scheduler``).
"""

from __future__ import annotations

from typing import Protocol

from procrastinate import App
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from harvester.run_service import HarvestService
from harvester.scheduler import EmbeddedScheduler
from harvester.settings import Settings


class Launcher(Protocol):
    async def submit(
        self, source_id: str, *, full: bool = False, trigger: str = "api"
    ) -> str | None:
        """Start or queue a harvest: "started", "queued", or None if one is pending."""

    async def close(self) -> None: ...


class QueueLauncher:
    """Defers harvests to the procrastinate queue."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def submit(
        self, source_id: str, *, full: bool = False, trigger: str = "api"
    ) -> str | None:
        from harvester.queue import defer_harvest

        job = await defer_harvest(self.app, source_id, full=full, trigger=trigger)
        return "queued" if job is not None else None

    async def close(self) -> None:
        await self.app.close_async()


async def start_launcher(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> Launcher:
    """The launcher for this process (and the embedded scheduler started, if enabled)."""
    if settings.queue:
        from harvester.queue import ensure_schema, queue_app

        await ensure_schema(engine)
        app = queue_app(settings.database_url)
        await app.open_async()
        return QueueLauncher(app)
    scheduler = EmbeddedScheduler(HarvestService(sessions, settings))
    if settings.scheduler:
        scheduler.start()
    return scheduler
