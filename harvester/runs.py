"""One harvest run: drives any connector, writes in batches, keeps the run report.

The run owns job and item status; connectors only fetch and map (DESIGN §2, §3). A run
starts only if no other run of the source is ``running`` (a partial unique index makes that
true across processes and machines), beats a heartbeat while it works
(:mod:`harvester.liveness`), saves the connector's cursor with every batch and, if the
previous run of the source was interrupted with a cursor the connector takes up,
continues from it. Closing — status, withdrawals, failure streak — is in
:mod:`harvester.run_close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import DatasetRecord, PartnerKind
from connectors.base import (
    BaseConnector,
    Connector,
    RawRecord,
    Remembering,
    Resumable,
    SourceSpec,
)
from connectors.errors import HarvestError
from connectors.registry import get_connector
from harvester import mapping_pool
from harvester.liveness import Sleep, heartbeat, interrupt, worker_name
from harvester.mapping_code import connector_fingerprint
from harvester.notify import Transition
from harvester.revisits import revisit_stale
from harvester.run_close import CloseOptions, finish
from harvester.run_report import Cut, Report, RunLost, RunProgress, flush, map_ahead, tell
from harvester.search.fields import PartnerInfo
from harvester.store.datasets import source_partner
from harvester.store.page_memo import RunPageMemo
from harvester.store.tables import Dataset, HarvestRun, Partner, Source
from harvester.store.types import utcnow

__all__ = [
    "RunInProgress",
    "RunLost",
    "RunOptions",
    "RunProgress",
    "SourceNotFound",
    "mapping_key",
    "run_harvest",
    "source_spec",
]


class SourceNotFound(LookupError):
    """No source has this id."""

    def __init__(self, source_id: str) -> None:
        super().__init__(f"no source with id {source_id!r}")
        self.source_id = source_id


class RunInProgress(RuntimeError):
    """Another run of this source is running (one run per source at a time)."""

    def __init__(self, source_id: str) -> None:
        super().__init__(f"a run of source {source_id!r} is already running")
        self.source_id = source_id


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How a run behaves beyond what to fetch."""

    trigger: str = "manual"
    worker: str | None = None
    resume: bool = True
    withdrawal_guard: float = 0.2
    failure_threshold: int = 3
    heartbeat_seconds: float = 30.0
    sleep: Sleep = asyncio.sleep
    """Sleep of the heartbeat loop (tests inject their own)."""


async def source_spec(session: AsyncSession, source: Source) -> SourceSpec:
    """The connector's view of a source row."""
    partner = await session.get(Partner, source.partner_id) if source.partner_id else None
    return SourceSpec(
        id=source.id,
        url=source.url,
        platform=source.platform,
        options=dict(source.options or {}),
        partner_name=partner.name if partner else None,
        partner_kind=PartnerKind(partner.kind) if partner else None,
    )


@lru_cache(maxsize=1)
def _model_fingerprint() -> str:
    """A digest of the canonical model's schema: a changed model re-normalizes everything."""
    schema = DatasetRecord.model_json_schema()
    return hashlib.sha256(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)).hexdigest()


def mapping_key(connector: Connector, spec: SourceSpec) -> str:
    """What a stored payload's normalization depends on besides the payload: the platform,
    the connector's ``mapping_version``, the source's URL, options and partner (connectors
    read them while mapping), the canonical model and the mapping and derivation code
    (:mod:`harvester.mapping_code`). Stored with each raw payload; a payload stored with
    another key is normalized again."""
    version = str(getattr(type(connector), "mapping_version", "1"))
    inputs = {
        "url": spec.url,
        "options": spec.options,
        "partner_name": spec.partner_name,
        "partner_kind": str(spec.partner_kind) if spec.partner_kind else None,
        "model": _model_fingerprint(),
        "code": connector_fingerprint(type(connector)),
    }
    digest = hashlib.sha256(
        orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS, default=str)
    ).hexdigest()
    return f"{spec.platform[:32]}/{version[:24]}/{digest[:40]}"


