"""Scale-out harvests on PostgreSQL with procrastinate (an existing PostgreSQL job queue).

Jobs:

* ``moisson.harvest(source_id, full, trigger)`` — deferred with ``lock`` *and*
  ``queueing_lock`` = ``moisson:source:<id>``: at most one such job waits per source and
  procrastinate never runs two of them at once; the database's unique ``running`` index
  backs that up for harvests started elsewhere (CLI, API in embedded mode).
* ``moisson.tick`` — periodic, every minute; procrastinate defers each periodic tick once
  across all workers. It fails queue jobs of dead workers, interrupts dead runs (liveness),
  then claims every due source (:func:`harvester.schedules.claim`, a compare-and-set) and
  defers its harvest.
* ``moisson.prune`` — daily run retention.

Limits: ``--concurrency`` jobs per worker process, and
:class:`~harvester.limits.PostgresLimits` for the global and per-host limits shared by all
workers. procrastinate's schema is applied by :func:`ensure_schema` (idempotent, serialized
with an advisory lock), separately from Moisson's Alembic migrations.
"""

from __future__ import annotations

import logging
from datetime import datetime

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from harvester.limits import lock_key
from harvester.retention import prune_runs
from harvester.run_service import HarvestService
from harvester.runs import RunInProgress, SourceNotFound
from harvester.schedules import claim, due_sources
from harvester.store.types import utcnow

log = logging.getLogger(__name__)

HARVEST_TASK = "moisson.harvest"
TICK_TASK = "moisson.tick"
PRUNE_TASK = "moisson.prune"


def conninfo(database_url: str) -> str:
    """A libpq URL (for psycopg) from Moisson's SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("the harvest queue needs PostgreSQL (MOISSON_DATABASE_URL=postgresql://…)")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def source_lock(source_id: str) -> str:
    return f"moisson:source:{source_id}"


async def ensure_schema(engine: AsyncEngine) -> bool:
    """Create procrastinate's tables if they are missing; True if it did."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        key = lock_key("moisson:procrastinate-schema")
        await driver.execute(f"SELECT pg_advisory_lock({key})")
        try:
            if await driver.fetchval("SELECT to_regclass('procrastinate_jobs')") is not None:
                return False
            await driver.execute(SchemaManager.get_schema())
            return True
        finally:
            await driver.execute(f"SELECT pg_advisory_unlock({key})")


def queue_app(database_url: str) -> App:
    """A procrastinate app on Moisson's database, without tasks (enough to defer jobs)."""
    return App(connector=PsycopgConnector(conninfo=conninfo(database_url)))


async def defer_harvest(
    app: App, source_id: str, *, full: bool = False, trigger: str = "queue"
) -> int | None:
    """Queue a harvest of ``source_id``; None if one is already waiting."""
    lock = source_lock(source_id)
    try:
        return await app.configure_task(HARVEST_TASK, lock=lock, queueing_lock=lock).defer_async(
            source_id=source_id, full=full, trigger=trigger
        )
    except AlreadyEnqueued:
        return None


async def fail_stalled_jobs(app: App, stale_after: float) -> int:
    """Jobs of workers that stopped beating are marked failed, which frees their source lock
    (the liveness sweep then interrupts their runs)."""
    stalled = await app.job_manager.get_stalled_jobs(
        task_name=HARVEST_TASK, seconds_since_heartbeat=stale_after
    )
    count = 0
    for job in stalled:
        await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
        count += 1
    return count


async def enqueue_due(app: App, service: HarvestService, now: datetime | None = None) -> list[str]:
    """One scheduler tick for the queue: sweep, recount stale stored aggregates, then claim and
    defer every due source."""
    now = now or utcnow()
    await fail_stalled_jobs(app, service.settings.stale_after_seconds)
    await service.sweep(now)
    await service.refresh_aggregates()
    async with service.sessions() as session:
        due = await due_sources(session, now)
        await session.commit()
    deferred: list[str] = []
    for source_id in due:
        async with service.sessions() as session, session.begin():
            won = await claim(session, source_id, now)
        if won and await defer_harvest(app, source_id, trigger="schedule") is not None:
            deferred.append(source_id)
    return deferred


def worker_app(service: HarvestService) -> App:
    """The procrastinate app of ``moisson worker``: harvest, tick and prune tasks."""
    app = queue_app(service.settings.database_url)

    @app.task(name=HARVEST_TASK, retry=False)
    async def harvest(source_id: str, full: bool = False, trigger: str = "queue") -> None:
        try:
            await service.harvest(source_id, full=full, trigger=trigger)
        except (RunInProgress, SourceNotFound) as error:
            log.info("harvest of %s not started: %s", source_id, error)

    @app.periodic(cron="* * * * *", periodic_id="tick")
    @app.task(name=TICK_TASK, queueing_lock=TICK_TASK, retry=False)
    async def tick(timestamp: int) -> None:
        await enqueue_due(app, service)

    @app.periodic(cron="17 4 * * *", periodic_id="prune")
    @app.task(name=PRUNE_TASK, queueing_lock=PRUNE_TASK, retry=False)
    async def prune(timestamp: int) -> None:
        settings = service.settings
        async with service.sessions() as session, session.begin():
            await prune_runs(session, days=settings.retention_days, keep=settings.retention_keep)

    return app
