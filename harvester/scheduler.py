"""The embedded scheduler: APScheduler in the ``moisson serve`` process (SQLite or PostgreSQL).

APScheduler's ``AsyncIOScheduler`` fires three jobs: every ``tick_seconds`` a *tick* (sweep
dead runs, recount stale stored aggregates, then claim and start every due source), and once a
day the run retention.
Harvests run as asyncio tasks of this process within :class:`~harvester.limits.LocalLimits`;
one run per source at a time is guaranteed by the claim and by the database's unique
``running`` index, so a second scheduler (or a manual harvest) cannot double a run. With
``MOISSON_QUEUE=true`` the tick is left to ``moisson worker`` processes instead.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from harvester.partnership.service import current_figures
from harvester.partnership.targets import load_targets
from harvester.retention import prune_runs
from harvester.run_service import HarvestService
from harvester.runs import RunInProgress, SourceNotFound
from harvester.schedules import claim, due_sources
from harvester.store.types import utcnow

log = logging.getLogger(__name__)


class EmbeddedScheduler:
    """Drives the schedule of every source inside one process."""

    def __init__(self, service: HarvestService) -> None:
        self.service = service
        self.settings = service.settings
        self.running: dict[str, asyncio.Task[None]] = {}
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    def launch(self, source_id: str, *, full: bool = False, trigger: str = "manual") -> bool:
        """Start a harvest of ``source_id`` in the background; False if this process is
        already harvesting it."""
        current = self.running.get(source_id)
        if current is not None and not current.done():
            return False
        task = asyncio.create_task(
            self._harvest(source_id, full, trigger), name=f"harvest-{source_id}"
        )
        self.running[source_id] = task
        task.add_done_callback(lambda _: self._forget(source_id, task))
        return True

    def _forget(self, source_id: str, task: asyncio.Task[None]) -> None:
        if self.running.get(source_id) is task:
            del self.running[source_id]

    async def _harvest(self, source_id: str, full: bool, trigger: str) -> None:
        try:
            await self.service.harvest(source_id, full=full, trigger=trigger)
        except (RunInProgress, SourceNotFound) as error:
            log.info("harvest of %s not started: %s", source_id, error)
        except Exception:
            log.exception("harvest of %s crashed", source_id)

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Sweep dead runs, then claim and start every due source; returns the started ids."""
        now = now or utcnow()
        await self.service.sweep(now)
        await self.service.refresh_aggregates()
        started: list[str] = []
        async with self.service.sessions() as session:
            due = await due_sources(session, now)
            await session.commit()
        for source_id in due:
            if source_id in self.running:
                continue
            async with self.service.sessions() as session, session.begin():
                won = await claim(session, source_id, now)
            if won and self.launch(source_id, trigger="schedule"):
                started.append(source_id)
        return started

    async def prune(self) -> int:
        async with self.service.sessions() as session, session.begin():
            return await prune_runs(
                session, days=self.settings.retention_days, keep=self.settings.retention_keep
            )

    async def snapshot(self) -> None:
        """Keep the day's partnership figures, so history has a point even on days when
        nobody reads them."""
        targets = load_targets(self.settings.config)
        async with self.service.sessions() as session, session.begin():
            await current_figures(session, targets, snapshot="if-missing")

    async def wait(self) -> None:
        """Wait for the harvests started so far (tests and shutdown)."""
        while self.running:
            await asyncio.gather(*list(self.running.values()), return_exceptions=True)

    def start(self) -> None:
        first = datetime.now(UTC) + timedelta(seconds=self.settings.tick_seconds)
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.settings.tick_seconds, timezone=UTC),
            id="tick",
            next_run_time=first,
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self.prune, CronTrigger(hour=4, minute=17, timezone=UTC), id="retention", coalesce=True
        )
        self.scheduler.add_job(
            self.snapshot,
            CronTrigger(hour=23, minute=50, timezone=UTC),
            id="partnership-snapshot",
            coalesce=True,
        )
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop firing and cancel running harvests: their runs are marked interrupted and
        the next start resumes them."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in list(self.running.values()):
            task.cancel()
        await asyncio.gather(*list(self.running.values()), return_exceptions=True)

    async def submit(
        self, source_id: str, *, full: bool = False, trigger: str = "api"
    ) -> str | None:
        """Harvest now (the API's "harvest now"): "started", or None if already running here."""
        return "started" if self.launch(source_id, full=full, trigger=trigger) else None

    async def close(self) -> None:
        await self.stop()
