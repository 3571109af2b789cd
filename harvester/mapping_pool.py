"""Mapping harvested payloads in another process, one batch ahead of the write.

Normalizing a record and deriving its search text, facets and quality is about half of a
harvest's CPU; with two cores or more a run hands each batch that needs mapping to a
worker process while it fetches the next batch and writes the previous one
(:mod:`harvester.runs`). Only connectors whose ``normalize`` is a pure function of the
source spec and the payload say so (``BaseConnector.portable_mapping``); the worker builds
its own connector from the registry, without an HTTP client.

Workers are spawned (a fresh interpreter that imports the mapping code, but not the SQL
layer), never forked from the harvesting process and its threads; unlike a
``forkserver``, no idle server process stays resident beside them for the whole run
(~70 MB). The pool starts with the first batch that has records to map or, for a source
with nothing stored yet (every record will be mapped), when its run starts, so that the
worker's start-up overlaps the first batch's fetching. Until the first worker is ready, and
whenever the pool breaks, batches are mapped in the harvesting process.

When the harvesting process has to wait for a batch's results, it maps one part of a later
batch still queued for the workers itself, in a thread (:meth:`BatchMapping.result`): when
mapping is the slower side (DCAT pages), the waiting process's idle CPU takes a share of
it, and the workers always keep work queued.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from connectors.base import Connector, RawRecord, SourceSpec, payload_hash
from connectors.errors import HarvestError, RecordSkipped
from connectors.registry import get_connector
from harvester.positional import PickledByPosition
from harvester.prepare import Derived, Dumped, derived, dumped, json_bytes
from harvester.search.fields import PartnerInfo
from harvester.worker_imports import skip_unused_imports

log = logging.getLogger(__name__)  # not structlog, whose import would add its own
# modules and rich's to every worker (they import this module)

MIN_RECORDS = 64
"""Fewer records to map than this are mapped in the harvesting process: sending them
costs more than it saves."""

MAX_PROCESSES = 4

CHUNK = 100
"""Records per task: a batch goes out as several tasks, so no single message (a batch of
DCAT records is ~30 MB pickled) is held whole on both sides of the pipe."""


MESSAGE_CHARS = 1000
"""The longest message a run or an error row stores (a failed multi-row INSERT's text holds
its SQL and parameters: megabytes)."""


def storable(text: str, limit: int | None = None) -> str:
    """``text`` as a text column takes it: NUL characters (PostgreSQL refuses them) replaced
    by U+FFFD, and at most ``limit`` characters, the cut marked with "…"."""
    text = text.replace("\x00", "\ufffd")
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


@dataclass(frozen=True, slots=True)
class MappingError(PickledByPosition):
    """A record that failed to map, as the run report stores it (picklable)."""

    kind: str
    message: str
    detail: str | None
    url: str | None

    @classmethod
    def of(cls, error: Exception) -> MappingError:
        detail = error.detail if isinstance(error, HarvestError) else None
        if detail is None and not isinstance(error, HarvestError):
            detail = "".join(traceback.format_exception(error))[-4000:]
        url = error.url if isinstance(error, HarvestError) else None
        return cls(
            kind=type(error).__name__,
            message=storable(str(error), MESSAGE_CHARS) or type(error).__name__,
            detail=storable(detail) if detail is not None else None,
            url=storable(url) if url is not None else None,
        )


@dataclass(slots=True)
class Mapped(PickledByPosition):
    """The outcome of mapping one payload: prepared, skipped by the connector, or failed."""

    prepared: tuple[Dumped, Derived] | None = None
    error: MappingError | None = None
    digest: str | None = None
    """The payload's hash (:func:`~connectors.base.payload_hash`), when the harvesting
    process sent the payload without it (a record it had never stored)."""

    @property
    def skipped(self) -> bool:
        return self.prepared is None and self.error is None


_connectors: dict[str, Connector] = {}


def _connector(spec: SourceSpec) -> Connector:
    key = spec.model_dump_json()
    connector = _connectors.get(key)
    if connector is None:
        # normalize() never uses the client: portable connectors promise it
        connector = get_connector(spec.platform)(spec, None)  # type: ignore[arg-type]
        _connectors.clear()
        _connectors[key] = connector
    return connector


def mapping_context(connector: Connector) -> dict[str, Any]:
    """What a worker's connector, built from the spec, must also know to map the records
    sent now as ``connector`` maps them (``connector.mapping_context()``, JSON values; {}
    for a connector without that method)."""
    given = getattr(connector, "mapping_context", None)
    return dict(given()) if given is not None else {}


def portable(connector: Connector, raw: RawRecord) -> bool:
    """Whether a worker may map ``raw`` (``connector.portable(raw)``; for a connector
    without that method, its ``portable_mapping``)."""
    check = getattr(connector, "portable", None)
    if check is None:
        return bool(getattr(connector, "portable_mapping", False))
    return bool(check(raw))


Packed = tuple[str, bytes, datetime, str, str | None]
"""A fetched record on its way to a worker: remote id, payload as JSON, fetch time, type,
and the payload's hash when the harvesting process has it (the worker computes it
otherwise: the harvesting process is a run's serial part)."""


