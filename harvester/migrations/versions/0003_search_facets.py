"""search facets, sort keys, extents and the change feed

Revision ID: 0003
Revises: 0001

* ``dataset`` gains the columns the search API filters and sorts on (title sort key,
  richness, temporal and bbox extents) and its change-feed position ``(change_txid,
  change_seq)``, stamped by a trigger on insert, on a content change and on withdrawal —
  whoever writes the row.
* ``dataset_facet(dataset_pk, facet, value, visible)``: facet values, counted with an index;
  ``visible`` follows ``withdrawn_at`` through a trigger.
* Existing rows are back-filled from their stored records.

PostgreSQL stamps ``change_txid`` with the writing transaction's id, so the change feed can
hold back rows of transactions still in flight (see ``harvester.search.changes``); SQLite has
one writer at a time and leaves it at 0.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from catalog.model import DatasetRecord
from harvester.search.fields import PartnerInfo, index_fields
from harvester.store.types import UTCDateTime

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("title_sort", sa.String(200), nullable=False, server_default=""),
    sa.Column("richness", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("temporal_start", UTCDateTime(), nullable=True),
    sa.Column("temporal_end", UTCDateTime(), nullable=True),
    sa.Column("bbox_west", sa.Float(), nullable=True),
    sa.Column("bbox_south", sa.Float(), nullable=True),
    sa.Column("bbox_east", sa.Float(), nullable=True),
    sa.Column("bbox_north", sa.Float(), nullable=True),
    sa.Column("change_seq", sa.BigInteger(), nullable=True),
    sa.Column("change_txid", sa.BigInteger(), nullable=False, server_default="0"),
]

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER dataset_change_insert AFTER INSERT ON dataset
    BEGIN
        UPDATE dataset SET change_txid = 0,
            change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM dataset)
        WHERE pk = NEW.pk;
    END""",
    """CREATE TRIGGER dataset_change_update AFTER UPDATE OF content_hash, withdrawn_at ON dataset
    WHEN NEW.content_hash IS NOT OLD.content_hash OR NEW.withdrawn_at IS NOT OLD.withdrawn_at
    BEGIN
        UPDATE dataset SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM dataset)
        WHERE pk = NEW.pk;
        UPDATE dataset_facet SET visible = (NEW.withdrawn_at IS NULL) WHERE dataset_pk = NEW.pk;
    END""",
]

_POSTGRES_TRIGGERS = [
    "CREATE SEQUENCE dataset_change_seq",
    """CREATE FUNCTION dataset_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.content_hash IS NOT DISTINCT FROM OLD.content_hash
               AND NEW.withdrawn_at IS NOT DISTINCT FROM OLD.withdrawn_at THEN
                RETURN NEW;
            END IF;
        END IF;
        NEW.change_seq := nextval('dataset_change_seq');
        NEW.change_txid := pg_current_xact_id()::text::bigint;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER dataset_stamp_change BEFORE INSERT OR UPDATE ON dataset
    FOR EACH ROW EXECUTE FUNCTION dataset_stamp_change()""",
    """CREATE FUNCTION dataset_facet_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE dataset_facet SET visible = (NEW.withdrawn_at IS NULL) WHERE dataset_pk = NEW.pk;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER dataset_facet_visibility AFTER UPDATE OF withdrawn_at ON dataset
    FOR EACH ROW WHEN (OLD.withdrawn_at IS DISTINCT FROM NEW.withdrawn_at)
    EXECUTE FUNCTION dataset_facet_visibility()""",
]


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("dataset", column)
    op.create_index("ix_dataset_title_sort", "dataset", ["title_sort", "pk"])
    op.create_index("ix_dataset_change", "dataset", ["change_txid", "change_seq"])
    op.create_index("ix_dataset_change_seq", "dataset", ["change_seq"])
    op.create_table(
        "dataset_facet",
        sa.Column(
            "dataset_pk",
            sa.Integer(),
            sa.ForeignKey("dataset.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("facet", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("dataset_pk", "facet", "value"),
    )
    op.create_index(
        "ix_dataset_facet_value", "dataset_facet", ["facet", "value", "dataset_pk"], unique=True
    )
    op.create_index("ix_dataset_facet_visible", "dataset_facet", ["facet", "visible", "value"])
    _backfill()
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_TRIGGERS if sqlite else _POSTGRES_TRIGGERS:
        op.execute(statement)
    if not sqlite:
        op.execute(
            "SELECT setval('dataset_change_seq', (SELECT coalesce(max(pk), 0) + 1 FROM dataset))"
        )


def _backfill() -> None:
    """Index columns and facets of the rows already stored, in batches."""
    bind = op.get_bind()
    partners = {
        source_id: PartnerInfo(partner_id, kind)
        for source_id, partner_id, kind in bind.execute(
            sa.text(
                "SELECT s.id, s.partner_id, p.kind FROM source s "
                "LEFT JOIN partner p ON p.id = s.partner_id"
            )
        )
    }
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT pk, source_id, record, withdrawn_at FROM dataset WHERE pk > :last "
                "ORDER BY pk LIMIT 500"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        updates, facets = [], []
        for pk, source_id, record, withdrawn_at in rows:
            data = orjson.loads(record) if isinstance(record, str | bytes) else record
            fields = index_fields(
                DatasetRecord.model_validate(data),
                source_id,
                partners.get(source_id, PartnerInfo(None, None)),
            )
            columns = {f"b_{name}": value for name, value in fields.columns().items()}
            updates.append({"b_pk": pk, "b_seq": pk, **columns})
            facets += [
                {"pk": pk, "facet": f, "value": v, "visible": withdrawn_at is None}
                for f, v in fields.facets
            ]
        table = sa.table("dataset", *(sa.column(c.name, c.type) for c in _COLUMNS), sa.column("pk"))
        bind.execute(
            table.update()
            .where(table.c.pk == sa.bindparam("b_pk"))
            .values({c.name: sa.bindparam(f"b_{c.name}") for c in _COLUMNS[:8]})
            .values(change_seq=sa.bindparam("b_seq")),
            updates,
        )
        if facets:
            bind.execute(
                sa.text(
                    "INSERT INTO dataset_facet(dataset_pk, facet, value, visible) "
                    "VALUES (:pk, :facet, :value, :visible)"
                ),
                facets,
            )
        last = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS dataset_change_insert")
        op.execute("DROP TRIGGER IF EXISTS dataset_change_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS dataset_facet_visibility ON dataset")
        op.execute("DROP TRIGGER IF EXISTS dataset_stamp_change ON dataset")
        op.execute("DROP FUNCTION IF EXISTS dataset_facet_visibility()")
        op.execute("DROP FUNCTION IF EXISTS dataset_stamp_change()")
        op.execute("DROP SEQUENCE IF EXISTS dataset_change_seq")
    op.drop_table("dataset_facet")
    for name in ("ix_dataset_change_seq", "ix_dataset_change", "ix_dataset_title_sort"):
        op.drop_index(name, table_name="dataset")
    for column in reversed(_COLUMNS):
        op.drop_column("dataset", column.name)
