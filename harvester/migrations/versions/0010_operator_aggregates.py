"""operator aggregates: stored partnership cells; indexes for source counts and withdrawals

Revision ID: 0010_operator_aggregates
Revises: 0009_facet_totals

* ``partnership_cell`` / ``partnership_cell_version``: visible datasets counted by source
  and quality facts, with the catalogue version they are of
  (:mod:`harvester.partnership.cells`); they start empty, the first read or run close
  fills them.
* ``ix_dataset_visible_source (source_id) WHERE withdrawn_at IS NULL``: visible datasets
  per source from the index alone (``GET /api/v1/sources``; SQLite otherwise reads
  ``withdrawn_at`` past each row's record, in overflow pages).
* ``ix_dataset_withdrawn (withdrawn_at) WHERE withdrawn_at IS NOT NULL``: the withdrawn
  count of ``GET /api/v1/stats`` without reading every row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_operator_aggregates"
down_revision = "0009_facet_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partnership_cell",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("published_month", sa.String(7), nullable=True),
        sa.Column("conforms", sa.Boolean(), nullable=True),
        sa.Column("failed_rules", sa.Text(), nullable=True),
        sa.Column("is_csv", sa.Boolean(), nullable=True),
        sa.Column("csv_api", sa.Boolean(), nullable=True),
        sa.Column("hvd", sa.Boolean(), nullable=True),
        sa.Column("hvd_categories", sa.Text(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "partnership_cell_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(120), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_partnership_cell_version_single"),
    )
    visible = sa.text("withdrawn_at IS NULL")
    withdrawn = sa.text("withdrawn_at IS NOT NULL")
    op.create_index(
        "ix_dataset_visible_source",
        "dataset",
        ["source_id"],
        sqlite_where=visible,
        postgresql_where=visible,
    )
    op.create_index(
        "ix_dataset_withdrawn",
        "dataset",
        ["withdrawn_at"],
        sqlite_where=withdrawn,
        postgresql_where=withdrawn,
    )


def downgrade() -> None:
    op.drop_index("ix_dataset_withdrawn", table_name="dataset")
    op.drop_index("ix_dataset_visible_source", table_name="dataset")
    op.drop_table("partnership_cell_version")
    op.drop_table("partnership_cell")
