"""Reading ``dataset.record`` back in bulk: as its stored JSON text, validated from it.

The JSON column decodes each record into a dict (SQLAlchemy's processor on SQLite, the
asyncpg codec on PostgreSQL) that pydantic then validates: ~77 µs a record. Selecting
:func:`record_text` and validating with :func:`stored_record` parses and validates in
one pass in pydantic-core: ~46 µs (session 32). Both give the same record
(``catalog.model.Moment`` reads dates alike in both modes; a test reads every golden
record both ways). Used by ``moisson export``, the quality backfill, the partner-facet
rewrite and the API's DCAT-AP feeds (:func:`load_record_rows`, a search's row loader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog.model import DatasetRecord
from harvester.store.tables import Dataset


def record_text() -> sa.Cast[Any]:
    """``dataset.record`` as its stored JSON text (``CAST … AS TEXT``), for
    :func:`stored_record`."""
    return sa.cast(col(Dataset.record), sa.Text)


def stored_record(text: str | bytes) -> DatasetRecord:
    """A record read by :func:`record_text`, validated (``pydantic.ValidationError`` when
    it is no longer a valid record)."""
    return DatasetRecord.model_validate_json(text)


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A dataset's id and stored record as JSON text (:func:`stored_record` validates it),
    with the columns a search page's cursor reads (``harvester.search.engine.PageRow``)."""

    pk: int
    id: str
    modified: datetime | None
    title_sort: str
    record: str


async def load_record_rows(session: AsyncSession, pks: list[int]) -> dict[int | None, RecordRow]:
    """:class:`RecordRow` rows of ``pks``, by pk (a search's ``load``, for the readers that
    validate every record of a page: the DCAT-AP feeds)."""
    statement = sa.select(
        col(Dataset.pk),
        col(Dataset.id),
        col(Dataset.modified),
        col(Dataset.title_sort),
        record_text(),
    ).where(col(Dataset.pk).in_(pks))
    return {row[0]: RecordRow(*row) for row in await session.execute(statement)}
