"""What each listing page gave in the last run that fetched it, so that a page fetched again
byte for byte is not cut again.

Cutting a Turtle page into its datasets' payloads is most of an unchanged re-harvest of an
RDF catalogue (:mod:`connectors.dcat_rdf`). A page's digest covers its URL, media type,
format option and bytes (:func:`connectors.dcat_rdf.page_digest`), salted here with the
run's mapping key, which changes with the connector's code and the source's options. Its
row lists the datasets it gave with their payload hashes, its next page and stated total.
When the digest comes back, the payloads are read from ``raw_record``, each checked against
the hash the row holds: a record written since (another page listing it), or gone, and the
page is cut as usual. Rows are written after each batch the run writes (a row whose
records were not written fails that check, so order does not matter); a complete run drops
the rows of pages it did not fetch.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel, col

from connectors.base import RememberedPage
from harvester.store.bulk import slices, upsert
from harvester.store.datasets import payload_hash
from harvester.store.db import dialect_name
from harvester.store.tables import RawRecord
from harvester.store.types import JSONDocument

log = structlog.get_logger(__name__)

IN_CHUNK = 500
"""Remote ids per ``IN (…)``."""


class PageMemoRow(SQLModel, table=True):
    """One page as the last run that fetched it found it (migration 0019)."""

    __tablename__ = "page_memo"

    source_id: str = Field(foreign_key="source.id", primary_key=True)
    digest: str = Field(primary_key=True, max_length=64)
    entries: Any = Field(sa_type=JSONDocument)
    """``[[remote id, payload hash], …]`` in the page's order."""
    next_url: str | None = Field(default=None, sa_type=sa.Text)
    total: int | None = None
    run_id: int
    """The last run that fetched the page (not a foreign key: retention deletes runs)."""


class RunPageMemo:
    """The page memo of one run of one source (:class:`connectors.base.PageMemo`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source_id: str,
        run_id: int,
        mapping_key: str | None,
    ) -> None:
        self._sessions = sessions
        self._source_id = source_id
        self._run_id = run_id
        self._salt = (mapping_key or "").encode()
        self._new: dict[str, dict[str, Any]] = {}
        self._recalled: list[str] = []

    def _key(self, digest: str) -> str:
        return hashlib.sha256(self._salt + digest.encode()).hexdigest()

    async def recall(self, digest: str, /) -> RememberedPage | None:
        key = self._key(digest)
        try:
            async with self._sessions() as session:
                row = await session.get(PageMemoRow, (self._source_id, key))
                if row is None:
                    return None
                entries: list[list[str]] = row.entries
                ids = [entry[0] for entry in entries]
                stored = await _stored_payloads(session, self._source_id, ids)
        except sa.exc.SQLAlchemyError as error:  # the page is cut instead
            log.warning("page memo unreadable", source=self._source_id, error=repr(error))
            return None
        datasets = []
        for remote_id, digest_then in entries:
            found = stored.get(remote_id)
            if found is None or found[0] != digest_then:
                return None
            datasets.append((remote_id, found[1]))
        self._recalled.append(key)
        return RememberedPage(datasets, row.next_url, row.total, [entry[1] for entry in entries])

    def remember(self, digest: str, page: RememberedPage, /) -> None:
        self._new[self._key(digest)] = {
            "entries": [
                [remote_id, payload_digest]
                for (remote_id, _), payload_digest in zip(
                    page.datasets, _digests(page), strict=True
                )
            ],
            "next_url": page.next_url,
            "total": page.total,
        }

    async def save(self, *, prune: bool = False) -> None:
        """Write the pages remembered and mark those recalled since the last call; with
        ``prune`` (after a complete listing), drop the source's pages this run did not
        fetch. A failure is logged, not raised: the memo only saves work."""
        try:
            await self._write()
            if prune:
                await self._prune()
        except sa.exc.SQLAlchemyError as error:
            log.warning("page memo not saved", source=self._source_id, error=repr(error))

    async def _write(self) -> None:
        new, self._new = self._new, {}
        recalled, self._recalled = self._recalled, []
        if not new and not recalled:
            return
        table = PageMemoRow.__table__  # type: ignore[attr-defined]
        async with self._sessions() as session, session.begin():
            if new:
                columns = ["entries", "next_url", "total", "run_id"]
                statement = upsert(dialect_name(session), table, ["source_id", "digest"], columns)
                await session.execute(
                    statement,
                    [
                        {"source_id": self._source_id, "digest": key, "run_id": self._run_id}
                        | values
                        for key, values in new.items()
                    ],
                )
            if recalled:
                await session.execute(
                    sa.update(table)
                    .where(table.c.source_id == self._source_id, table.c.digest.in_(recalled))
                    .values(run_id=self._run_id)
                )

    async def _prune(self) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                sa.delete(PageMemoRow).where(
                    col(PageMemoRow.source_id) == self._source_id,
                    col(PageMemoRow.run_id) != self._run_id,
                )
            )


def _digests(page: RememberedPage) -> list[str]:
    if page.digests is not None:
        return page.digests
    return [payload_hash(payload) for _, payload in page.datasets]


async def _stored_payloads(
    session: AsyncSession, source_id: str, remote_ids: list[str]
) -> dict[str, tuple[str, Any]]:
    """``remote id → (payload hash, payload)`` of the stored raw records."""
    r = RawRecord.__table__.c  # type: ignore[attr-defined]
    found: dict[str, tuple[str, Any]] = {}
    for chunk in slices(remote_ids, IN_CHUNK):
        rows = await session.execute(
            sa.select(r.remote_id, r.payload_hash, r.payload).where(
                r.source_id == source_id, r.remote_id.in_(chunk)
            )
        )
        for remote_id, digest, payload in rows:
            found[remote_id] = (digest, payload)
    return found