def packed(raws: list[RawRecord], digests: list[str | None]) -> list[Packed] | None:
    """``raws`` with JSON payloads (orjson is ~10× faster than pickling nested dicts) and
    their ``digests``; None when a payload is not plain JSON."""
    try:
        return [
            (raw.remote_id, json_bytes(raw.payload), raw.fetched_at, raw.content_type, digest)
            for raw, digest in zip(raws, digests, strict=True)
        ]
    except orjson.JSONEncodeError:
        return None


def mapped(
    connector: Connector,
    raw: RawRecord,
    source_id: str,
    partner: PartnerInfo,
    *,
    pg_vectors: bool = False,
) -> Mapped:
    """Normalize, dump and derive one payload (in a worker or in the harvesting process;
    ``pg_vectors``: see :func:`harvester.prepare.derived`)."""
    try:
        record = connector.normalize(raw)
        derivation = derived(record, source_id, partner, pg_vectors=pg_vectors)
        return Mapped((dumped(record), derivation))
    except RecordSkipped:
        return Mapped()
    except Exception as error:  # one bad record must not stop the others
        return Mapped(error=MappingError.of(error))


def map_records(
    spec: SourceSpec,
    partner: PartnerInfo,
    records: list[Packed],
    pg_vectors: bool = False,
    context: dict[str, Any] | None = None,
) -> list[Mapped]:
    """Normalize, dump and derive each payload, and hash those sent without their hash
    (runs in a worker process). ``context``: what the run's connector said its worker
    counterpart must know (:func:`mapping_context`)."""
    connector = _connector(spec)
    if context:
        connector.use_mapping_context(context)  # type: ignore[attr-defined]
    out: list[Mapped] = []
    for remote_id, payload, fetched_at, content_type, digest in records:
        raw = RawRecord(remote_id, orjson.loads(payload), fetched_at, content_type)
        result = mapped(connector, raw, spec.id, partner, pg_vectors=pg_vectors)
        if digest is None:
            result.digest = payload_hash(raw.payload)
        out.append(result)
    return out


