"""Writing harvested records: batched upserts that leave unchanged rows alone."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog.hashing import content_hash_of_dump
from catalog.model import DatasetRecord
from catalog.text import pick
from connectors.base import RawRecord as FetchedRecord
from harvester.search.backend import search_backend
from harvester.search.facets import write_facets
from harvester.search.fields import IndexFields, PartnerInfo, index_fields
from harvester.search.text import search_document
from harvester.store.db import dialect_name
from harvester.store.quality import index_quality
from harvester.store.tables import Dataset, Partner, RawRecord, Source

DATASET_NAMESPACE = uuid.UUID("6d6f6973-736f-6e00-8000-646174617365")


def dataset_id(source_id: str, remote_id: str) -> str:
    """The public, stable id of a dataset: a UUID5 of its unique key, as 32 hex digits."""
    return uuid.uuid5(DATASET_NAMESPACE, f"{source_id}\x1f{remote_id}").hex


def payload_hash(payload: Any) -> str:
    """SHA-256 of a raw payload in canonical JSON."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(slots=True)
class Harvested:
    """A fetched payload and the record normalized from it."""

    raw: FetchedRecord
    record: DatasetRecord


@dataclass(slots=True)
class BatchResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _dataset_row(
    source_id: str,
    item: Harvested,
    dumped: tuple[dict[str, Any], str],
    now: datetime,
    fields: IndexFields,
) -> dict[str, Any]:
    record = item.record
    data, digest = dumped
    return {
        **fields.columns(),
        "id": dataset_id(source_id, item.raw.remote_id),
        "source_id": source_id,
        "remote_id": item.raw.remote_id,
        "content_hash": digest,
        "record": data,
        "title": pick(record.title) or item.raw.remote_id,
        "publisher_name": pick(record.publisher.name) if record.publisher else None,
        "licence_id": record.licence.id if record.licence else None,
        "modified": _as_datetime(record.modified),
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
        "withdrawn_at": None,
    }


def _insert(dialect: str, table: sa.Table) -> Any:
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


async def _upsert_datasets(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    table = Dataset.__table__  # type: ignore[attr-defined]
    statement = _insert(dialect_name(session), table)
    keep_first_seen = {
        column: getattr(statement.excluded, column)
        for column in rows[0]
        if column not in ("id", "source_id", "remote_id", "first_seen")
    }
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["source_id", "remote_id"], set_=keep_first_seen
        ),
        rows,
    )


async def _write_raw(session: AsyncSession, source_id: str, items: Sequence[Harvested]) -> None:
    by_remote = {item.raw.remote_id: item.raw for item in items}
    known: dict[str, str] = dict(
        (
            await session.execute(
                sa.select(col(RawRecord.remote_id), col(RawRecord.payload_hash)).where(
                    col(RawRecord.source_id) == source_id,
                    col(RawRecord.remote_id).in_(by_remote),
                )
            )
        ).all()
    )
    rows = []
    for remote_id, raw in by_remote.items():
        digest = payload_hash(raw.payload)
        if known.get(remote_id) != digest:
            rows.append(
                {
                    "source_id": source_id,
                    "remote_id": remote_id,
                    "payload_hash": digest,
                    "payload": raw.payload,
                    "content_type": raw.content_type,
                    "fetched_at": raw.fetched_at,
                }
            )
    if not rows:
        return
    table = RawRecord.__table__  # type: ignore[attr-defined]
    statement = _insert(dialect_name(session), table)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["source_id", "remote_id"],
            set_={
                c: getattr(statement.excluded, c)
                for c in ("payload_hash", "payload", "content_type", "fetched_at")
            },
        ),
        rows,
    )


async def write_batch(
    session: AsyncSession, source_id: str, items: Sequence[Harvested], *, now: datetime
) -> BatchResult:
    """Upsert one batch of a source's records; rows whose content hash is unchanged (and
    that are not withdrawn) are not written at all. The caller commits."""
    result = BatchResult()
    if not items:
        return result
    latest = {item.raw.remote_id: item for item in items}  # a page may repeat a record
    ids = {dataset_id(source_id, remote_id): remote_id for remote_id in latest}
    existing = {
        row.id: (row.content_hash, row.withdrawn_at)
        for row in await session.execute(
            sa.select(col(Dataset.id), col(Dataset.content_hash), col(Dataset.withdrawn_at)).where(
                col(Dataset.id).in_(ids)
            )
        )
    }
    partner = await _partner(session, source_id)
    rows, facets = [], {}
    for uid, remote_id in ids.items():
        item = latest[remote_id]
        data = item.record.model_dump(mode="json")
        digest = content_hash_of_dump(data)
        previous = existing.get(uid)
        if previous is None:
            result.added += 1
        elif previous[0] != digest or previous[1] is not None:
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        fields = index_fields(item.record, source_id, partner)
        facets[uid] = fields.facets
        rows.append(_dataset_row(source_id, item, (data, digest), now, fields))
    result.unchanged += len(items) - len(latest)
    await _write_raw(session, source_id, list(latest.values()))
    if rows:
        await _upsert_datasets(session, rows)
        await _reindex(session, {row["id"]: latest[ids[row["id"]]].record for row in rows}, facets)
    return result


async def _partner(session: AsyncSession, source_id: str) -> PartnerInfo:
    row = (
        await session.execute(
            sa.select(col(Source.partner_id), col(Partner.kind))
            .outerjoin(Partner, col(Partner.id) == col(Source.partner_id))
            .where(col(Source.id) == source_id)
        )
    ).first()
    return PartnerInfo(row[0], row[1]) if row else PartnerInfo(None, None)


async def _reindex(
    session: AsyncSession,
    records: dict[str, DatasetRecord],
    facets: dict[str, set[tuple[str, str]]],
) -> None:
    pks = (
        await session.execute(
            sa.select(col(Dataset.pk), col(Dataset.id)).where(col(Dataset.id).in_(list(records)))
        )
    ).all()
    docs = [(pk, search_document(records[uid])) for pk, uid in pks if pk is not None]
    await search_backend(dialect_name(session)).index(session, docs)
    await write_facets(session, [(pk, facets[uid]) for pk, uid in pks if pk is not None])
    await index_quality(session, [(pk, records[uid]) for pk, uid in pks if pk is not None])
