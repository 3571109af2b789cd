"""leaner writes: one secondary index on dataset_facet, change stamps written with the row

Revision ID: 0014_lean_facet_writes
Revises: 0012_run_bytes_bigint

A harvest writes ~17 ``dataset_facet`` rows per dataset, and each row went into four
B-trees on SQLite (the rowid table, the primary key, ``(facet, value, dataset_pk)`` and
``(facet, visible, value)``), three on PostgreSQL. One index ``(facet, value, visible,
dataset_pk)`` serves both readers: filters (``facet = ? AND value IN (…)``) and the
whole-catalogue counts (``facet IN (…) AND visible``, grouped by facet and value), each
from the index alone. Uniqueness stays with the primary key ``(dataset_pk, facet, value)``.
On SQLite the table becomes ``WITHOUT ROWID`` (the primary key is the table): 10 k
datasets' facet rows into a 100 k catalogue went from 1.6 to 0.7 s, the table and its
indexes from 402 to 190 MB.

SQLite stamped a new dataset's change position with an ``AFTER INSERT`` trigger that
rewrote the row it had just written (its ~5 KB record too) and both change indexes. The
harvest's writer now supplies ``change_seq`` in the ``INSERT`` itself (the same
``max + 1``, computed per row by the statement, under SQLite's single writer); the trigger
still stamps any row inserted without one. ``ix_dataset_source_id`` goes: the unique
``(source_id, remote_id)`` index begins with the same column.

At 1 M datasets the rebuild copies ~17 M facet rows (about a minute on SQLite).
"""

from __future__ import annotations

from alembic import op

revision = "0014_lean_facet_writes"
down_revision = "0012_run_bytes_bigint"
branch_labels = None
depends_on = None

_COLUMNS = "dataset_pk, facet, value, visible"

_SQLITE_TABLE = """CREATE TABLE {name} (
    dataset_pk INTEGER NOT NULL REFERENCES dataset (pk) ON DELETE CASCADE,
    facet VARCHAR(16) NOT NULL,
    value VARCHAR(200) NOT NULL,
    visible BOOLEAN DEFAULT 1 NOT NULL,
    PRIMARY KEY (dataset_pk, facet, value)
){options}"""

_SQLITE_UPDATE_TRIGGER = """CREATE TRIGGER dataset_change_update
    AFTER UPDATE OF content_hash, withdrawn_at ON dataset
    WHEN NEW.content_hash IS NOT OLD.content_hash OR NEW.withdrawn_at IS NOT OLD.withdrawn_at
    BEGIN
        UPDATE dataset SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM dataset)
        WHERE pk = NEW.pk;
        UPDATE dataset_facet SET visible = (NEW.withdrawn_at IS NULL) WHERE dataset_pk = NEW.pk;
    END"""


def _sqlite_insert_trigger(when: str) -> str:
    return f"""CREATE TRIGGER dataset_change_insert AFTER INSERT ON dataset{when}
    BEGIN
        UPDATE dataset SET change_txid = 0,
            change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM dataset)
        WHERE pk = NEW.pk;
    END"""


def _rebuild_sqlite_facets(options: str, indexes: list[str]) -> None:
    """Copy ``dataset_facet`` into a table made with ``options``, then swap them. The
    update trigger names the table: it is dropped first and made again after the swap."""
    op.execute("DROP TRIGGER IF EXISTS dataset_change_update")
    op.execute(_SQLITE_TABLE.format(name="dataset_facet_new", options=options))
    op.execute(
        f"INSERT INTO dataset_facet_new ({_COLUMNS}) SELECT {_COLUMNS} FROM dataset_facet "
        "ORDER BY dataset_pk, facet, value"
    )
    op.execute("DROP TABLE dataset_facet")
    op.execute("ALTER TABLE dataset_facet_new RENAME TO dataset_facet")
    for statement in indexes:
        op.execute(statement)
    op.execute(_SQLITE_UPDATE_TRIGGER)


_NEW_INDEX = (
    "CREATE INDEX ix_dataset_facet_value ON dataset_facet (facet, value, visible, dataset_pk)"
)
_OLD_INDEXES = [
    "CREATE UNIQUE INDEX ix_dataset_facet_value ON dataset_facet (facet, value, dataset_pk)",
    "CREATE INDEX ix_dataset_facet_visible ON dataset_facet (facet, visible, value)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_facets(" WITHOUT ROWID", [_NEW_INDEX])
        op.execute("DROP TRIGGER dataset_change_insert")
        op.execute(_sqlite_insert_trigger(" WHEN NEW.change_seq IS NULL"))
    else:
        op.execute("DROP INDEX ix_dataset_facet_visible")
        op.execute("DROP INDEX ix_dataset_facet_value")
        op.execute(_NEW_INDEX)
    op.execute("DROP INDEX ix_dataset_source_id")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_dataset_source_id ON dataset (source_id)")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER dataset_change_insert")
        op.execute(_sqlite_insert_trigger(""))
        _rebuild_sqlite_facets("", _OLD_INDEXES)
    else:
        op.execute("DROP INDEX ix_dataset_facet_value")
        for statement in _OLD_INDEXES:
            op.execute(statement)
