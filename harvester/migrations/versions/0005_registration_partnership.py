"""Registrations, per-dataset quality and daily partnership snapshots

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from harvester.store.types import JSONDocument, UTCDateTime

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registration",
        sa.Column("source_id", sa.String(100), sa.ForeignKey("source.id"), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("contact_email", sa.String(), nullable=False),
        sa.Column("contact_history", JSONDocument, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("preview", JSONDocument, nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("requested_changes", sa.String(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_registration_state", "registration", ["state"])
    op.create_table(
        "dataset_quality",
        sa.Column(
            "dataset_pk",
            sa.Integer(),
            sa.ForeignKey("dataset.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column("published_month", sa.String(7), nullable=False),
        sa.Column("conforms", sa.Boolean(), nullable=False),
        sa.Column("failed_rules", JSONDocument, nullable=False),
        sa.Column("verdicts", JSONDocument, nullable=False),
        sa.Column("is_csv", sa.Boolean(), nullable=False),
        sa.Column("csv_api", sa.Boolean(), nullable=False),
        sa.Column("hvd", sa.Boolean(), nullable=False),
        sa.Column("hvd_categories", JSONDocument, nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_dataset_quality_published", "dataset_quality", ["published"])
    op.create_index("ix_dataset_quality_published_month", "dataset_quality", ["published_month"])
    op.create_table(
        "partnership_snapshot",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("figures", JSONDocument, nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("partnership_snapshot")
    op.drop_table("dataset_quality")
    op.drop_table("registration")
