"""The change feed: every dataset in the order of its latest change, resumable.

Triggers (migration 0003) stamp each insert, content change and withdrawal with
``(change_txid, change_seq)``. On PostgreSQL, transactions may commit out of ``seq`` order,
so the feed only returns rows whose transaction id is below the oldest transaction of this
database still running at the reader's snapshot (:data:`_HORIZON`): nothing can later appear
before a position already served.
SQLite has a single writer and needs no such horizon. A dataset changed again moves to the
end of the feed, so a reader that keeps up sees each change at least once. A change the
triggers do not see (what the index derives from a dataset's source, not its record) is
stamped the same way by :func:`stamp`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.store.db import dialect_name
from harvester.store.tables import Dataset

Position = tuple[int, int]

IN_PROGRESS_HERE = """
SELECT x FROM pg_snapshot_xip(pg_current_snapshot()) AS x
WHERE x::text::bigint % 4294967296 NOT IN (
    SELECT backend_xid::text::bigint FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())
"""
"""PostgreSQL: the transactions in progress at the snapshot (``x``, ``xid8``), but those
``pg_stat_activity`` shows in another database of the cluster (transaction ids are
cluster-wide; those cannot write this database)."""

_HORIZON = f"""
SELECT least(
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
    (SELECT min(x::text::bigint) FROM ({IN_PROGRESS_HERE}) AS here))
"""
"""The oldest transaction this reader cannot see yet: the oldest one in progress at the
snapshot, except those known to write another database of the cluster (transaction ids are
cluster-wide; a long transaction elsewhere must not stall this feed), else the next id."""


class PositionError(ValueError):
    """A ``since`` token this API did not issue."""


def encode_position(position: Position) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode().rstrip("=")


def decode_position(token: str) -> Position:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        txid, seq = text.split(".")
        return int(txid), int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PositionError("not a position returned by this feed") from None


@dataclass(slots=True)
class ChangePage:
    rows: list[Dataset]
    position: Position
    more: bool


def change_kind(row: Dataset) -> str:
    if row.withdrawn_at is not None:
        return "withdrawn"
    return "added" if row.first_seen == row.updated_at else "updated"


async def changes(
    session: AsyncSession,
    position: Position = (0, 0),
    *,
    changed_since: datetime | None = None,
    limit: int = 100,
) -> ChangePage:
    """Datasets changed after ``position`` (and, if given, at or after ``changed_since``)."""
    txid, seq = col(Dataset.change_txid), col(Dataset.change_seq)
    statement = (
        sa.select(Dataset)
        .where(seq.is_not(None), sa.tuple_(txid, seq) > sa.tuple_(*position))
        .order_by(txid, seq)
        .limit(limit + 1)
    )
    if dialect_name(session) == "postgresql":
        horizon = await session.scalar(sa.text(_HORIZON))
        statement = statement.where(txid < int(horizon))
    if changed_since is not None:
        statement = statement.where(
            sa.or_(
                col(Dataset.updated_at) >= changed_since,
                col(Dataset.withdrawn_at) >= changed_since,
            )
        )
    rows = list((await session.scalars(statement)).all())
    page = rows[:limit]
    last = (page[-1].change_txid, page[-1].change_seq or 0) if page else position
    return ChangePage(rows=page, position=last, more=len(rows) > limit)


NEXT_CHANGE_SEQ = (
    sa.select(sa.func.coalesce(sa.func.max(col(Dataset.change_seq)), 0) + 1)
    .scalar_subquery()
    .correlate(None)
)
"""SQLite's next change position, as its triggers compute it (migrations 0003, 0014)."""


def stamped_update(dialect: str) -> sa.Update:
    """``UPDATE dataset … WHERE pk = :b_pk`` that stamps the row as changed now, as the
    triggers stamp a content change (PostgreSQL's of migration 0003 on any update, SQLite's
    on a content change only); rows may carry values of other columns to set with it."""
    table = Dataset.__table__  # type: ignore[attr-defined]
    stamp: dict[str, sa.ColumnElement[int]] = {"change_seq": NEXT_CHANGE_SEQ}
    if dialect == "postgresql":
        stamp = {
            "change_seq": sa.func.nextval("dataset_change_seq"),
            "change_txid": sa.literal_column("pg_current_xact_id()::text::bigint"),
        }
    return table.update().where(table.c.pk == sa.bindparam("b_pk")).values(**stamp)


async def stamp(session: AsyncSession, pks: Sequence[int]) -> None:
    """Stamp these datasets as changed now, one row at a time (SQLite: distinct stamps):
    they move to the end of the feed, and the catalogue version
    (:mod:`harvester.search.version`) moves, so counts cached for it are made again."""
    if pks:
        statement = stamped_update(dialect_name(session))
        await session.execute(statement, [{"b_pk": pk} for pk in pks])
