"""A listing's next pages requested while the current one's records are handed out, when the
source is slow to answer.

A harvest lists a catalogue one page at a time: request, wait, hand the page's records to the
run (which maps and writes them, a batch every few pages), request the next. Against a
portal that takes a second to build a page, the harvest then idles a second per page, and
the portal idles while the run writes. :class:`PageReader` overlaps the two: once a page
took :data:`READ_AHEAD_AFTER` or longer to come, the connector names the pages it knows come
next (:meth:`PageReader.ahead`) before handing out the current page's records, and they are
requested, in order, while the run works. Still one request at a time per listing (the next
starts once the current one is answered), so per-host limits and politeness are unchanged;
only the idle time goes. What each listing names, once the current page's own checks passed:

* offset paging — CKAN, OpenDataSoft (v2.1 and v1), ArcGIS portal search (from the page's
  ``nextStart``), Socrata's ``offset`` paging (its incremental runs: the next page only,
  since they stop at the first older asset): the following offsets
  (:func:`following_offsets`), up to :data:`READ_AHEAD_RECORDS` records' worth, none past
  the first page's count, the API's offset cap or the page cap; without a count, the next
  page when this one was full;
* a cursor known only from the page — Socrata's ``scroll_id`` (the page's last id), DCAT
  RDF's ``hydra:next`` or CSW next record: that one page.

ArcGIS Hub feeds, DCAT-US ``data.json`` and OpenDataSoft's exports are one document each:
nothing to read ahead.

Against a quick source (the simulator on loopback, a fast portal) nothing is read ahead: the
requests' own CPU (HTTP parsing, decompression) would then only contend for the interpreter
with the run's writes, for no gain (measured in sessions 8, 18 and 23). Only requests are
made ahead, not the pages' parsing: the bytes of at most ``depth`` pages wait in memory.

Errors of a page read ahead surface where that page is asked for (:meth:`PageReader.page`),
after the previous page's records, as without reading ahead; the pages after a failed one
are not requested. A listing that stops early (a cap, a repeated page, an incremental
Socrata listing reaching older assets, a run that ends) drops what it read ahead and the
request in flight (:meth:`PageReader.aclose`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable
from contextlib import aclosing
from typing import Generic, TypeVar

from connectors.base import FetchStats

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

READ_AHEAD_AFTER = 0.05
"""Seconds a page's request must take for later pages to be requested ahead (a loopback or
nearby portal answers a 100-dataset page in a few milliseconds; a remote one in 0.2–3 s)."""


READ_AHEAD_RECORDS = 500
"""Records' worth of pages a listing may hold read ahead (about one batch of the run's, whose
write is the pause the requests fill; a page of 100 CKAN packages is ~0.5 MB)."""


def depth_for(page_size: int) -> int:
    """How many pages of ``page_size`` records to read ahead at most."""
    return max(1, READ_AHEAD_RECORDS // max(page_size, 1))


def following_offsets(
    start: int,
    count: int | None,
    page_size: int,
    number: int,
    max_pages: int,
    *,
    cap: int | None = None,
) -> list[tuple[int, int]]:
    """The pages ``(offset, number)`` that follow the current one of an offset-paged listing:
    the next at ``start``, numbered ``number``, then one every ``page_size``, up to
    :func:`depth_for` of them, none at or past ``count`` or the offset ``cap`` nor numbered
    past ``max_pages``. Without a count, only the next one (name it only when the current
    page says more come: it was full)."""
    depth = depth_for(page_size) if count is not None else 1
    ends = [end for end in (count, cap) if end is not None]
    end = min(ends) if ends else None
    found = []
    for ahead in range(depth):
        at = start + page_size * ahead
        if (end is not None and at >= end) or number + ahead > max_pages:
            break
        found.append((at, number + ahead))
    return found


class PageReader(Generic[K, T]):
    """Requests pages by key (``fetch(key)``), up to ``depth`` ahead when the source is slow."""

    def __init__(
        self,
        fetch: Callable[[K], Awaitable[T]],
        *,
        depth: int = 1,
        after: float = READ_AHEAD_AFTER,
    ) -> None:
        self._fetch = fetch
        self._depth = max(depth, 1)
        self._after = after
        self._ahead: dict[K, asyncio.Future[T]] = {}  # in the order they were named
        self._waiting: deque[tuple[K, asyncio.Future[T]]] = deque()  # not requested yet
        self._requests: asyncio.Task[None] | None = None
        self.slow = False
        """Whether the last request took :data:`READ_AHEAD_AFTER` or longer."""
        self.read_ahead = 0
        """Pages named to be read ahead so far (requested, or dropped before their turn)."""

    async def _timed(self, key: K) -> T:
        started = time.perf_counter()
        try:
            return await self._fetch(key)
        finally:
            self.slow = time.perf_counter() - started >= self._after

    async def page(self, key: K) -> T:
        """The page ``key``: the one read ahead when it is the next one named, else
        requested now (anything read ahead for other pages is dropped)."""
        if self._ahead and next(iter(self._ahead)) == key:
            return await self._ahead.pop(key)
        await self.aclose()
        return await self._timed(key)

    def ahead(self, *keys: K) -> None:
        """Name the pages that come next, in order; when the source is slow, they are
        requested one after another, at most ``depth`` of them waiting to be asked for."""
        if not self.slow:
            return
        for key in keys:
            if len(self._ahead) >= self._depth:
                break
            if key not in self._ahead:
                future = self._ahead[key] = asyncio.get_running_loop().create_future()
                self._waiting.append((key, future))
                self.read_ahead += 1
        if self._waiting and (self._requests is None or self._requests.done()):
            self._requests = asyncio.create_task(self._request_waiting())

    async def _request_waiting(self) -> None:
        while self._waiting:
            key, future = self._waiting.popleft()
            if future.done():  # dropped
                continue
            try:
                page = await self._timed(key)
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as error:  # raised where the page is asked for
                if not future.done():
                    future.set_exception(error)
                self._waiting.clear()  # nothing after a failed page is wanted
                return
            if not future.done():  # (one whose reader was cancelled is)
                future.set_result(page)

    async def aclose(self) -> None:
        """Drop what was read ahead and the request in flight, if any."""
        ahead, self._ahead = self._ahead, {}
        self._waiting.clear()
        requests, self._requests = self._requests, None
        if requests is not None:
            await _dropped(requests)
        for future in ahead.values():
            if future.done() and not future.cancelled():
                future.exception()  # a failure nobody asked for is nobody's error
            future.cancel()


async def _dropped(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it to end (a listing being cancelled stays cancelled)."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise


async def listed(
    reader: PageReader[K, T], listing: AsyncGenerator[R, None], stats: FetchStats
) -> AsyncIterator[R]:
    """The records of ``listing``, which pages through ``reader``; once it ends or is left,
    what was read ahead is dropped and counted in ``stats``."""
    try:
        async with aclosing(listing) as records:
            async for record in records:
                yield record
    finally:
        await reader.aclose()
        stats.read_ahead = reader.read_ahead
