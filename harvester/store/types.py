"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite :func:`sqlite_utc_text`: the text :meth:`process_bind_param` then
        SQLite's ``DATETIME`` formatting give, without their Python %-formatting. Elsewhere
        SQLAlchemy's chain."""
        if dialect.name == "sqlite":
            return sqlite_utc_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """A ``UTCDateTime`` as SQLite keeps it (naive UTC text in SQLAlchemy's storage format,
    ``YYYY-MM-DD HH:MM:SS.ffffff``), the type's bind processing on SQLite: written by
    ``isoformat`` instead of SQLAlchemy's %-formatting (~2 µs a value instead of ~4). A naive
    value is UTC already; an aware one's text is cut before its offset (years have four
    digits)."""
    if value is None:
        return None
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def sqlite_utc(value: str | None) -> datetime | None:
    """A ``UTCDateTime`` as SQLite keeps it (naive UTC text) read past SQLAlchemy, as the
    column reads it."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


JSONDocument: sa.types.TypeEngine[Any] = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""A JSON document column: JSONB on PostgreSQL, JSON text on SQLite."""

WholeJSONDocument: sa.types.TypeEngine[Any] = sa.JSON().with_variant(
    postgresql.JSON(), "postgresql"
)
"""A large JSON document always written and read whole, never queried in SQL (a dataset's
record, a raw payload): ``json`` on PostgreSQL, which checks the text and keeps it as
written (``jsonb`` parsed it into its binary form on every write, printed it back on every
read and sorted its keys; migration 0022), JSON text on SQLite."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
