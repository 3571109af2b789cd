"""search rank keys: FTS rowids in relevance order (SQLite)

Revision ID: 0007_search_rank
Revises: 0003

SQLite's full-text rows were keyed by ``dataset.pk``; ranking a very common term had to read
every match. They are now keyed by a *rank key*, ``(99 - richness) << 32 | pk``
(:mod:`harvester.search.rank`), so FTS5 yields matches best-described first and a page of
relevance results stops after its rows:

* ``search_fts`` (rowid = rank key): titles and bodies, as before;
* ``search_title`` (rowid = rank key): the titles alone, so the title tier of a term found in
  every body does not walk that term's whole document list;
* ``search_key(dataset_pk, rank_key)``: where each dataset's rows are, to replace them.

Existing rows are re-keyed from ``dataset.richness``.

Both databases gain ``ix_dataset_visible_modified (modified DESC, pk) WHERE withdrawn_at IS
NULL``: the newest-first page of the whole catalogue (the empty query) and its capped total
read that index instead of sorting every row (SQLite: 40 ms → < 1 ms at 100 k).
"""

from __future__ import annotations

from alembic import op

revision = "0007_search_rank"
down_revision = "0003"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2', detail = full"
_KEY = "(((99 - max(0, min(99, d.richness))) << 32) | d.pk)"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(
        "CREATE INDEX ix_dataset_visible_modified ON dataset "
        f"(modified DESC{'' if sqlite else ' NULLS LAST'}, pk) WHERE withdrawn_at IS NULL"
    )
    if not sqlite:
        return
    op.execute(
        "CREATE TABLE search_key (dataset_pk INTEGER PRIMARY KEY, rank_key INTEGER NOT NULL)"
    )
    op.execute(
        f"INSERT INTO search_key(dataset_pk, rank_key) SELECT d.pk, {_KEY} "
        "FROM dataset d WHERE d.pk IN (SELECT rowid FROM search_fts)"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE search_fts_ranked USING fts5("
        f"title_fr, title_en, body_fr, body_en, {_TOKENIZE})"
    )
    op.execute(
        "INSERT INTO search_fts_ranked(rowid, title_fr, title_en, body_fr, body_en) "
        "SELECT k.rank_key, f.title_fr, f.title_en, f.body_fr, f.body_en "
        "FROM search_fts f JOIN search_key k ON k.dataset_pk = f.rowid ORDER BY k.rank_key"
    )
    op.execute(f"CREATE VIRTUAL TABLE search_title USING fts5(title_fr, title_en, {_TOKENIZE})")
    op.execute(
        "INSERT INTO search_title(rowid, title_fr, title_en) "
        "SELECT rowid, title_fr, title_en FROM search_fts_ranked ORDER BY rowid"
    )
    op.execute("DROP TABLE search_fts")
    op.execute("ALTER TABLE search_fts_ranked RENAME TO search_fts")


def downgrade() -> None:
    op.execute("DROP INDEX ix_dataset_visible_modified")
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE search_fts_pk USING fts5("
        f"title_fr, title_en, body_fr, body_en, {_TOKENIZE})"
    )
    op.execute(
        "INSERT INTO search_fts_pk(rowid, title_fr, title_en, body_fr, body_en) "
        "SELECT rowid & 4294967295, title_fr, title_en, body_fr, body_en FROM search_fts"
    )
    op.execute("DROP TABLE search_fts")
    op.execute("DROP TABLE search_title")
    op.execute("DROP TABLE search_key")
    op.execute("ALTER TABLE search_fts_pk RENAME TO search_fts")