class BatchMapping:
    """One batch's records being mapped, in parts of :data:`CHUNK` records: each in a worker
    or, once :meth:`MappingPool.steal` took it before a worker started it, in a thread of
    the harvesting process."""

    def __init__(
        self,
        pool: MappingPool,
        spec: SourceSpec,
        partner: PartnerInfo,
        chunks: list[list[Packed]],
        parts: list[Future[list[Mapped]]],
        pg_vectors: bool = False,
        context: dict[str, Any] | None = None,
    ) -> None:
        self._pool = pool
        self._spec = spec
        self._partner = partner
        self._pg_vectors = pg_vectors
        self._context = context
        self._chunks: list[list[Packed] | None] = list(chunks)  # those no worker started
        self._parts = parts
        self._local: set[int] = set()  # parts stolen into the harvesting process

    def done(self) -> bool:
        return all(part.done() for part in self._parts)

    @property
    def stolen_parts(self) -> frozenset[int]:
        """The positions of the parts mapped in the harvesting process."""
        return frozenset(self._local)

    def cancel(self) -> None:
        for part in self._parts:
            part.cancel()
        self._pool.forget(self)

    def steal(self, executor: ThreadPoolExecutor) -> Future[list[Mapped]] | None:
        """Take the last part no worker has started and map it on ``executor``; None when
        every part is started or done. Parts are queued in order, so those not started are
        the last ones."""
        for index in range(len(self._parts) - 1, -1, -1):
            if index in self._local:
                continue
            records, self._chunks[index] = self._chunks[index], None
            if records is None or not self._parts[index].cancel():
                return None
            local = executor.submit(
                map_records, self._spec, self._partner, records, self._pg_vectors, self._context
            )
            self._parts[index] = local
            self._local.add(index)
            return local
        return None

    async def result(self) -> list[Mapped]:
        """The batch's results in order. If it must wait for a worker, the harvesting process
        first takes one part no worker has started of a later batch, else of this one
        (:meth:`MappingPool.steal`), and maps it in its thread meanwhile: one part per wait,
        so the workers always keep work queued. Raises what a worker raised
        (BrokenProcessPool)."""
        stole = False
        while True:
            waiting = [part for part in self._parts if not part.done()]
            for index, part in enumerate(self._parts):
                if part.done():
                    self._chunks[index] = None
            if not waiting:
                self._pool.forget(self)
                return [result for part in self._parts for result in part.result()]
            if not stole:
                stole = True
                self._pool.steal(after=self)
            await asyncio.wait(
                [asyncio.wrap_future(part) for part in waiting], return_when=FIRST_COMPLETED
            )


def _ready() -> bool:
    return True


def configured_processes() -> int:
    """Worker processes from ``MOISSON_MAP_PROCESSES`` (-1: one fewer than the CPUs)."""
    from harvester.settings import get_settings

    wanted = get_settings().map_processes
    if wanted >= 0:
        return min(wanted, MAX_PROCESSES)
    return max(0, min((os.cpu_count() or 1) - 1, MAX_PROCESSES))


