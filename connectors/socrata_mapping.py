"""Socrata Discovery API result → :class:`catalog.model.DatasetRecord` (a pure function).

One small function per field, called from :func:`normalize_asset`; custom metadata lives in
:mod:`connectors.socrata_fields`, distributions in :mod:`connectors.socrata_distributions`,
the views API in :mod:`connectors.socrata_views`.

Which assets are datasets (:data:`KINDS`): tabular datasets, filtered views, maps (geospatial
layers), uploaded files and external datasets (``href``) are kept; charts, stories, data
lenses, visualizations, measures, calendars and forms are presentations of a dataset and are
``RecordSkipped``, as are federated assets (they belong to another domain).

Derived views and maps are kept but *marked*: the model has no "asset kind" field, and
``is_series`` would be wrong (a derived view is not a ``dcat:DatasetSeries``), so an untagged
keyword names them (:data:`MARKERS`: "filtered view", "derived view", "map"). Socrata text
carries no language, so every literal is untagged (``""``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from catalog.model import (
    Agent,
    ContactPoint,
    DatasetRecord,
    LicenceRef,
    LocalizedList,
    PeriodOfTime,
    Provenance,
    SpatialCoverage,
)
from catalog.vocab import normalize_licence
from connectors.base import SourceSpec
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.socrata_api import (
    asset_catalog_url,
    asset_domain,
    asset_id,
    dataset_uri,
    host_of,
    permalink,
    resource_of,
)
from connectors.socrata_distributions import Blob, distributions
from connectors.socrata_fields import (
    CustomFields,
    access_rights,
    contact_points,
    documentation,
    frequency,
    issued,
    languages,
    licence_text,
    publisher_name,
    spatial,
    temporal,
)
from connectors.values import as_datetime, dedupe, first_when, slug, strings, text, url, when

KINDS = {
    "dataset": "dataset",
    "datasets": "dataset",
    "filter": "filter",
    "filters": "filter",
    "map": "map",
    "maps": "map",
    "file": "file",
    "files": "file",
    "blob": "file",
    "href": "href",
    "hrefs": "href",
    "link": "href",
    "links": "href",
}
"""Discovery ``resource.type`` → the kind of dataset kept; any other type is skipped."""

DEFAULT_ONLY = ("dataset", "filter", "map", "file", "href")
"""The asset types asked from the Discovery API by default."""

MARKERS = {"filter": "filtered view", "derived": "derived view", "map": "map"}
"""Keywords marking derived views and maps."""


def kind_of(result: dict[str, Any]) -> str:
    """The kept kind of a Discovery result, or ``RecordSkipped`` for non-datasets."""
    raw = (text(resource_of(result).get("type")) or "dataset").lower()
    kind = KINDS.get(raw)
    if kind is None:
        raise RecordSkipped(f"asset {asset_id(result) or '?'} is a {raw}, not a dataset")
    return kind


def check_included(result: dict[str, Any]) -> None:
    """``RecordSkipped`` for private or unpublished assets (when the API says so)."""
    metadata = result.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    key = asset_id(result) or "?"
    if metadata.get("is_public") is False:
        raise RecordSkipped(f"asset {key} is private")
    if metadata.get("is_published") is False:
        raise RecordSkipped(f"asset {key} is not published")


def is_derived(resource: dict[str, Any], kind: str) -> bool:
    """A filtered view, or any asset naming a parent dataset (``parent_fxf``)."""
    return kind == "filter" or bool(strings(resource.get("parent_fxf")))


def markers(kind: str, derived: bool) -> list[str]:
    """The marker keywords of a kind (see the module docstring)."""
    found = [MARKERS[kind]] if kind in MARKERS else []
    if derived and kind != "filter":
        found.append(MARKERS["derived"])
    return found


def keywords(tags: list[str], marks: list[str]) -> LocalizedList:
    """Untagged keywords: tags without case-insensitive repeats, then the markers."""
    seen: set[str] = set()
    terms: list[str] = []
    for term in [*tags, *marks]:
        if term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return {"": terms} if terms else {}


def themes(*groups: Any) -> list[str]:
    """Categories, the domain's own first, without case-insensitive repeats."""
    seen: set[str] = set()
    found: list[str] = []
    for group in groups:
        for term in strings(group):
            if term.casefold() not in seen:
                seen.add(term.casefold())
                found.append(term)
    return found


def agents(
    source: SourceSpec,
    *,
    declared: str | None,
    attribution: str | None,
    attribution_link: str | None,
    domain: str,
) -> tuple[Agent | None, list[Agent]]:
    """Publisher and creators. The publisher is the declared one (``…_Publisher``), else
    the attribution, else the partner, else the domain; the attribution becomes the
    creator when a different publisher is declared. The partner kind is stamped on the
    publisher only when it *is* the partner."""
    creators: list[Agent] = []
    link = url(attribution_link)
    if declared:
        agent = Agent(name={"": declared})
        if attribution and slug(attribution) != slug(declared):
            creators.append(Agent(name={"": attribution}, homepage=link))
    elif attribution:
        agent = Agent(name={"": attribution}, homepage=link)
    elif source.partner_name:
        agent = Agent(name={"": source.partner_name}, kind=source.partner_kind)
    else:
        agent = Agent(name={"": domain}, homepage=f"https://{domain}")
    name = agent.name.get("", "")
    if source.partner_kind and source.partner_name and slug(name) == slug(source.partner_name):
        agent.kind = source.partner_kind
    return agent, creators


