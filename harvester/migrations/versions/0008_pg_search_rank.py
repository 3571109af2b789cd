"""search rank keys on PostgreSQL: relevance pages that stop early

Revision ID: 0008_pg_search_rank
Revises: 0007_search_rank

PostgreSQL ranked every match of a query (a GIN bitmap over ``search_doc.vector``, then a
scan of ``dataset`` to sort them). ``search_doc`` now carries what SQLite's FTS rowids carry
since 0007 (:mod:`harvester.search.rank`):

* ``rank_key bigint NOT NULL`` = ``(99 - richness) << 32 | dataset_pk``, under a unique
  btree ``ix_search_doc_rank``: walking it with the ``@@`` filter yields matches best
  described first and stops after a page's rows (very common terms);
* ``title_vector``, a stored generated tsvector of the titles alone (weights A/B, as in
  ``vector``), with its own GIN index ``ix_search_doc_title``: the title tier of a term
  found in many bodies but few titles is a small bitmap, and its statistics are the titles'.

The planner picks per query between the btree walk and a GIN bitmap + top-N sort from the
tsvector statistics (``most_common_elems``) gathered by ``ANALYZE``. Existing rows are
keyed from ``dataset.richness``; rows of withdrawn datasets (the index holds visible
datasets only, withdrawal removes them) are dropped. SQLite: nothing to do (0007).
"""

from __future__ import annotations

from alembic import op

revision = "0008_pg_search_rank"
down_revision = "0007_search_rank"
branch_labels = None
depends_on = None

_KEY = "(((99 - greatest(0, least(99, d.richness)))::bigint << 32) | d.pk)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "ALTER TABLE search_doc ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, title_fr), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, title_en), 'B')) STORED"
    )
    op.execute("ALTER TABLE search_doc ADD COLUMN rank_key bigint")
    op.execute(
        "DELETE FROM search_doc s USING dataset d "
        "WHERE d.pk = s.dataset_pk AND d.withdrawn_at IS NOT NULL"
    )
    op.execute(
        f"UPDATE search_doc s SET rank_key = {_KEY} FROM dataset d WHERE d.pk = s.dataset_pk"
    )
    op.execute("ALTER TABLE search_doc ALTER COLUMN rank_key SET NOT NULL")
    op.execute("CREATE UNIQUE INDEX ix_search_doc_rank ON search_doc (rank_key)")
    op.execute("CREATE INDEX ix_search_doc_title ON search_doc USING gin (title_vector)")
    op.execute("ANALYZE search_doc")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX ix_search_doc_title")
    op.execute("DROP INDEX ix_search_doc_rank")
    op.execute("ALTER TABLE search_doc DROP COLUMN rank_key")
    op.execute("ALTER TABLE search_doc DROP COLUMN title_vector")
