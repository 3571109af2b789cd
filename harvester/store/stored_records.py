"""Reading ``dataset.record`` back in bulk: as its stored JSON text, validated from it.

The JSON column decodes each record into a dict (SQLAlchemy's processor on SQLite, the
asyncpg codec on PostgreSQL) that pydantic then validates: ~77 µs a record. Selecting
:func:`record_text` and validating with :func:`stored_record` parses and validates in
one pass in pydantic-core: ~46 µs (session 32). Both give the same record
(``catalog.model.Moment`` reads dates alike in both modes; a test reads every golden
record both ways).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
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
