"""``moisson worker``: one scale-out harvest worker process (PostgreSQL only).

Start any number of them on any number of machines against one database. Each runs
procrastinate's worker loop with ``concurrency`` parallel jobs; the global and per-host
limits are shared by all of them (:class:`~harvester.limits.PostgresLimits`). ``burst``
runs one scheduler tick, works until the queue is empty and exits (tests, cron-style use).
"""

from __future__ import annotations

import logging

from harvester.limits import PostgresLimits
from harvester.liveness import worker_name
from harvester.queue import enqueue_due, ensure_schema, worker_app
from harvester.run_service import HarvestService
from harvester.settings import Settings
from harvester.store.db import create_engine, is_sqlite, session_factory

log = logging.getLogger(__name__)


class WorkerNeedsPostgres(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "moisson worker needs PostgreSQL (MOISSON_DATABASE_URL=postgresql://…); "
            "with SQLite, `moisson serve` runs the harvests itself"
        )


async def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    burst: bool = False,
    metrics_port: int | None = None,
) -> None:
    """Work harvest jobs until stopped (or, with ``burst``, until the queue is empty)."""
    if is_sqlite(settings.database_url):
        raise WorkerNeedsPostgres()
    engine = create_engine(settings.database_url)
    try:
        await ensure_schema(engine)
        service = HarvestService(
            session_factory(engine),
            settings,
            limits=PostgresLimits(engine, settings.max_concurrent_harvests, settings.max_per_host),
        )
        if metrics_port is not None:
            from prometheus_client import start_http_server

            from harvester.metrics import REGISTRY

            start_http_server(metrics_port, registry=REGISTRY)
        app = worker_app(service)
        name = worker_name()
        async with app.open_async():
            if burst:
                deferred = await enqueue_due(app, service)
                log.info("worker %s: tick deferred %d harvest(s)", name, len(deferred))
            await app.run_worker_async(
                name=name,
                concurrency=concurrency or settings.max_concurrent_harvests,
                wait=not burst,
                install_signal_handlers=not burst,
            )
    finally:
        await engine.dispose()
