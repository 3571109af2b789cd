"""harvest engine: schedules, pause, failure streaks, run liveness, held withdrawals

Revision ID: 0004
Revises: 0002

* ``source`` gains ``paused``, ``next_harvest_at`` (the scheduler's due time),
  ``consecutive_failures`` and ``flagged_at`` (set when the streak reaches the threshold).
* ``harvest_run`` gains ``trigger``, ``worker``, ``since``, ``resumed_from``, ``interrupted``,
  ``held`` and ``withdrawals`` (the withdrawal decision in words), and a partial unique
  index: at most one ``running`` run per source, whoever starts it.
* ``held_withdrawal(run_id, dataset_pk)``: withdrawals a run held for the operator.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from harvester.store.types import UTCDateTime

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite cannot drop a referenced table with foreign
    # keys on, and adding nullable or constant-default columns needs no copy anyway.
    op.add_column(
        "source", sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("source", sa.Column("next_harvest_at", UTCDateTime(), nullable=True))
    op.add_column(
        "source",
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("source", sa.Column("flagged_at", UTCDateTime(), nullable=True))
    op.create_index("ix_source_next_harvest_at", "source", ["next_harvest_at"])
    run_columns: list[sa.Column[Any]] = [
        sa.Column("trigger", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.Column("resumed_from", sa.Integer(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("held", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("withdrawals", sa.String(), nullable=True),
    ]
    for column in run_columns:
        op.add_column("harvest_run", column)
    # Runs left "running" by a process that died before this upgrade: keep the newest per
    # source (liveness will judge it), fail the others so the unique index can be built.
    op.execute(
        "UPDATE harvest_run SET status = 'failed', interrupted = true, "
        "message = 'interrupted: still running when the harvest engine was installed' "
        "WHERE status = 'running' AND id NOT IN "
        "(SELECT max(id) FROM harvest_run WHERE status = 'running' GROUP BY source_id)"
    )
    op.create_index(
        "uq_harvest_run_running",
        "harvest_run",
        ["source_id"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )
    op.create_table(
        "held_withdrawal",
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("harvest_run.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "dataset_pk",
            sa.Integer(),
            sa.ForeignKey("dataset.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("held_withdrawal")
    op.drop_index("uq_harvest_run_running", table_name="harvest_run")
    with op.batch_alter_table("harvest_run") as batch:
        for column in (
            "withdrawals",
            "held",
            "interrupted",
            "resumed_from",
            "since",
            "worker",
            "trigger",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("source") as batch:
        batch.drop_index("ix_source_next_harvest_at")
        for column in ("flagged_at", "consecutive_failures", "next_harvest_at", "paused"):
            batch.drop_column(column)
