"""Everything around one run: limits, the HTTP client, metrics, notifications, liveness.

:class:`HarvestService` is what the CLI, the embedded scheduler, the API and the queue
workers call to harvest a source, so every harvest gets the same treatment whoever starts it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.client import build_client
from harvester import metrics
from harvester.limits import Limits, LocalLimits, host_of
from harvester.liveness import Interrupted, Sleep, sweep, worker_name
from harvester.notify import Transition, send_webhook
from harvester.partnership import cells as partnership_cells
from harvester.run_report import RunProgress
from harvester.runs import RunOptions, SourceNotFound, run_harvest
from harvester.search.facet_totals import TickRefresh
from harvester.settings import Settings
from harvester.store.tables import HarvestRun, Source

log = logging.getLogger(__name__)

ClientFactory = Callable[[], httpx.AsyncClient]


def default_client_factory(settings: Settings) -> ClientFactory:
    """SSRF-guarded clients with the settings' timeout and HTTP cache."""

    def make() -> httpx.AsyncClient:
        return build_client(
            allow=settings.ssrf_allow,
            timeout=settings.http_timeout,
            cache_dir=settings.http_cache_dir,
        )

    return make


@dataclass
class HarvestService:
    """Runs harvests with the settings' policies."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    limits: Limits | None = None
    client_factory: ClientFactory | None = None
    worker: str = field(default_factory=worker_name)
    sleep: Sleep = asyncio.sleep
    refresh_totals: TickRefresh = field(init=False)
    """Recounts stale whole-catalogue facet totals (:meth:`refresh_aggregates`)."""
    refresh_cells: TickRefresh = field(init=False)
    """Recounts stale partnership cells (:meth:`refresh_aggregates`)."""

    def __post_init__(self) -> None:
        if self.limits is None:
            self.limits = LocalLimits(
                self.settings.max_concurrent_harvests, self.settings.max_per_host
            )
        if self.client_factory is None:
            self.client_factory = default_client_factory(self.settings)
        self.refresh_totals = TickRefresh(self.sessions)
        self.refresh_cells = TickRefresh(
            self.sessions,
            is_current=partnership_cells.is_current,
            recount=partnership_cells.refresh,
        )

    def run_options(self, trigger: str) -> RunOptions:
        return RunOptions(
            trigger=trigger,
            worker=self.worker,
            withdrawal_guard=self.settings.withdrawal_guard,
            failure_threshold=self.settings.failure_threshold,
            heartbeat_seconds=self.settings.heartbeat_seconds,
            sleep=self.sleep,
        )

    async def harvest(
        self,
        source_id: str,
        *,
        full: bool = False,
        trigger: str = "manual",
        progress: RunProgress | None = None,
    ) -> HarvestRun:
        """Harvest one source within the limits; raises ``SourceNotFound``/``RunInProgress``."""
        async with self.sessions() as session:
            source = await session.get(Source, source_id)
        if source is None:
            raise SourceNotFound(source_id)
        transitions: list[Transition] = []
        assert self.client_factory is not None and self.limits is not None
        async with self.limits.slot(host_of(source.url)):
            metrics.RUNNING.inc()
            try:
                async with self.client_factory() as client:
                    run = await run_harvest(
                        self.sessions,
                        source_id,
                        client,
                        full=full,
                        batch_size=self.settings.batch_size,
                        progress=progress,
                        options=self.run_options(trigger),
                        transitions=transitions,
                    )
            finally:
                metrics.RUNNING.dec()
        metrics.observe_run(run, source.platform)
        log.info(
            "harvest finished",
            extra={
                "source": source_id,
                "run": run.id,
                "status": run.status,
                "seen": run.seen,
                "added": run.added,
                "updated": run.updated,
                "withdrawn": run.withdrawn,
                "held": run.held,
                "failed": run.failed,
            },
        )
        await self.notify(transitions)
        return run

    async def notify(self, transitions: list[Transition]) -> None:
        await send_webhook(self.settings.webhook_url, transitions, allow=self.settings.ssrf_allow)

    async def refresh_aggregates(self) -> None:
        """On each scheduler tick: recount the stored facet totals and partnership cells a
        write left stale (at once when no run is going, every few minutes while one is)."""
        await self.refresh_totals()
        await self.refresh_cells()

    async def sweep(self, now: datetime | None = None) -> list[Interrupted]:
        """Interrupt dead runs (their sources become due) and notify flag changes."""
        found = await sweep(
            self.sessions,
            stale_after=self.settings.stale_after_seconds,
            failure_threshold=self.settings.failure_threshold,
            now=now,
        )
        await self.notify([item.transition for item in found if item.transition is not None])
        return found
