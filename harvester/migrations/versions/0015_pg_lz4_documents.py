"""PostgreSQL: lz4 compression for the large documents a harvest writes

Revision ID: 0015_pg_lz4_documents
Revises: 0014_lean_facet_writes

A stored record (``dataset.record``, ~5 KB of JSON), its raw payload
(``raw_record.payload``) and a dataset's search text and tsvector (``search_doc``) are
larger than PostgreSQL's TOAST threshold (~2 KB), so every write compressed them with the
default ``pglz``. lz4 compresses several times faster and decompresses faster too, for a
few percent more space: 10 k records into ``jsonb`` columns took 1.5 s with pglz and 0.7 s
with lz4 (57 and 63 MB), reading a field of each 258 and 118 ms. Only values written from
now on are compressed with lz4 (``SET COMPRESSION`` rewrites nothing); older ones stay
readable as they are. Skipped on a server built without lz4 (its
``default_toast_compression`` does not offer it). SQLite stores the same text uncompressed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_pg_lz4_documents"
down_revision = "0014_lean_facet_writes"
branch_labels = None
depends_on = None

DOCUMENTS = {
    "dataset": ("record",),
    "raw_record": ("payload",),
    "search_doc": ("title_fr", "title_en", "body_fr", "body_en", "vector"),
}
"""The columns whose values are compressed with lz4 on PostgreSQL."""


def _lz4_available() -> bool:
    offered = op.get_bind().scalar(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    return "lz4" in (offered or [])


def _set(method: str) -> None:
    for table, columns in DOCUMENTS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql" and _lz4_available():
        _set("lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _set("default")
