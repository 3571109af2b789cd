"""The partner facets of datasets whose source's partner changed, re-derived.

A dataset's ``partner`` and ``partner_kind`` facets come from its source's partner
(:func:`harvester.search.fields.partner_facets`), but a dataset is indexed only when its
record changes. When a partner's kind changes, or a source moves to another partner (the
sources.toml sync), :func:`refresh` re-derives these two facets for every dataset of the
sources concerned, withdrawn ones included (their rows stay invisible), through the facet
writer, which keeps SQLite's packed sets in step (:func:`harvester.search.facets.write_facets`),
and in the full-text index of visible ones (SQLite's facet tokens, :mod:`harvester.search.
facet_tokens`).

Records are read only for a partner without a kind, whose datasets fall back on their
publisher's kind; otherwise the facets need the pks alone (no record parsed: ~50 µs each).

The datasets whose facets changed are stamped as changed (:func:`harvester.search.changes.
stamp`), as any write of a dataset is: the catalogue version moves, so the stored facet
totals and the per-process counts keyed by it are counted again, and an equal version still
means equal counts (:mod:`harvester.search.facet_totals`).
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog.model import DatasetRecord
from harvester.search.backend import search_backend
from harvester.search.changes import stamp
from harvester.search.facets import stored_facets, write_facets
from harvester.search.fields import PARTNER_FACETS, PartnerInfo, needs_record, partner_facets
from harvester.store.datasets import source_partner
from harvester.store.db import dialect_name
from harvester.store.stored_records import record_text, stored_record
from harvester.store.tables import Dataset

BATCH = 500

Row = tuple[int, bool, DatasetRecord | None]
"""A dataset's pk, whether it is withdrawn, and its record if the facets need it."""


async def refresh(session: AsyncSession, source_ids: Collection[str]) -> int:
    """Re-derive the partner facets of these sources' datasets from their current partner;
    the number of datasets whose facets changed. The caller commits."""
    changed = 0
    for source_id in sorted(source_ids):
        partner = await source_partner(session, source_id)
        after = 0
        while batch := await _batch(session, source_id, partner, after):
            changed += await _rewrite(session, partner, batch)
            after = batch[-1][0]
    return changed


async def _batch(
    session: AsyncSession, source_id: str, partner: PartnerInfo, after: int
) -> list[Row]:
    """The next :data:`BATCH` datasets of the source past pk ``after``, in pk order."""
    record = record_text() if needs_record(partner) else sa.null()
    rows = await session.execute(
        sa.select(col(Dataset.pk), col(Dataset.withdrawn_at).is_not(None), record)
        .where(col(Dataset.source_id) == source_id, col(Dataset.pk) > after)
        .order_by(col(Dataset.pk))
        .limit(BATCH)
    )
    return [
        (pk, bool(withdrawn), stored_record(data) if data is not None else None)
        for pk, withdrawn, data in rows
    ]


async def _rewrite(session: AsyncSession, partner: PartnerInfo, batch: list[Row]) -> int:
    """Write the partner facets of ``batch`` that differ and stamp those datasets."""
    stored = await stored_facets(session, [pk for pk, _, _ in batch])
    rows: list[tuple[int, set[tuple[str, str]]]] = []
    for pk, _, record in batch:
        kept = {pair for pair in stored[pk] if pair[0] not in PARTNER_FACETS}
        facets = kept | partner_facets(partner, record)
        if facets != stored[pk]:
            rows.append((pk, facets))
    hidden = {pk for pk, withdrawn, _ in batch if withdrawn}
    await write_facets(session, rows, hidden=hidden, stored=stored)
    backend = search_backend(dialect_name(session))
    await backend.refacet(session, [(pk, facets) for pk, facets in rows if pk not in hidden])
    await stamp(session, [pk for pk, _ in rows])
    return len(rows)
