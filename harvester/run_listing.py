"""The listing side of a run: page the connector in a task of its own, cut batches, send
each to a mapping worker as soon as it is cut, and hand the batches over to the writer in
order through a short queue.

Fetching and parsing the next pages then goes on while the previous batch's SQL runs (on
the driver's thread or the database server), and the mapping worker has the next batch
before it finishes the current one; in one coroutine each waited for the other. At most
``AHEAD`` cut batches wait for the writer, so memory stays bounded by the batch size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Connector, RawRecord, SourceSpec
from harvester import mapping_pool
from harvester.run_report import Cut, RunLost, map_ahead
from harvester.search.fields import PartnerInfo
from harvester.seen_ids import SeenIds
from harvester.store.datasets import source_partner

AHEAD = 1
"""Cut batches that may wait for the writer (besides the one it writes and the one being
fetched)."""


class Listing:
    """Iterate the full batches of a listing, in order; once iteration ends, ``rest`` is
    the last, partial batch and ``fatal`` the error that ended the listing early, if any.
    Iteration raises :class:`RunLost` when ``lost()`` turned true. Use as an async context
    manager: leaving it stops the listing and cancels the mappings nobody will write."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connector: Connector,
        *,
        seen_ids: SeenIds,
        since: datetime | None,
        batch_size: int,
        lost: Callable[[], bool],
        spec: SourceSpec,
        mapping_key: str | None,
        run_id: int | None = None,
    ) -> None:
        self.sessions = sessions
        self.run_id = run_id
        self.connector = connector
        self.seen_ids = seen_ids
        self.since = since
        self.batch_size = batch_size
        self.lost = lost
        self.spec = spec
        self.mapping_key = mapping_key
        self.fatal: Exception | None = None
        self.rest: Cut = Cut([], 0, 0, {})
        self._run_lost: RunLost | None = None
        self._cancelled = False
        # unbounded, so the end of the listing is always delivered; ``_room`` bounds the cuts
        self._cuts: asyncio.Queue[Cut | None] = asyncio.Queue()
        self._room = asyncio.Semaphore(AHEAD)
        self._task: asyncio.Task[None] | None = None
        self._listed = 0
        self._partner: PartnerInfo | None = None

    async def __aenter__(self) -> Listing:
        self._task = asyncio.create_task(self._list())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._cuts.empty():
            cut = self._cuts.get_nowait()
            if cut is not None and cut.mapping is not None:
                cut.mapping.cancel()

    def __aiter__(self) -> Listing:
        return self

    async def __anext__(self) -> Cut:
        cut = await self._cuts.get()
        if cut is not None:
            self._room.release()
            return cut
        if self._cancelled:  # e.g. the process stopping while a page was awaited
            raise asyncio.CancelledError
        if self._run_lost is not None:
            raise self._run_lost
        raise StopAsyncIteration

    def _cut(self, raws: list[RawRecord]) -> Cut:
        return Cut.of(raws, self.connector, self._listed)

    async def _list(self) -> None:
        batch: list[RawRecord] = []
        try:
            async for raw in self.connector.fetch(self.since):
                if self.lost():
                    raise RunLost(self.run_id)
                self._listed += 1
                self.seen_ids.add(raw.remote_id)
                batch.append(raw)
                if len(batch) >= self.batch_size:
                    cut, batch = self._cut(batch), []
                    await self._map_ahead(cut)
                    await self._room.acquire()
                    self._cuts.put_nowait(cut)
        except RunLost as error:
            self._run_lost = error
        except Exception as error:  # a connector's error or bug ends the listing, not the writes
            self.fatal = error
        except asyncio.CancelledError:
            self._cancelled = True
            raise
        finally:
            self.rest = self._cut(batch)
            self._cuts.put_nowait(None)

    async def _map_ahead(self, cut: Cut) -> None:
        if not mapping_pool.POOL.possible_for(self.connector):
            return
        if self._partner is None:
            async with self.sessions() as session:
                self._partner = await source_partner(session, self.spec.id)
        await map_ahead(
            self.sessions,
            self.spec.id,
            cut,
            self.mapping_key,
            self.connector,
            self.spec,
            self._partner,
        )