GC_YOUNG_THRESHOLD = 50_000
"""Allocations between young-generation collections while a run works (CPython's default
is 700): a harvest allocates millions of short-lived, acyclic objects, and the default made
the collector ~15 % of a CKAN harvest's CPU for nothing (same peak RSS)."""

RUN_SWITCH_INTERVAL = 0.0005
"""Seconds a thread may keep the interpreter while another waits for it, while a run works
(CPython's default: 0.005). A harvesting process's threads take turns at it (the event
loop, SQLite's connection thread for each statement's rows, the mapping pool's feeder and
result threads, a mapped part's thread), each waiting up to the interval: a 10 k CKAN
harvest took 10.9–11.0 s at the default, 9.8–10.3 s at this (means of two series of
alternated pairs; DCAT Turtle unchanged)."""

_relaxed_runs = 0
_saved_thresholds: tuple[int, int, int] | None = None
_saved_switch_interval: float | None = None


@contextlib.contextmanager
def _tuned_for_runs() -> Iterator[None]:
    """Collect garbage less often, and let threads take turns sooner
    (:data:`RUN_SWITCH_INTERVAL`), while at least one run of this process works."""
    global _relaxed_runs, _saved_thresholds, _saved_switch_interval
    if _relaxed_runs == 0:
        _saved_thresholds = gc.get_threshold()
        gc.set_threshold(max(GC_YOUNG_THRESHOLD, _saved_thresholds[0]), *_saved_thresholds[1:])
        _saved_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(RUN_SWITCH_INTERVAL, _saved_switch_interval))
    _relaxed_runs += 1
    try:
        yield
    finally:
        _relaxed_runs -= 1
        if _relaxed_runs == 0:
            if _saved_thresholds is not None:
                gc.set_threshold(*_saved_thresholds)
            if _saved_switch_interval is not None:
                sys.setswitchinterval(_saved_switch_interval)


def _resumes(connector: Connector, cursor: dict[str, Any]) -> bool:
    """Whether ``connector`` takes up ``cursor`` (a connector whose ``resume_from`` says
    nothing is taken at its word: the run is then treated as resumed)."""
    if not isinstance(connector, Resumable):
        return False
    return connector.resume_from(dict(cursor)) is not False


async def _start(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    full: bool,
    options: RunOptions,
    client: httpx.AsyncClient,
) -> tuple[HarvestRun, SourceSpec, Connector]:
    """Insert the ``running`` row; returns it, the spec and the connector, which continues
    the source's previous run when that one was interrupted and its cursor is usable."""
    async with sessions() as session:
        source = await session.get(Source, source_id)
        if source is None:
            raise SourceNotFound(source_id)
        spec = await source_spec(session, source)
        connector = get_connector(spec.platform)(spec, client)
        if isinstance(connector, Remembering):
            complete = await _last_complete_run(session, source_id)
            if complete is not None and complete.cursor:
                connector.remember(dict(complete.cursor))
        previous = await _latest_run(session, source_id)
        resumed = (
            previous
            if options.resume
            and previous is not None
            and previous.interrupted
            and previous.cursor
            and _resumes(connector, previous.cursor)
            else None
        )
        if resumed is not None:
            since, full = resumed.since, resumed.full
        else:
            since = None if full else await last_success_start(session, source_id)
        run = HarvestRun(
            source_id=source_id,
            full=full or since is None,
            since=since,
            heartbeat_at=utcnow(),
            trigger="resume" if resumed is not None else options.trigger,
            worker=options.worker or worker_name(),
            resumed_from=resumed.id if resumed is not None else None,
        )
        session.add(run)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise RunInProgress(source_id) from None
    return run, spec, connector


