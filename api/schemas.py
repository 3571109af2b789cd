"""Response models of the JSON API (they generate the OpenAPI description)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from catalog.model import Agent, ContactPoint, DatasetRecord, Distribution, LicenceRef
from harvester.store.tables import Dataset


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    version: str


class DatasetLinks(BaseModel):
    self: str
    original: str | None = None


class DatasetSummary(BaseModel):
    """A search result."""

    id: str
    title: dict[str, str] = Field(description="Title by language tag ('' = untagged).")
    description: dict[str, str]
    publisher: str | None
    keywords: dict[str, list[str]]
    licence: LicenceRef | None
    formats: list[str]
    modified: date | datetime | None
    source: str
    links: DatasetLinks


class DatasetProvenance(BaseModel):
    source: str
    remote_id: str
    platform: str
    original_url: str | None
    api_url: str | None
    first_seen: datetime
    last_seen: datetime
    updated_at: datetime
    status: Literal["active", "withdrawn"]
    withdrawn_at: datetime | None


class DatasetDetail(BaseModel):
    """One dataset with its distributions and provenance."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]]
    themes: list[str]
    publisher: Agent | None
    contact_points: list[ContactPoint]
    licence: LicenceRef | None
    access_rights: str | None
    issued: date | datetime | None
    modified: date | datetime | None
    temporal: list[dict[str, Any]]
    spatial: list[dict[str, Any]]
    landing_page: str | None
    accrual_periodicity: str | None
    language: list[str]
    version: str | None
    distributions: list[Distribution]
    provenance: DatasetProvenance
    links: DatasetLinks


class DatasetSearchPage(BaseModel):
    total: int
    limit: int
    offset: int
    results: list[DatasetSummary]
    next: str | None = Field(description="URL of the next page, absent on the last one.")


def _formats(record: DatasetRecord) -> list[str]:
    return sorted({d.format for d in record.distributions if d.format})


def _links(row: Dataset, record: DatasetRecord, base: str) -> DatasetLinks:
    return DatasetLinks(
        self=f"{base}/api/v1/datasets/{row.id}",
        original=record.provenance.original_url or record.landing_page,
    )


def dataset_summary(row: Dataset, base: str) -> DatasetSummary:
    record = DatasetRecord.model_validate(row.record)
    return DatasetSummary(
        id=row.id,
        title=record.title,
        description=record.description,
        publisher=row.publisher_name,
        keywords=record.keywords,
        licence=record.licence,
        formats=_formats(record),
        modified=record.modified,
        source=row.source_id,
        links=_links(row, record, base),
    )


def dataset_detail(
    row: Dataset, base: str, *, last_complete_harvest: datetime | None
) -> DatasetDetail:
    record = DatasetRecord.model_validate(row.record)
    last_seen = row.last_seen
    if row.withdrawn_at is None and last_complete_harvest and last_complete_harvest > last_seen:
        last_seen = last_complete_harvest  # unchanged records are not rewritten (DESIGN §5)
    return DatasetDetail(
        id=row.id,
        **record.model_dump(
            include={
                "title",
                "description",
                "keywords",
                "themes",
                "publisher",
                "contact_points",
                "licence",
                "access_rights",
                "issued",
                "modified",
                "landing_page",
                "accrual_periodicity",
                "language",
                "version",
                "distributions",
            }
        ),
        temporal=[p.model_dump(mode="json") for p in record.temporal],
        spatial=[s.model_dump(mode="json") for s in record.spatial],
        provenance=DatasetProvenance(
            source=row.source_id,
            remote_id=row.remote_id,
            platform=record.provenance.platform,
            original_url=record.provenance.original_url,
            api_url=record.provenance.api_url,
            first_seen=row.first_seen,
            last_seen=last_seen,
            updated_at=row.updated_at,
            status="withdrawn" if row.withdrawn_at else "active",
            withdrawn_at=row.withdrawn_at,
        ),
        links=_links(row, record, base),
    )
