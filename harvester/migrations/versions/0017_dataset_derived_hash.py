"""dataset.derived_hash: rewrite what is derived from a record when only that changed

Revision ID: 0017_dataset_derived_hash
Revises: 0006_raw_mapping

The mapping key now holds a fingerprint of the mapping and derivation code
(``harvester.mapping_code``), so a new release maps every stored payload again once. A
record that comes out the same (same content hash) is not rewritten, but what the index
derives from it — search columns and text, facets, quality — may differ under the new code:
``derived_hash`` is the digest of those derived values, and a differing one rewrites them.
Existing rows get NULL, which matches no digest: their derived rows are rewritten at their
next mapping. Adding a nullable column is instant on both backends.

It follows 0006, which added ``raw_record.mapping_key``: a database at any older layout of
the search index (tests write one) has the columns the harvest writer needs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_dataset_derived_hash"
down_revision = "0006_raw_mapping"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dataset", sa.Column("derived_hash", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("dataset", "derived_hash")