async def run_harvest(
    sessions: async_sessionmaker[AsyncSession],
    source_id: str,
    client: httpx.AsyncClient,
    *,
    full: bool = False,
    batch_size: int = 500,
    progress: RunProgress | None = None,
    options: RunOptions | None = None,
    transitions: list[Transition] | None = None,
) -> HarvestRun:
    """Harvest one source now and return its finished run row.

    Fetch errors end the run ``failed`` but keep every batch already written; a record
    that cannot be normalized fails alone and the run ends ``partial``. A source flagged or
    recovered by this run is appended to ``transitions`` (for the webhook).
    """
    options = options or RunOptions()
    run, spec, connector = await _start(sessions, source_id, full, options, client)
    report = Report(run)
    assert run.id is not None
    try:
        with _tuned_for_runs():
            async with heartbeat(
                sessions, run.id, options.heartbeat_seconds, sleep=options.sleep
            ) as beating:
                fatal = await _fetch_all(
                    sessions,
                    connector,
                    report,
                    run.since,
                    batch_size,
                    progress,
                    lambda: beating.lost,
                    spec,
                )
    except asyncio.CancelledError:
        await asyncio.shield(_interrupted(sessions, run))
        raise
    if isinstance(fatal, RunLost):
        run.status = "failed"
        run.interrupted = True
        return run
    ours, transition = await finish(
        sessions,
        report,
        connector,
        fatal,
        CloseOptions(guard=options.withdrawal_guard, failure_threshold=options.failure_threshold),
    )
    if not ours:
        run.status, run.interrupted = "failed", True
    if transition is not None and transitions is not None:
        transitions.append(transition)
    return run


