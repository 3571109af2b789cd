"""Writing again the records a run's listing made stale after they were written.

A record's mapping may read what its connector listed after it: a DCAT-US parent is a
series only once a child's ``isPartOf`` names it, and a parent listed before its children
was mapped and written as none (``connectors.base.Revisiting``). Once the listing has
ended, each such record is rebuilt from its stored payload, given back to the connector
(which marks it) and written again, one at a time: a handful per run, each counted once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Connector, RawRecord, Revisiting
from harvester.run_report import Cut, Report, flush
from harvester.store.among import among
from harvester.store.db import dialect_name
from harvester.store.tables import Dataset, HarvestRun
from harvester.store.tables import HarvestError as HarvestErrorRow
from harvester.store.tables import RawRecord as RawRow

COUNTED = ("added", "updated", "unchanged", "failed", "skipped")
"""The run's counters a rewrite must not count a second time."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as this run left it: its raw payload, and whether this run counted it
    unchanged (its dataset neither inserted nor rewritten since the run started)."""

    raw: RawRecord
    counted_unchanged: bool


async def revisit_stale(
    sessions: async_sessionmaker[AsyncSession],
    connector: Connector,
    report: Report,
    mapping_key: str | None,
) -> int:
    """Write again the records ``connector`` says are stale; returns how many it rewrote.

    The run had counted each when its batch was written; a rewrite turns an "unchanged"
    into an "updated", and leaves an "added" or "updated" as it was."""
    if not isinstance(connector, Revisiting):
        return 0
    stale = connector.stale()
    if not stale:
        return 0
    run = report.run
    async with sessions() as session:
        stored = await stored_records(session, run, stale)
    rewritten = 0
    for record in stored:
        before = {name: getattr(run, name) for name in COUNTED}
        cut = Cut([connector.revisited(record.raw)], run.pages, run.bytes, dict(run.cursor))
        await flush(sessions, run.source_id, cut, report, connector, mapping_key)
        changed = run.updated > before["updated"]
        for name, value in before.items():
            setattr(run, name, value)
        if changed:
            rewritten += 1
            if record.counted_unchanged:
                run.unchanged -= 1
                run.updated += 1
    return rewritten


async def stored_records(
    session: AsyncSession, run: HarvestRun, remote_ids: list[str]
) -> list[StoredRecord]:
    """The stored raw records of ``remote_ids`` in ``run``'s source, in that order: those
    with a dataset row and no error in ``run`` (a record that failed there left an earlier
    payload stored, which this run did not read)."""
    r, d = RawRow.__table__.c, Dataset.__table__.c  # type: ignore[attr-defined]
    e = HarvestErrorRow.__table__.c  # type: ignore[attr-defined]
    failed = sa.exists().where(e.run_id == run.id, e.remote_id == r.remote_id)
    rows = await session.execute(
        sa.select(r.remote_id, r.payload, r.content_type, r.fetched_at, d.first_seen, d.updated_at)
        .join(Dataset, sa.and_(d.source_id == r.source_id, d.remote_id == r.remote_id))
        .where(
            r.source_id == run.source_id,
            among(r.remote_id, remote_ids, dialect_name(session)),
            ~failed,
        )
    )
    since = run.started_at
    found: dict[str, StoredRecord] = {}
    for remote_id, payload, content_type, fetched_at, first_seen, updated_at in rows:
        raw = RawRecord(remote_id, payload, fetched_at, content_type)
        found[remote_id] = StoredRecord(raw, first_seen < since and updated_at < since)
    return [found[i] for i in remote_ids if i in found]
