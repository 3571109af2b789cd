"""Response models of the JSON API (they generate the OpenAPI description)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import (
    Agent,
    ContactPoint,
    DatasetRecord,
    Distribution,
    LicenceRef,
    LocalizedList,
    LocalizedText,
    Moment,
)
from harvester.store.tables import Dataset


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    version: str


RDF_SUFFIXES = {"turtle": "ttl", "jsonld": "jsonld", "rdf_xml": "rdf", "ntriples": "nt"}
_DCAT_LINKS = tuple(RDF_SUFFIXES.items())


class DatasetLinks(BaseModel):
    self: str
    original: str | None = None
    dcat: dict[str, str] = Field(
        default_factory=dict,
        description="The DCAT-AP 3 representations: turtle, jsonld, rdf_xml, ntriples.",
    )


class Highlights(BaseModel):
    """Matched words wrapped in ``<mark>`` (HTML-escaped text)."""

    title: str | None = None
    description: str | None = None


class DatasetSummary(BaseModel):
    """A search result."""

    id: str
    title: dict[str, str] = Field(description="Title by language tag ('' = untagged).")
    description: dict[str, str]
    publisher: str | None
    keywords: dict[str, list[str]]
    licence: LicenceRef | None
    formats: list[str]
    modified: Moment | None
    source: str
    links: DatasetLinks
    highlights: Highlights | None = Field(
        default=None, description="Present when `q` matched the title or description."
    )


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
    issued: Moment | None
    modified: Moment | None
    temporal: list[dict[str, Any]]
    spatial: list[dict[str, Any]]
    landing_page: str | None
    accrual_periodicity: str | None
    language: list[str]
    version: str | None
    distributions: list[Distribution]
    provenance: DatasetProvenance
    links: DatasetLinks


class FacetValue(BaseModel):
    value: str
    count: int


class DatasetSearchPage(BaseModel):
    total: int = Field(description="Matching datasets (a lower bound when `total_exact` is false).")
    total_exact: bool
    limit: int
    sort: Literal["relevance", "modified", "title"]
    results: list[DatasetSummary]
    facets: dict[str, list[FacetValue]] = Field(
        description="Most frequent values of each requested facet among the matches."
    )
    facets_exact: bool = Field(
        default=True,
        description="False when facet counts are approximate: when matches exceed the "
        "count limit (facets are then counted on a sample of the first matches), or when "
        "the catalogue changed since its whole-catalogue counts were last made (during a "
        "harvest; they are recounted when it ends, or within a minute when none runs).",
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    next: str | None = Field(description="URL of the next page, null on the last one.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "total": 2,
                    "total_exact": True,
                    "limit": 20,
                    "sort": "relevance",
                    "results": [
                        {
                            "id": "3f1c0d4e9b8a4c1f8e2d7a6b5c4d3e2f",
                            "title": {"fr": "Pistes cyclables", "en": "Bike paths"},
                            "description": {"fr": "Réseau cyclable de la ville"},
                            "publisher": "Ville de Québec",
                            "keywords": {"fr": ["vélo"]},
                            "licence": {
                                "id": "CC-BY-4.0",
                                "uri": None,
                                "title": None,
                                "open": True,
                            },
                            "formats": ["CSV", "GEOJSON"],
                            "modified": "2026-10-01",
                            "source": "ville-quebec",
                            "links": {
                                "self": "https://moisson.example/api/v1/datasets/3f1c…",
                                "original": "https://donnees.example/dataset/pistes",
                                "dcat": {"turtle": "https://moisson.example/datasets/3f1c….ttl"},
                            },
                            "highlights": {"title": "Pistes <mark>cyclables</mark>"},
                        }
                    ],
                    "facets": {"format": [{"value": "CSV", "count": 2}]},
                    "next_cursor": None,
                    "next": None,
                }
            ]
        }
    }


class _SummaryPart(BaseModel):
    """Part of a stored record, its other fields ignored (stored records were validated)."""

    model_config = ConfigDict(extra="ignore")


class _SummaryDistribution(_SummaryPart):
    format: str | None = None


class _SummaryProvenance(_SummaryPart):
    original_url: str | None = None


class SummaryRecord(_SummaryPart):
    """The fields of a stored :class:`DatasetRecord` a search result shows, validated as
    ``DatasetRecord`` validates them: validating the whole record (every distribution's
    every field) cost more than the rest of a result (:mod:`api.search_page`)."""

    title: LocalizedText
    description: LocalizedText = Field(default_factory=dict)
    keywords: LocalizedList = Field(default_factory=dict)
    licence: LicenceRef | None = None
    modified: Moment | None = None
    landing_page: str | None = None
    distributions: list[_SummaryDistribution] = Field(default_factory=list)
    provenance: _SummaryProvenance


def original_link(record: DatasetRecord | SummaryRecord) -> str | None:
    """Where the dataset is on its publisher's portal."""
    return record.provenance.original_url or record.landing_page


def links(dataset_id: str, original: str | None, base: str) -> dict[str, Any]:
    """A dataset's ``links`` (``DatasetLinks``' JSON)."""
    return {
        "self": f"{base}/api/v1/datasets/{dataset_id}",
        "original": original,
        "dcat": {name: f"{base}/datasets/{dataset_id}.{suffix}" for name, suffix in _DCAT_LINKS},
    }


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
        links=DatasetLinks.model_validate(links(row.id, original_link(record), base)),
    )
