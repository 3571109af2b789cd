"""The facet tables: one row per (dataset, facet, value), created by migration 0003, and
the stored totals of the whole catalogue (migration 0009).

``visible`` mirrors ``dataset.withdrawn_at IS NULL`` (kept in sync by a trigger), so the
counts over the whole catalogue read the ``(facet, value, visible, dataset_pk)`` index
alone; on SQLite the table is ``WITHOUT ROWID`` (migration 0014). On PostgreSQL its rows
have no foreign key (migration 0021: checking the ~17 rows a harvest writes per dataset
cost the server as much as writing them); a trigger on ``dataset`` deletes a dataset's
rows with it, as the key's cascade does on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

dataset_facet = sa.Table(
    "dataset_facet",
    SQLModel.metadata,
    sa.Column(
        "dataset_pk",
        sa.Integer,
        sa.ForeignKey("dataset.pk", ondelete="CASCADE"),  # SQLite's; PostgreSQL: a trigger
        primary_key=True,
    ),
    sa.Column("facet", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("visible", sa.Boolean, nullable=False, server_default=sa.true()),
    # filters and whole-catalogue counts read this index alone (migration 0014)
    sa.Index("ix_dataset_facet_value", "facet", "value", "visible", "dataset_pk"),
    sqlite_with_rowid=False,
)

facet_total = sa.Table(
    "facet_total",
    SQLModel.metadata,
    sa.Column("facet", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)
"""Visible datasets per facet value over the whole catalogue (migration 0009), as of the
catalogue version in ``facet_total_version``."""

facet_total_version = sa.Table(
    "facet_total_version",
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.String(100), nullable=False),
)
