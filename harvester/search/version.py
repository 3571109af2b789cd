"""The catalogue version that search caches and ETags depend on, read from two indexes.

The newest change-feed stamp and write time, each ``max()`` its own scalar subquery: SQLite
answers a lone ``max()`` from an index, while ``SELECT max(a), max(b)`` scans the table
(340–770 ms at 100 k datasets, whose rows spill into overflow pages).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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


CatalogVersion = tuple[int | None, datetime | None]
"""(newest ``change_seq``, newest ``updated_at``)."""


async def catalog_version(session: AsyncSession) -> CatalogVersion:
    """(newest ``change_seq``, newest ``updated_at``) of the catalogue."""
    if dialect_name(session) == "sqlite":
        [(newest, latest)] = await read_rows(session, _NEWEST_SQLITE)
        latest = sqlite_utc(latest)  # text: SQLite's aggregates keep no column type
    else:
        connection = await session.connection()  # Core: the ORM's execution costs more
        newest, latest = (await connection.execute(_NEWEST)).one()
    return newest, latest
