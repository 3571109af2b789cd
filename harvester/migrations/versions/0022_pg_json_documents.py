"""PostgreSQL: a dataset's record and a raw payload as ``json``, not ``jsonb``

Revision ID: 0022_pg_json_documents
Revises: 0021_facet_rows_without_fk

Both documents are written whole and read whole: their JSON is parsed in Python, never
queried in SQL. ``jsonb`` made the server parse each one (~5 KB a record, 5–13 KB a
payload) into its binary form on every write and print it back as text on every read;
``json`` only checks the text and stores it as written. For 10 k simulated CKAN records:
1.04 → 0.55 s of the server's time to insert, 0.65 → 0.27 s to read back; their
payloads 1.25 → 0.83 s to insert. The text also keeps the order of its keys (``jsonb``
sorts them), so a record re-derived from its stored payload reads the keys in the order
its harvest read them.

Changing the type rewrites both tables and their indexes. The same statement sets lz4
again (migration 0015), which a type change resets, so the rewritten values are
compressed with it too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_pg_json_documents"
down_revision = "0021_facet_rows_without_fk"
branch_labels = None
depends_on = None

DOCUMENTS = (("dataset", "record"), ("raw_record", "payload"))


def _lz4_available() -> bool:
    offered = op.get_bind().scalar(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    return "lz4" in (offered or [])


def _retype(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps JSON as text
    compression = ", ALTER COLUMN {column} SET COMPRESSION lz4" if _lz4_available() else ""
    for table, column in DOCUMENTS:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} USING {column}::{kind}"
            + compression.format(column=column)
        )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
