"""raw_record.mapping_key (skip the mapping of unchanged records); leaner SQLite facet trigger

Revision ID: 0006_raw_mapping
Revises: 0003, 0004

* ``raw_record`` gains ``mapping_key``: what its payload was last normalized with (platform,
  the connector's ``mapping_version``, a fingerprint of the source's options, URL and
  partner and of the canonical model). A re-harvested payload with the same hash and the
  same key, whose dataset exists and is not withdrawn, is counted unchanged without being
  normalized. Existing rows get NULL, which matches no key: their next harvest normalizes
  them once.
* SQLite only: the ``dataset_change_update`` trigger of 0003 rewrote ``visible`` on every
  facet row of a dataset whose content changed (~17 row writes per updated dataset for
  nothing); it now touches only rows whose ``visible`` differs, as PostgreSQL's trigger
  (which fires on a ``withdrawn_at`` change only) already did. Same results.

Merges the search-facets branch (0003, owner of that trigger) with the harvest-engine
branch (0004).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_raw_mapping"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None

_CHANGE_SEQ = """
        UPDATE dataset SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM dataset)
        WHERE pk = NEW.pk;"""

_TRIGGER = """CREATE TRIGGER dataset_change_update AFTER UPDATE OF content_hash, withdrawn_at ON dataset
    WHEN NEW.content_hash IS NOT OLD.content_hash OR NEW.withdrawn_at IS NOT OLD.withdrawn_at
    BEGIN{change_seq}
        UPDATE dataset_facet SET visible = (NEW.withdrawn_at IS NULL)
        WHERE dataset_pk = NEW.pk{only_changed};
    END"""


def _replace_trigger(only_changed: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS dataset_change_update")
    op.execute(_TRIGGER.format(change_seq=_CHANGE_SEQ, only_changed=only_changed))


def upgrade() -> None:
    op.add_column("raw_record", sa.Column("mapping_key", sa.String(100), nullable=True))
    _replace_trigger(" AND visible IS NOT (NEW.withdrawn_at IS NULL)")


def downgrade() -> None:
    _replace_trigger("")
    with op.batch_alter_table("raw_record") as batch:
        batch.drop_column("mapping_key")
