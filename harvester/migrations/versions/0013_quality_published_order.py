"""dataset_quality: an index in the partnership listing's order

Revision ID: 0013_quality_published_order
Revises: 0005

``GET /api/v1/partnership/datasets`` lists newest publications first, ties by dataset:
``ORDER BY published DESC, dataset_pk``. ``ix_dataset_quality_published (published)`` cannot
give that mixed order, so every page sorted the whole filtered set (100 k datasets on
SQLite: 77 ms for the first page, 720 ms at offset 5000). ``published`` is NOT NULL, so the
index needs no NULLS clause and orders alike on both backends. The table comes from 0005,
hence the parent.
"""

from __future__ import annotations

from alembic import op

revision = "0013_quality_published_order"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_dataset_quality_published_order "
        "ON dataset_quality (published DESC, dataset_pk)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_dataset_quality_published_order")