class MappingPool:
    """A pool of mapping workers, started on first use and shared by the runs of this
    process; ``processes`` None reads ``MOISSON_MAP_PROCESSES``."""

    def __init__(self, processes: int | None = None, *, min_records: int = MIN_RECORDS) -> None:
        self.processes = processes
        self.min_records = min_records
        self.batches_sent = 0
        self.parts_stolen = 0
        self.losses = 0
        self._executor: ProcessPoolExecutor | None = None
        self._in_flight: list[BatchMapping] = []
        self._thread: ThreadPoolExecutor | None = None
        self._stolen: Future[list[Mapped]] | None = None
        self._warm: Future[bool] | None = None
        self._unavailable = False
        self._lock = threading.Lock()

    def possible_for(self, connector: Connector) -> bool:
        """Whether batches of ``connector`` may be mapped in a worker (without starting one)."""
        if self._unavailable or self.processes == 0:
            return False
        if not getattr(connector, "portable_mapping", False):
            return False
        spec = getattr(connector, "source", None)
        # a subclass the worker's registry would not know stays in process
        return isinstance(spec, SourceSpec) and get_connector(spec.platform) is type(connector)

    def usable_for(self, connector: Connector) -> bool:
        """Whether batches of ``connector`` can be mapped in a worker right now (starts the
        pool if needed; False while its first worker is still starting)."""
        if not self.possible_for(connector):
            return False
        with self._lock:
            if self._unavailable:
                return False
            if self._executor is None and not self._start():
                return False
            assert self._warm is not None
            return self._warm.done() and self._warm.exception() is None

    def start_for(self, connector: Connector) -> None:
        """Start the pool now, without waiting for it, if ``connector``'s batches can be
        mapped in a worker (a run that knows every record will need mapping)."""
        self.usable_for(connector)

    def _start(self) -> bool:
        processes = configured_processes() if self.processes is None else self.processes
        if processes == 0:
            self._unavailable = True
            return False
        context = multiprocessing.get_context("spawn")
        try:
            self._executor = ProcessPoolExecutor(
                processes, mp_context=context, initializer=skip_unused_imports
            )
            self._warm = self._executor.submit(_ready)
        except (OSError, AssertionError, RuntimeError) as error:  # e.g. in a daemon process
            log.warning("no mapping pool; mapping in process: %r", error)
            self._unavailable = True
            self._executor = self._warm = None
            return False
        return True

    def wait_ready(self, timeout: float) -> bool:
        """Block until the first worker answers (tests, benchmarks); False if it did not."""
        warm = self._warm
        if warm is None:
            return False
        try:
            return bool(warm.result(timeout))
        except Exception:
            return False

    def worker_pids(self) -> list[int]:
        """The pids of the live workers (for benchmarks that measure their memory)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return [pid for pid, process in processes.items() if process.is_alive()]

    def submit(
        self,
        spec: SourceSpec,
        partner: PartnerInfo,
        raws: list[RawRecord],
        digests: list[str | None] | None = None,
        *,
        pg_vectors: bool = False,
        context: dict[str, Any] | None = None,
    ) -> BatchMapping | None:
        """Map ``raws`` in a worker; None when the pool is unavailable. ``digests``: their
        payload hashes where known (by default those the connector gave), the worker
        computing the others (:attr:`Mapped.digest`). ``pg_vectors``: the records go to
        PostgreSQL, and the worker writes their search vectors (:func:`prepare.derived`).
        ``context``: see :func:`map_records`."""
        executor = self._executor
        if digests is None:
            digests = [raw.digest for raw in raws]
        records = packed(raws, digests) if executor is not None else None
        if executor is None or records is None:
            return None
        chunks = [records[start : start + CHUNK] for start in range(0, len(records), CHUNK)]
        try:
            parts = [
                executor.submit(map_records, spec, partner, chunk, pg_vectors, context)
                for chunk in chunks
            ]
        except (BrokenProcessPool, RuntimeError) as error:
            self.broken(error)
            return None
        self.batches_sent += 1
        batch = BatchMapping(self, spec, partner, chunks, parts, pg_vectors, context)
        self._in_flight = [*(b for b in self._in_flight if not b.done()), batch]
        return batch

    def forget(self, batch: BatchMapping) -> None:
        """``batch`` is read or abandoned: no part of it is to be taken any more."""
        self._in_flight = [b for b in self._in_flight if b is not batch]

    def steal(self, after: BatchMapping) -> bool:
        """Map in this process's thread the last part no worker has started of the newest
        batch in flight after ``after`` or, when none has one (the listing's last batch),
        of ``after`` itself, unless the thread is still mapping one; whether a part was
        taken."""
        if self._stolen is not None and not self._stolen.done():
            return False
        self._stolen = None
        if self._executor is None or after not in self._in_flight:
            return False
        later = self._in_flight[self._in_flight.index(after) + 1 :]
        for batch in [*reversed(later), after]:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="moisson-map")
            self._stolen = batch.steal(self._thread)
            if self._stolen is not None:
                self.parts_stolen += 1
                return True
        return False

    def broken(self, error: BaseException) -> None:
        """Drop a pool whose worker died; the next run starts a new one."""
        log.warning("mapping pool lost; mapping in process: %r", error)
        self.losses += 1
        with self._lock:
            executor, self._executor, self._warm = self._executor, None, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor, self._warm = self._executor, None, None
            thread, self._thread = self._thread, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if thread is not None:
            thread.shutdown(wait=True, cancel_futures=True)


POOL = MappingPool()
"""The pool of this process (used as ``mapping_pool.POOL``, so tests can swap it)."""
