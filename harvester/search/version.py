"""The catalogue version that search caches and ETags depend on, read from two indexes.

The newest change-feed stamp and write time, each ``max()`` its own scalar subquery: SQLite
answers a lone ``max()`` from an index, while ``SELECT max(a), max(b)`` scans the table
(340–770 ms at 100 k datasets, whose rows spill into overflow pages).

On PostgreSQL, transactions commit out of stamp order: one committing after the read may
land below the newest stamp and leave both as they were. The version there also holds the
newest stamping transaction and the transactions in progress, read in the same snapshot
(:data:`IN_FLIGHT`). If the later committer's id is below the snapshot's ``xmax``, the
snapshot lists it in progress, and it leaves the list; if not (it took its id after the
read, or was the newest one), its id is above every committed one, so the newest
``change_txid`` grows. Transactions of other databases move neither, running or done (the
snapshot's ``xmin``, used before, is the *next* id when nothing runs: any write anywhere
in the cluster moved it and emptied the caches).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.search.changes import IN_PROGRESS_HERE
from harvester.store.db import dialect_name
from harvester.store.sqlite_inline import read_rows
from harvester.store.tables import Dataset
from harvester.store.types import sqlite_utc

_NEWEST = sa.select(
    sa.select(sa.func.max(col(Dataset.change_seq))).scalar_subquery(),
    sa.select(sa.func.max(col(Dataset.updated_at))).scalar_subquery(),
)
"""Built once: every request reads it, and building it cost more than running it."""
_NEWEST_SQLITE = str(_NEWEST.compile(dialect=sqlite.dialect()))
"""Its SQL, run past SQLAlchemy's execution on SQLite (0.12 ms → 0.02 ms)."""

IN_FLIGHT = (
    "coalesce((SELECT max(change_txid) FROM dataset), 0)::text || ':' || array_to_string("
    f"ARRAY(SELECT x FROM ({IN_PROGRESS_HERE}) AS here ORDER BY x), ',')"
)
"""PostgreSQL: the newest stamping transaction and the transactions in progress but those of
other databases (:data:`~harvester.search.changes.IN_PROGRESS_HERE`: they cannot write this
catalogue, and a busy neighbour would change the key on every call)."""
_NEWEST_POSTGRES = _NEWEST.add_columns(sa.literal_column(IN_FLIGHT, sa.Text))


CatalogVersion = tuple[int | None, datetime | None, str | None]
"""(newest ``change_seq``, newest ``updated_at``, PostgreSQL's :data:`IN_FLIGHT`)."""


async def catalog_version(session: AsyncSession) -> CatalogVersion:
    """(newest ``change_seq``, newest ``updated_at``, transactions in flight: PostgreSQL
    only) of the catalogue."""
    if dialect_name(session) == "sqlite":
        [(newest, latest)] = await read_rows(session, _NEWEST_SQLITE)
        return newest, sqlite_utc(latest), None  # text: SQLite's aggregates keep no type
    connection = await session.connection()  # Core: the ORM's execution costs more
    newest, latest, in_flight = (await connection.execute(_NEWEST_POSTGRES)).one()
    return newest, latest, in_flight