class _WriteFailed(Exception):
    """A batch's write failed (the listing did not)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def _fetch_all(
    sessions: async_sessionmaker[AsyncSession],
    connector: Connector,
    report: Report,
    since: datetime | None,
    batch_size: int,
    progress: RunProgress | None,
    lost: Callable[[], bool],
    spec: SourceSpec,
) -> Exception | None:
    """Page, normalize and write; returns the fatal error that ended the listing or its
    writes, if any (recorded in the report, so that :func:`finish` closes the run failed).

    Records are collected raw, ``batch_size`` at a time; the flush normalizes only those
    whose payload or mapping changed since they were stored (:func:`run_report.flush`).
    When a mapping worker is available, a batch is sent to it as soon as it is cut and
    written after the next one is fetched (:mod:`harvester.mapping_pool`)."""
    run = report.run
    batch: list[RawRecord] = []
    pending: Cut | None = None
    rest: Cut | None = None
    partner: PartnerInfo | None = None
    quiet = False  # the last batch written had too few changes to use the worker
    key = mapping_key(connector, spec)
    memo: RunPageMemo | None = None
    if isinstance(connector, BaseConnector):
        connector.seen = report.seen_ids  # one set of remote ids per run, not two
        if connector.uses_page_memo and run.id is not None:
            memo = connector.page_memo = RunPageMemo(sessions, run.source_id, run.id, key)

    async def write(cut: Cut) -> None:
        nonlocal quiet
        try:
            await flush(sessions, run.source_id, cut, report, connector, key)
        except RunLost:
            raise
        except Exception as error:
            raise _WriteFailed(error) from error
        quiet = cut.changed < mapping_pool.POOL.min_records
        if memo is not None:
            await memo.save()
        tell(progress, run.seen, connector)

    try:
        try:
            if mapping_pool.POOL.possible_for(connector) and not await _has_datasets(
                sessions, run.source_id
            ):
                # a first harvest maps every record: the worker starts while the first
                # batch is read
                mapping_pool.POOL.start_for(connector)
            async for raw in connector.fetch(since):
                if lost():
                    raise RunLost(run.id)
                run.seen += 1
                report.seen_ids.add(raw.remote_id)
                batch.append(raw)
                if len(batch) < batch_size:
                    continue
                cut, batch = Cut.of(batch, connector), []
                # After a batch with too few changes for the worker, the next one is not
                # read ahead (its write reads the stored state anyway, and maps what
                # changed): an unchanged re-harvest reads each batch's state once.
                if not quiet and mapping_pool.POOL.possible_for(connector):
                    partner = partner or await _partner(sessions, run.source_id)
                    await map_ahead(sessions, run.source_id, cut, key, connector, spec, partner)
                if pending is not None:  # written while the worker maps ``cut``
                    done, pending = pending, None
                    await write(done)
                if cut.mapping is None:
                    await write(cut)
                else:
                    pending = cut
            fatal: Exception | None = None
        except RunLost as error:
            return error
        except _WriteFailed as failed:  # what was listed since is dropped; the run keeps the
            # position of what was written (a cut's is that of the connector when it was cut)
            fatal = failed.error
            report.error(fatal)
            rest = Cut([], run.pages, run.bytes, dict(run.cursor or {}))
        except HarvestError as error:
            fatal = error
            report.error(error)
        except Exception as error:  # a connector bug ends the run failed, not stuck "running"
            fatal = error
            report.error(error)
        if rest is None:
            rest = Cut.of(batch, connector)
        try:
            if pending is not None:
                done, pending = pending, None
                await write(done)
            if rest.raws or report.errors or fatal is None:
                await flush(sessions, run.source_id, rest, report, connector, key)
            if memo is not None:
                await memo.save(prune=fatal is None and connector.stats.complete)
            if fatal is None:  # records the rest of the listing made stale
                await revisit_stale(sessions, connector, report, key)
        except RunLost as error:
            return error
        except Exception as error:  # e.g. a database error: end the run failed now, not
            # "running" until the liveness check; the batches already written stay
            cause = error.error if isinstance(error, _WriteFailed) else error
            report.error(cause)
            return fatal or cause
        tell(progress, run.seen, connector)
        return fatal
    finally:
        if pending is not None and pending.mapping is not None:
            pending.mapping.cancel()


async def _has_datasets(sessions: async_sessionmaker[AsyncSession], source_id: str) -> bool:
    """Whether ``source_id`` has a stored dataset (withdrawn ones included)."""
    async with sessions() as session:
        found = await session.scalar(
            sa.select(sa.literal(1)).where(col(Dataset.source_id) == source_id).limit(1)
        )
    return found is not None


async def _partner(sessions: async_sessionmaker[AsyncSession], source_id: str) -> PartnerInfo:
    async with sessions() as session:
        return await source_partner(session, source_id)


async def _interrupted(sessions: async_sessionmaker[AsyncSession], run: HarvestRun) -> None:
    """A cancelled run (process shutting down) ends interrupted, to be resumed."""
    async with sessions() as session, session.begin():
        await interrupt(session, run, "interrupted: the process stopped", utcnow())


async def _latest_run(session: AsyncSession, source_id: str) -> HarvestRun | None:
    return await session.scalar(
        sa.select(HarvestRun)
        .where(col(HarvestRun.source_id) == source_id)
        .order_by(col(HarvestRun.id).desc())
        .limit(1)
    )


async def _last_complete_run(session: AsyncSession, source_id: str) -> HarvestRun | None:
    """The source's last run that listed the whole catalogue."""
    return await session.scalar(
        sa.select(HarvestRun)
        .where(col(HarvestRun.source_id) == source_id, col(HarvestRun.complete).is_(True))
        .order_by(col(HarvestRun.id).desc())
        .limit(1)
    )


async def last_success_start(session: AsyncSession, source_id: str) -> datetime | None:
    """The incremental cut-off: when the last run that ended without a fatal error began
    (for a resumed run, when the run it resumed began)."""
    run = await session.scalar(
        sa.select(HarvestRun)
        .where(
            col(HarvestRun.source_id) == source_id,
            col(HarvestRun.status).in_(("succeeded", "partial")),
        )
        .order_by(col(HarvestRun.started_at).desc())
        .limit(1)
    )
    start = run.started_at if run else None
    hops = 0
    while run is not None and run.resumed_from is not None and hops < 100:
        run = await session.get(HarvestRun, run.resumed_from)
        start = run.started_at if run else start
        hops += 1
    return start
