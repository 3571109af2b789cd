"""dataset_quality: drop the plain ``published`` index that 0013's made redundant

Revision ID: 0016_drop_quality_published
Revises: 0013_quality_published_order

``ix_dataset_quality_published_order (published DESC, dataset_pk)`` serves the range
conditions on ``published`` (the indicators' periods) as well as the listing's order, so
``ix_dataset_quality_published (published)`` only cost every harvested dataset one more
B-tree insert.
"""

from __future__ import annotations

from alembic import op

revision = "0016_drop_quality_published"
down_revision = "0013_quality_published_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX ix_dataset_quality_published")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_dataset_quality_published ON dataset_quality (published)")
