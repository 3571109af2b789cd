"""The SQLModel tables of DESIGN §4. Migrations in ``harvester/migrations`` create them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from harvester.store.types import JSONDocument, UTCDateTime, WholeJSONDocument, utcnow


def _utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Partner(SQLModel, table=True):
    """An organization of the partnership."""

    id: str = Field(primary_key=True, max_length=100)
    name: str
    kind: str = Field(index=True, max_length=32)
    region: str | None = None
    website: str | None = None
    joined_at: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Source(SQLModel, table=True):
    """A remote catalogue that Moisson harvests."""

    id: str = Field(primary_key=True, max_length=100)
    partner_id: str | None = Field(default=None, foreign_key="partner.id", index=True)
    url: str
    platform: str = Field(max_length=32)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    schedule: str | None = None
    status: str = Field(default="approved", max_length=16, index=True)
    origin: str = Field(default="config", max_length=16)
    contact_email: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_complete_harvest_at: datetime | None = _utc_column()
    # Harvest engine (migration 0004): scheduling, pause, failure streak.
    paused: bool = False
    next_harvest_at: datetime | None = _utc_column(index=True)
    consecutive_failures: int = 0
    flagged_at: datetime | None = _utc_column()


class Dataset(SQLModel, table=True):
    """One harvested dataset: the canonical DCAT-AP record plus indexed columns."""

    __table_args__ = (
        sa.UniqueConstraint("source_id", "remote_id", name="uq_dataset_source_remote"),
        sa.Index("ix_dataset_title_sort", "title_sort", "pk"),
        sa.Index("ix_dataset_change", "change_txid", "change_seq"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, max_length=32)
    source_id: str = Field(foreign_key="source.id")  # uq_dataset_source_remote indexes it
    remote_id: str
    content_hash: str = Field(max_length=64)
    record: dict[str, Any] = Field(sa_type=WholeJSONDocument)
    title: str
    publisher_name: str | None = None
    licence_id: str | None = Field(default=None, max_length=64)
    modified: datetime | None = _utc_column()  # ix_dataset_visible_modified (0007, 0020)
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    withdrawn_at: datetime | None = _utc_column()
    # Search index columns (harvester.search.fields), written with the record.
    title_sort: str = Field(default="", max_length=200)
    richness: int = 0
    temporal_start: datetime | None = _utc_column()
    temporal_end: datetime | None = _utc_column()
    bbox_west: float | None = None
    bbox_south: float | None = None
    bbox_east: float | None = None
    bbox_north: float | None = None
    # Migration 0017: digest of what the search columns, text, facets and quality were
    # derived from (harvester.prepare.Derived.digest); a re-mapped record that is the same
    # but derives otherwise gets those rewritten. NULL: unknown (rewritten when re-mapped).
    derived_hash: str | None = Field(default=None, max_length=32)
    # Change feed position, stamped by database triggers on every insert, content change
    # and withdrawal (migration 0003), whoever writes the row; on SQLite the harvest's
    # writer stamps its inserts in the statement itself (migration 0014).
    change_seq: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    change_txid: int = Field(default=0, sa_type=sa.BigInteger)


class RawRecord(SQLModel, table=True):
    """The payload as fetched, so normalization can be replayed without refetching."""

    __tablename__ = "raw_record"
    __table_args__ = (sa.UniqueConstraint("source_id", "remote_id", name="uq_raw_source_remote"),)

    pk: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id")
    remote_id: str
    payload_hash: str = Field(max_length=64)
    payload: Any = Field(sa_type=WholeJSONDocument)
    content_type: str = Field(default="application/json", max_length=100)
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    # Migration 0006: what the payload was last normalized with (connector, mapping version,
    # source options…); equal payload hash and mapping key mean the mapping can be skipped.
    mapping_key: str | None = Field(default=None, max_length=100)


class HarvestRun(SQLModel, table=True):
    """One harvest of one source, with its counters."""

    __tablename__ = "harvest_run"
    __table_args__ = (
        # At most one running run per source, whoever starts it (migration 0004).
        sa.Index(
            "uq_harvest_run_running",
            "source_id",
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    status: str = Field(default="running", max_length=16, index=True)
    full: bool = False
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = _utc_column()
    heartbeat_at: datetime | None = _utc_column()
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0
    skipped: int = 0
    pages: int = 0
    bytes: int = Field(default=0, sa_type=sa.BigInteger)
    """Bytes of every page fetched (a 1 M-dataset CKAN listing is ~6 GB: past 32 bits)."""
    complete: bool = False
    message: str | None = None
    cursor: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    # Harvest engine (migration 0004).
    trigger: str = Field(default="manual", max_length=16)
    worker: str | None = Field(default=None, max_length=200)
    since: datetime | None = _utc_column()
    resumed_from: int | None = None
    interrupted: bool = False
    held: int = 0
    withdrawals: str | None = None
    """What the run decided about withdrawals, in words ("held: …", "not a full run", …)."""


class HarvestError(SQLModel, table=True):
    """A per-record (or per-run) error of a harvest run."""

    __tablename__ = "harvest_error"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="harvest_run.id", index=True)
    remote_id: str | None = None
    kind: str = Field(max_length=64)
    message: str
    detail: str | None = None
    url: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token: operator (everything) or partner (its own sources). Stored hashed."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str = Field(max_length=16)
    partner_id: str | None = Field(default=None, foreign_key="partner.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = _utc_column()
    revoked_at: datetime | None = _utc_column()


class AuditEvent(SQLModel, table=True):
    """Who approved, rejected, triggered or edited what, and when."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=200, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
