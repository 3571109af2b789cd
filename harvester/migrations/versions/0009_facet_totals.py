"""facet totals of the whole catalogue, stored per catalogue version; tsvectors kept inline

Revision ID: 0009_facet_totals
Revises: 0008_pg_search_rank

The facet counts of the empty query grouped every visible ``dataset_facet`` row whenever
the catalogue had changed (100 k datasets: 214 ms on SQLite; 200 k: 600 ms on PostgreSQL).
They are now counted once when a harvest run closes (:mod:`harvester.search.facet_totals`):

* ``facet_total(facet, value, n)``: visible datasets per facet value;
* ``facet_total_version(id = 1, version)``: the catalogue version those counts are of; the
  API uses them only while the catalogue is still at that version.

Both start empty: the first run to close fills them.

PostgreSQL: ``search_doc.vector`` and ``title_vector`` get storage MAIN, so the bodies' text
leaves the row before the tsvectors do. Counting the first 10,001 matches of a common term
and sampling the first 1,000 in rank order check ``@@`` on each row walked; with the
tsvector out of line every check was a TOAST fetch (200 k datasets: 47–107 ms for
"données"; inline: 12–25 ms). Rows already stored are rewritten (``VACUUM FULL``: the
table is locked meanwhile). Their statistics target is 1000: the planner estimates a
lexeme missing from the most common ones at half the rarest one's frequency, and at 1 M
datasets the default target put a term found 225 times at 3,975, so a relevance page walked
95,000 rows of the rank-key btree (307 ms) instead of reading its 225 matches (5 ms).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_facet_totals"
down_revision = "0008_pg_search_rank"
branch_labels = None
depends_on = None


_STATISTICS = 1000


def upgrade() -> None:
    _facet_tables()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE search_doc ALTER COLUMN vector SET STORAGE MAIN, "
            "ALTER COLUMN title_vector SET STORAGE MAIN, "
            f"ALTER COLUMN vector SET STATISTICS {_STATISTICS}, "
            f"ALTER COLUMN title_vector SET STATISTICS {_STATISTICS}"
        )
        with op.get_context().autocommit_block():  # VACUUM runs outside a transaction
            op.execute("VACUUM FULL ANALYZE search_doc")


def _facet_tables() -> None:
    op.create_table(
        "facet_total",
        sa.Column("facet", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("facet", "value"),
    )
    op.create_table(
        "facet_total_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_facet_total_version_single"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # rows keep their layout until rewritten
        op.execute(
            "ALTER TABLE search_doc ALTER COLUMN vector SET STORAGE EXTENDED, "
            "ALTER COLUMN title_vector SET STORAGE EXTENDED, "
            "ALTER COLUMN vector SET STATISTICS -1, ALTER COLUMN title_vector SET STATISTICS -1"
        )
    op.drop_table("facet_total_version")
    op.drop_table("facet_total")
