"""Prometheus metrics of harvests (served at ``/metrics``; ``moisson worker --metrics-port``).

Per-run metrics are labelled by ``source`` and ``platform``. Gauges describing the sources
(failure streaks, flags, last success, held withdrawals, visible datasets) are read from the
database by :func:`refresh_source_gauges` when ``/metrics`` is scraped, so they are right
whichever process ran the harvests.
"""

from __future__ import annotations

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.store.tables import Dataset, HarvestRun, Source

REGISTRY = CollectorRegistry(auto_describe=True)
LABELS = ("source", "platform")

RUNS = Counter(
    "moisson_harvest_runs", "Finished harvest runs.", (*LABELS, "status"), registry=REGISTRY
)
RECORDS = Counter(
    "moisson_harvest_records",
    "Records handled by harvest runs, by outcome.",
    (*LABELS, "outcome"),
    registry=REGISTRY,
)
PAGES = Counter("moisson_harvest_pages", "Pages fetched.", LABELS, registry=REGISTRY)
BYTES = Counter("moisson_harvest_bytes", "Bytes downloaded.", LABELS, registry=REGISTRY)
DURATION = Histogram(
    "moisson_harvest_duration_seconds",
    "Duration of harvest runs.",
    LABELS,
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, float("inf")),
    registry=REGISTRY,
)
RUNNING = Gauge("moisson_harvests_running", "Harvests running in this process.", registry=REGISTRY)

FAILURES = Gauge(
    "moisson_source_consecutive_failures", "Failed runs in a row.", ("source",), registry=REGISTRY
)
FLAGGED = Gauge(
    "moisson_source_flagged",
    "1 when the source is flagged as failing.",
    ("source",),
    registry=REGISTRY,
)
LAST_SUCCESS = Gauge(
    "moisson_source_last_success_timestamp_seconds",
    "End of the last run that did not fail.",
    ("source",),
    registry=REGISTRY,
)
HELD = Gauge(
    "moisson_source_held_withdrawals",
    "Withdrawals held for the operator.",
    ("source",),
    registry=REGISTRY,
)
DATASETS = Gauge(
    "moisson_source_datasets", "Visible datasets of the source.", ("source",), registry=REGISTRY
)

OUTCOMES = ("added", "updated", "unchanged", "withdrawn", "held", "failed", "skipped")


def observe_run(run: HarvestRun, platform: str) -> None:
    """Count one finished run."""
    labels = {"source": run.source_id, "platform": platform}
    RUNS.labels(**labels, status=run.status).inc()
    for outcome in OUTCOMES:
        value = getattr(run, outcome)
        if value:
            RECORDS.labels(**labels, outcome=outcome).inc(value)
    PAGES.labels(**labels).inc(run.pages)
    BYTES.labels(**labels).inc(run.bytes)
    if run.finished_at is not None:
        DURATION.labels(**labels).observe((run.finished_at - run.started_at).total_seconds())


async def refresh_source_gauges(session: AsyncSession) -> None:
    """Set the per-source gauges from the database."""
    last_ok = (
        sa.select(col(HarvestRun.source_id), sa.func.max(col(HarvestRun.finished_at)).label("at"))
        .where(col(HarvestRun.status).in_(("succeeded", "partial")))
        .group_by(col(HarvestRun.source_id))
        .subquery()
    )
    held = (
        sa.select(col(HarvestRun.source_id), sa.func.sum(col(HarvestRun.held)).label("n"))
        .group_by(col(HarvestRun.source_id))
        .subquery()
    )
    visible = (
        sa.select(col(Dataset.source_id), sa.func.count().label("n"))
        .where(col(Dataset.withdrawn_at).is_(None))
        .group_by(col(Dataset.source_id))
        .subquery()
    )
    rows = await session.execute(
        sa.select(
            col(Source.id),
            col(Source.consecutive_failures),
            col(Source.flagged_at),
            last_ok.c.at,
            held.c.n,
            visible.c.n,
        )
        .outerjoin(last_ok, last_ok.c.source_id == col(Source.id))
        .outerjoin(held, held.c.source_id == col(Source.id))
        .outerjoin(visible, visible.c.source_id == col(Source.id))
    )
    for source_id, failures, flagged_at, last, held_n, datasets in rows.all():
        FAILURES.labels(source=source_id).set(failures)
        FLAGGED.labels(source=source_id).set(1 if flagged_at else 0)
        if last is not None:
            LAST_SUCCESS.labels(source=source_id).set(last.timestamp())
        HELD.labels(source=source_id).set(held_n or 0)
        DATASETS.labels(source=source_id).set(datasets or 0)
