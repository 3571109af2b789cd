"""Records read as their stored JSON text are the records the ORM reads, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.model import DatasetRecord
from harvester.store.stored_records import load_record_rows, stored_record
from harvester.store.tables import Dataset
from tests.api import corpus


async def test_record_rows_hold_the_records_the_orm_reads(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The recorded CKAN fixtures and the synthetic catalogue, every one read both ways."""
    await corpus.synthetic(database_url)
    await corpus.real(database_url)
    async with sessions() as session:
        rows = {row.pk: row for row in await session.scalars(sa.select(Dataset))}
        read = await load_record_rows(session, [pk for pk in rows if pk is not None])
    assert len(read) == len(rows) > len(corpus.SYNTHETIC)
    for pk, row in rows.items():
        found = read[pk]
        assert (found.id, found.modified, found.title_sort) == (
            row.id,
            row.modified,
            row.title_sort,
        )
        assert stored_record(found.record) == DatasetRecord.model_validate(row.record), row.id
