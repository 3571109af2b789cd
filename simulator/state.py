"""The simulator's state: its knobs, the corpus of the current generation, caches, counters.

Platforms ask :meth:`SimState.answer` for every listing page: it applies the latency and
the fault plan, and serves rendered pages from a bounded cache (benchmarks warm it so the
simulator's own rendering does not limit what they measure).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from simulator.corpus import Corpus, CorpusSpec
from simulator.faults import FaultPlan, FaultState, fault_response, faulty_stream

PLATFORMS: tuple[str, ...] = (
    "ckan",
    "socrata",
    "datajson",
    "dcat_turtle",
    "opendatasoft",
    "arcgis_portal",
    "arcgis_hub",
)
"""Simulated platforms (``datajson`` = ArcGIS Hub style DCAT-US ``/data.json``;
``arcgis_portal`` = an ArcGIS Online / Enterprise sharing API under ``/portal``;
``arcgis_hub`` = the same feed as a Hub site serves it, at ``/api/feed/dcat-us/1.1.json``)."""

HydraStyle = Literal["legacy", "current"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Every knob of a simulated portal."""

    spec: CorpusSpec = field(default_factory=CorpusSpec)
    platforms: tuple[str, ...] = PLATFORMS
    page_size: int = 100
    """Default page size (CKAN ``rows``/Socrata ``limit`` when not asked; Turtle pages)."""
    max_page_size: int = 1000
    latency: float = 0.0
    """Seconds before every answer."""
    faults: FaultPlan = field(default_factory=FaultPlan)
    hydra: HydraStyle = "legacy"
    """Turtle paging terms: ``legacy`` (hydra:PagedCollection, nextPage) or ``current``
    (hydra:PartialCollectionView, next)."""
    cache_bytes: int = 256 * 1024 * 1024
    """Rendered pages kept in memory (0: render every request)."""


class PageCache:
    """A byte-bounded LRU of rendered pages."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self.rendered = 0
        """Pages rendered (not found in the cache), since the simulator started."""
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
                return found
        body = render()
        self.rendered += 1
        if self.budget and len(body) <= self.budget:
            with self._lock:
                self._pages[key] = body
                self.size += len(body)
                while self.size > self.budget:
                    _, dropped = self._pages.popitem(last=False)
                    self.size -= len(dropped)
        return body

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.size = 0


class SimState:
    """What a running simulator knows; safe to switch generation from another thread."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.corpus = Corpus(config.spec)
        self.faults = FaultState(config.faults)
        self.pages = PageCache(config.cache_bytes)
        self.requests = 0
        self._memo: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        return self.corpus.spec.generation

    def set_generation(self, generation: int, *, stamp: datetime | None = None) -> Corpus:
        """Switch to ``generation``; generations newer than the stamps known so far happened
        now (or at ``stamp``), so modified-since filters see what they changed."""
        spec = self.corpus.spec
        stamps = list(spec.stamps)
        when = stamp or datetime.now(UTC)
        while len(stamps) < generation:
            stamps.append(when)
        corpus = Corpus(replace(spec, generation=generation, stamps=tuple(stamps)))
        with self._lock:
            self.corpus = corpus
            self._memo.clear()
        self.pages.clear()
        return corpus

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per generation (orderings, filtered listings)."""
        corpus = self.corpus
        full_key = (id(corpus), key)
        found = self._memo.get(full_key)
        if found is None:
            found = compute()
            with self._lock:
                if self.corpus is corpus:
                    self._memo[full_key] = found
        return found  # type: ignore[return-value]

    def page_size(self, asked: str | None) -> int:
        try:
            size = int(asked) if asked not in (None, "") else self.config.page_size
        except ValueError:
            size = self.config.page_size
        return max(0, min(size, self.config.max_page_size))

    async def answer(
        self,
        request: Request,
        *,
        page: int,
        render: Callable[[], bytes],
        media_type: str,
        cache_key: Hashable | None = None,
    ) -> Response:
        """One listing page: latency, then the fault plan, then the (cached) body."""
        self.requests += 1
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        fault = self.faults.take(_request_key(request), page)
        if cache_key is not None:
            key = (id(self.corpus), cache_key)
            body = self.pages.get(key, render)
        else:
            body = render()
        if fault is None:
            return Response(body, media_type=media_type)
        return fault_response(fault, body, media_type, self.config.faults)

    async def stream(
        self, request: Request, *, chunks: Callable[[], Iterable[bytes]], media_type: str
    ) -> Response:
        """A streamed document (page 1): latency and faults as for :meth:`answer`."""
        self.requests += 1
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        fault = self.faults.take(_request_key(request), 1)
        if fault in ("429", "503", "500", "html"):
            return fault_response(fault, b"", media_type, self.config.faults)
        return StreamingResponse(
            faulty_stream(chunks(), fault, self.config.faults), media_type=media_type
        )


def _request_key(request: Request) -> str:
    return f"{request.url.path}?{request.url.query}"
