"""harvest_run.bytes as a 64-bit integer

Revision ID: 0012_run_bytes_bigint
Revises: 0011_facet_sets

A run counts the bytes of every page it fetched. On PostgreSQL the column was a 32-bit
``integer``: a CKAN harvest failed at ~358,000 datasets (2.15 GB fetched, "value out of
int32 range" when the batch stored its counters). SQLite's INTEGER already holds 64 bits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_run_bytes_bigint"
down_revision = "0011_facet_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("harvest_run", "bytes", type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("harvest_run", "bytes", type_=sa.Integer(), existing_type=sa.BigInteger())
