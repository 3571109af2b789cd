"""page_memo: what each listing page gave, so a page fetched again unchanged is not cut again

Revision ID: 0019_page_memo
Revises: 0017_dataset_derived_hash

:mod:`harvester.store.page_memo`: one row per page of a source whose listing is costly to
cut (DCAT RDF), keyed by a digest of the page's bytes, listing the datasets it gave with
their payload hashes. A new, empty table: pages are remembered from the next run on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from harvester.store.types import JSONDocument

revision = "0019_page_memo"
down_revision = "0017_dataset_derived_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_memo",
        sa.Column("source_id", sa.String(), sa.ForeignKey("source.id"), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("entries", JSONDocument, nullable=False),
        sa.Column("next_url", sa.Text(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("page_memo")