def licence(*values: str | None) -> LicenceRef | None:
    """The first licence recognized among names/ids/URLs, else the first one given."""
    given = [v for v in values if v]
    for value in given:
        ref = normalize_licence(url=value) if url(value) else normalize_licence(value)
        if ref is not None and ref.id:
            return ref
    if not given:
        return None
    first = given[0]
    return normalize_licence(url=first) if url(first) else normalize_licence(first)


def latest(*values: Any) -> date | datetime | None:
    """The most recent of several dates (unparseable ones ignored)."""
    found = [d for d in (when(v) for v in values) if d is not None]
    return max(found, key=as_datetime) if found else None


def earliest_known(*values: Any) -> date | datetime | None:
    """The first value that parses as a date."""
    return first_when(*values)


def provenance(
    source: SourceSpec, key: str, page: str | None, api_url: str | None, at: datetime
) -> Provenance:
    """Where the record came from."""
    return Provenance(
        source_id=source.id,
        remote_id=key,
        platform="socrata",
        original_url=page,
        api_url=api_url,
        harvested_at=at,
    )


class CustomParts(TypedDict):
    """The record fields the domain's custom metadata decides (see :func:`from_custom`)."""

    contact_points: list[ContactPoint]
    licence: LicenceRef | None
    access_rights: str | None
    issued: date | datetime | None
    temporal: list[PeriodOfTime]
    spatial: list[SpatialCoverage]
    accrual_periodicity: str | None
    language: list[str]
    documentation: list[str]


def from_custom(
    custom: CustomFields,
    *,
    licences: tuple[str | None, ...],
    access: str | None,
    created: tuple[Any, ...],
    extents: Sequence[SpatialCoverage] = (),
    pages: Sequence[str] = (),
    contact_email: Any = None,
) -> CustomParts:
    """The fields custom metadata (``Common-Core_…``, ``Contact-Email``…) speaks to, shared by
    the Discovery and views mappings, with the asset's own values as fallback or addition:
    its ``licences`` before the custom licence, its ``access`` right and first ``created``
    date when custom metadata has none, its ``extents`` before the custom spatial coverage,
    its ``pages`` after the custom documentation."""
    return CustomParts(
        contact_points=contact_points(custom, contact_email),
        licence=licence(*licences, licence_text(custom)),
        access_rights=access_rights(custom) or access,
        issued=issued(custom) or earliest_known(*created),
        temporal=temporal(custom),
        spatial=[*extents, *spatial(custom)],
        accrual_periodicity=frequency(custom),
        language=languages(custom),
        documentation=dedupe([*documentation(custom), *pages]),
    )


def normalize_asset(
    result: Any, source: SourceSpec, *, fetched_at: datetime, domain: str | None = None
) -> DatasetRecord:
    """Map one Discovery API result to a DatasetRecord.

    ``domain`` is used when the result does not name its own (``metadata.domain``)."""
    if not isinstance(result, dict):
        raise RecordInvalid(f"Socrata asset is a {type(result).__name__}, not an object")
    resource = resource_of(result)
    key = asset_id(result)
    if key is None:
        raise RecordInvalid("Socrata asset has no resource.id")
    kind = kind_of(result)
    check_included(result)
    title = text(resource.get("name"))
    if not title:
        raise RecordInvalid(f"Socrata asset {key} has no name")
    site = asset_domain(result) or domain or host_of(source.url)
    classification = result.get("classification")
    classification = classification if isinstance(classification, dict) else {}
    metadata = result.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    custom = CustomFields.from_domain_metadata(classification.get("domain_metadata"))
    publisher, creators = agents(
        source,
        declared=publisher_name(custom),
        attribution=text(resource.get("attribution")),
        attribution_link=text(resource.get("attribution_link")),
        domain=site,
    )
    page = url(result.get("permalink")) or url(result.get("link")) or permalink(site, key)
    modified = latest(
        resource.get("updatedAt"),
        resource.get("data_updated_at"),
        resource.get("metadata_updated_at"),
    )
    columns = strings(resource.get("columns_field_name"))
    mime = text(resource.get("blob_mime_type"))
    description = text(resource.get("description"))
    return DatasetRecord(
        identifier=key,
        uri=dataset_uri(site, key),
        title={"": title},
        description={"": description} if description else {},
        keywords=keywords(
            [*strings(classification.get("domain_tags")), *strings(classification.get("tags"))],
            markers(kind, is_derived(resource, kind)),
        ),
        themes=themes(classification.get("domain_category"), classification.get("categories")),
        publisher=publisher,
        creators=creators,
        modified=modified,
        landing_page=page,
        **from_custom(
            custom,
            licences=(text(metadata.get("license")),),
            access="PUBLIC" if metadata.get("is_public") else None,
            created=(resource.get("createdAt"), resource.get("publication_date")),
            contact_email=resource.get("contact_email"),
        ),
        distributions=distributions(
            kind,
            site,
            key,
            modified=latest(resource.get("data_updated_at")) or modified,
            has_columns=bool(columns),
            found_blob=Blob(mime_type=mime) if kind == "file" and mime else None,
        ),
        provenance=provenance(source, key, page, asset_catalog_url(site, key), fetched_at),
    )
