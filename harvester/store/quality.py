"""The ``dataset_quality`` table: conformity and action-plan facts of each dataset.

:func:`index_quality` is called for the records a harvest batch wrote; :func:`backfill_quality`
fills the rows that are missing, stale (record updated since) or computed by older rules,
so the indicators also work on data harvested before this table existed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog import conformity
from catalog.model import DatasetRecord
from harvester.quality_facts import QualityFacts, quality_facts
from harvester.store.bulk import copied_new, execute_many, upsert
from harvester.store.db import dialect_name
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.stored_records import record_text, stored_record
from harvester.store.tables import Dataset
from harvester.store.types import utcnow

BACKFILL_BATCH = 500


def published_on(issued: date | datetime | None, first_seen: datetime | None) -> date:
    """The day a dataset was first published: ``issued`` when the source says, else the day
    Moisson first saw it."""
    if isinstance(issued, datetime):
        return (issued if issued.tzinfo else issued.replace(tzinfo=UTC)).astimezone(UTC).date()
    if isinstance(issued, date):
        return issued
    return (first_seen or utcnow()).astimezone(UTC).date()


def quality_values(
    pk: int, facts: QualityFacts, first_seen: datetime | None, checked_at: datetime
) -> dict[str, Any]:
    """The ``dataset_quality`` row of dataset ``pk``, checked at ``checked_at``."""
    published = published_on(facts.issued, first_seen)
    return {
        "dataset_pk": pk,
        "published": published,
        "published_month": published.strftime("%Y-%m"),
        "conforms": facts.conforms,
        "failed_rules": facts.failed_rules,
        "verdicts": facts.verdicts,
        "is_csv": facts.is_csv,
        "csv_api": facts.csv_api,
        "hvd": bool(facts.hvd_categories),
        "hvd_categories": facts.hvd_categories,
        "rules_version": conformity.RULES_VERSION,
        "checked_at": checked_at,
    }


def quality_row(
    pk: int, record: DatasetRecord, first_seen: datetime | None, checked_at: datetime
) -> dict[str, Any]:
    """The ``dataset_quality`` values of one record."""
    return quality_values(pk, quality_facts(record), first_seen, checked_at)


def _quality_upsert(dialect: str, columns: Sequence[str]) -> Any:
    table = DatasetQuality.__table__  # type: ignore[attr-defined]
    return upsert(dialect, table, ["dataset_pk"], [c for c in columns if c != "dataset_pk"])


async def _upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    build = partial(_quality_upsert, dialect_name(session), list(rows[0]) if rows else [])
    await execute_many(session, "quality upsert", rows, build)


async def index_quality(
    session: AsyncSession,
    rows: list[tuple[int, QualityFacts]],
    *,
    first_seen: dict[int, datetime | None] | None = None,
    fresh: Collection[int] = (),
) -> None:
    """Store the quality of the datasets ``rows`` (pk, facts) just written; ``first_seen``
    (by pk), when the caller knows it, saves reading it back; ``fresh``: the datasets the
    caller just inserted (no quality row yet: PostgreSQL takes theirs by ``COPY``)."""
    if not rows:
        return
    if first_seen is None:
        found = await session.execute(
            sa.select(col(Dataset.pk), col(Dataset.first_seen)).where(
                col(Dataset.pk).in_([pk for pk, _ in rows])
            )
        )
        first_seen = {pk: seen for pk, seen in found.all() if pk is not None}
    # one time for the batch: its rows are checked together (and bound once, not per row)
    now = utcnow()
    values = [quality_values(pk, facts, first_seen.get(pk), now) for pk, facts in rows]
    table = DatasetQuality.__table__  # type: ignore[attr-defined]
    await _upsert(
        session, await copied_new(session, "quality insert", table, values, fresh, "dataset_pk")
    )


async def backfill_quality(session: AsyncSession, *, batch: int = BACKFILL_BATCH) -> int:
    """Fill missing or stale quality rows; returns how many were computed. Flushes only."""
    quality = DatasetQuality.__table__  # type: ignore[attr-defined]
    stale = sa.or_(
        quality.c.dataset_pk.is_(None),
        quality.c.rules_version != conformity.RULES_VERSION,
        quality.c.checked_at < col(Dataset.updated_at),
    )
    done = 0
    after = 0
    while True:
        found: Sequence[Any] = (
            await session.execute(
                sa.select(col(Dataset.pk), record_text(), col(Dataset.first_seen))
                .outerjoin(quality, quality.c.dataset_pk == col(Dataset.pk))
                .where(stale, col(Dataset.pk) > after)
                .order_by(col(Dataset.pk))
                .limit(batch)
            )
        ).all()
        if not found:
            return done
        now = utcnow()
        rows = [
            quality_row(pk, stored_record(record), first_seen, now)
            for pk, record, first_seen in found
        ]
        await _upsert(session, rows)
        done += len(rows)
        after = found[-1][0]
