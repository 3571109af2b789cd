"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 13:38:48.492912
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from harvester.store.types import JSONDocument, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("website", sa.String(), nullable=True),
        sa.Column("joined_at", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_partner_kind"), "partner", ["kind"], unique=False)
    op.create_table(
        "source",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("options", JSONDocument, nullable=False),
        sa.Column("schedule", sa.String(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("contact_email", sa.String(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_complete_harvest_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_source_partner_id"), "source", ["partner_id"], unique=False)
    op.create_index(op.f("ix_source_status"), "source", ["status"], unique=False)
    op.create_table(
        "dataset",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("record", JSONDocument, nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("publisher_name", sa.String(), nullable=True),
        sa.Column("licence_id", sa.String(64), nullable=True),
        sa.Column("modified", UTCDateTime(), nullable=True),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("id"),
        sa.UniqueConstraint("source_id", "remote_id", name="uq_dataset_source_remote"),
    )
    op.create_index(op.f("ix_dataset_modified"), "dataset", ["modified"], unique=False)
    op.create_index(op.f("ix_dataset_source_id"), "dataset", ["source_id"], unique=False)
    op.create_index(op.f("ix_dataset_updated_at"), "dataset", ["updated_at"], unique=False)
    op.create_table(
        "harvest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("message", sa.String(), nullable=True),
        sa.Column("cursor", JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_harvest_run_source_id"), "harvest_run", ["source_id"], unique=False)
    op.create_index(op.f("ix_harvest_run_status"), "harvest_run", ["status"], unique=False)
    op.create_table(
        "raw_record",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("payload", JSONDocument, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("source_id", "remote_id", name="uq_raw_source_remote"),
    )
    op.create_table(
        "harvest_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["harvest_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_harvest_error_run_id"), "harvest_error", ["run_id"], unique=False)
    create_search_tables()


def create_search_tables() -> None:
    """The full-text index (DESIGN §4): French- and English-stemmed text analysed in Python.

    Columns: titles and the rest (descriptions, keywords, publisher, distribution titles),
    each stemmed as French and as English. SQLite: an FTS5 table whose rowid is dataset.pk.
    PostgreSQL: a stored generated tsvector (weights A/B = titles fr/en, C/D = body fr/en)
    with a GIN index.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title_fr, title_en, body_fr, body_en, "
            "tokenize = 'unicode61 remove_diacritics 2', detail = full)"
        )
        return
    op.create_table(
        "search_doc",
        sa.Column(
            "dataset_pk",
            sa.Integer(),
            sa.ForeignKey("dataset.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("title_fr", sa.Text(), nullable=False, server_default=""),
        sa.Column("title_en", sa.Text(), nullable=False, server_default=""),
        sa.Column("body_fr", sa.Text(), nullable=False, server_default=""),
        sa.Column("body_en", sa.Text(), nullable=False, server_default=""),
    )
    op.execute(
        "ALTER TABLE search_doc ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, title_fr), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, title_en), 'B') || "
        "setweight(to_tsvector('simple'::regconfig, body_fr), 'C') || "
        "setweight(to_tsvector('simple'::regconfig, body_en), 'D')) STORED"
    )
    op.execute("CREATE INDEX ix_search_doc_vector ON search_doc USING gin (vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.drop_table("search_doc")
    op.drop_index(op.f("ix_harvest_error_run_id"), table_name="harvest_error")
    op.drop_table("harvest_error")
    op.drop_table("raw_record")
    op.drop_index(op.f("ix_harvest_run_status"), table_name="harvest_run")
    op.drop_index(op.f("ix_harvest_run_source_id"), table_name="harvest_run")
    op.drop_table("harvest_run")
    op.drop_index(op.f("ix_dataset_updated_at"), table_name="dataset")
    op.drop_index(op.f("ix_dataset_source_id"), table_name="dataset")
    op.drop_index(op.f("ix_dataset_modified"), table_name="dataset")
    op.drop_table("dataset")
    op.drop_index(op.f("ix_source_status"), table_name="source")
    op.drop_index(op.f("ix_source_partner_id"), table_name="source")
    op.drop_table("source")
    op.drop_index(op.f("ix_partner_kind"), table_name="partner")
    op.drop_table("partner")
