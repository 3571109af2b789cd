"""drop ix_dataset_modified: every reader of ``modified`` reads visible datasets

Revision ID: 0020_drop_dataset_modified_index
Revises: 0019_page_memo

``ix_dataset_modified (modified)`` (0001) predates the partial index
``ix_dataset_visible_modified (modified DESC, pk) WHERE withdrawn_at IS NULL`` (0007). Every
query that sorts or filters on ``modified`` (the newest-first sort and walk,
``modified_since`` / ``modified_before``) is a search, and every search reads visible
datasets only, so the partial index serves them all; the full one was only written, on
random keys, for each dataset a harvest inserts or changes.
"""

from __future__ import annotations

from alembic import op

revision = "0020_drop_dataset_modified_index"
down_revision = "0019_page_memo"
branch_labels = None
depends_on = "0007_search_rank"


def upgrade() -> None:
    op.drop_index("ix_dataset_modified", table_name="dataset")


def downgrade() -> None:
    op.create_index("ix_dataset_modified", "dataset", ["modified"], unique=False)
