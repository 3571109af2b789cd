"""One DCAT-US dataset object (Project Open Data 1.1 ``data.json``) → DatasetRecord.

A pure function, :func:`normalize_dcat_us`, shared by the ``dcat_us`` connector and the
ArcGIS Hub and Socrata connectors for their ``data.json`` feeds. The mapping follows the
POD 1.1 JSON-LD context and the usual POD → DCAT-AP crosswalk:

=====================  ====================================================================
POD 1.1                DCAT-AP 3 (DatasetRecord)
=====================  ====================================================================
identifier             identifier, remote id (fallback: landingPage, then a title hash)
title / description    title / description (HTML reduced to text)
keyword / theme        keywords / themes
issued / modified      issued / modified; a ``modified`` that is an ISO 8601 repeating
                       duration (``"R/P1W"``: "updated weekly") or null is no date, and
                       gives the frequency when ``accrualPeriodicity`` is absent
publisher              publisher (the named organization; ``subOrganizationOf`` chain read
                       by :func:`publisher_chain`)
contactPoint           contact_points (``fn``, ``hasEmail`` without ``mailto:``)
accessLevel            access_rights: public → PUBLIC, restricted public → RESTRICTED,
                       non-public → NON_PUBLIC
license                licence (URL or HTML with a link), also on every distribution that
                       has none; POD's ``unknown-license`` placeholder means no licence
rights                 rights of every distribution that has none (DCAT-AP puts dct:rights
                       on distributions)
spatial / temporal     spatial / temporal (:mod:`connectors.dcat_us_extent`)
accrualPeriodicity     accrual_periodicity (EU frequency code)
language               language (EU codes); text is tagged with it when there is just one
landingPage            landing_page
references, describedBy  documentation
conformsTo             conforms_to
isPartOf               :func:`part_of`; the *parent* is marked ``is_series`` when its
                       identifier is in ``series_ids`` (see below) or typed DatasetSeries
distribution           distributions (:mod:`connectors.dcat_us_distributions`)
bureauCode, programCode, dataQuality, primaryITInvestmentUII, systemOfRecords: US federal
bookkeeping with no DCAT-AP property; left in the raw payload.
=====================  ====================================================================

Collections (``isPartOf``): DCAT-US 1.1 links a child to its parent's identifier; the parent
itself says nothing. The record model has no "in series" property yet, so the link lives in
the raw payload and :func:`part_of`; the caller that streams the catalogue passes the parent
identifiers it knows as ``series_ids`` so that parents become ``is_series`` (DCAT-AP 3
``dcat:DatasetSeries``): those read so far and those the last complete run read
(:class:`connectors.dcat_us.SeriesNames`).

DCAT-US 3 shapes are tolerated: ``identifier`` objects (``@id`` or ``notation``),
``@id`` links, ``accessRights``, distribution ``license``, ``Location``/``PeriodOfTime``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from datetime import date, datetime
from typing import Any

from catalog.dates import parse_date
from catalog.html_text import plain_text
from catalog.model import (
    Agent,
    ContactPoint,
    DatasetRecord,
    LicenceRef,
    LocalizedList,
    LocalizedText,
    Provenance,
)
from catalog.vocab import (
    access_right_code,
    frequency_code,
    language_code,
    normalize_licence,
)
from connectors.base import SourceSpec
from connectors.dcat_us_distributions import distributions, link, links, service_distribution
from connectors.dcat_us_extent import spatial, temporal
from connectors.errors import RecordInvalid
from connectors.values import dedupe, default_lang, email, slug, strings, text, url

Dataset = dict[str, Any]

UNKNOWN_LICENCES = frozenset(
    {
        "project-open-data.cio.gov/unknown-license",
        "project-open-data.cio.gov/unknown-license/",
    }
)
SERIES_TYPES = frozenset({"dcat:DatasetSeries", "DatasetSeries"})
MAX_CHAIN = 10
"""``subOrganizationOf`` levels followed (a loop or a silly depth stops there)."""


def identifier(dataset: Dataset) -> str | None:
    """The dataset's identifier: a string, or a DCAT-US 3 object's ``@id``/``notation``."""
    value = dataset.get("identifier")
    if isinstance(value, dict):
        return text(value.get("@id")) or text(value.get("notation"))
    return text(value)


def remote_id(dataset: Dataset) -> str | None:
    """The key of the dataset in its source: identifier, else landing page, else a hash of
    the title (stable as long as the title is)."""
    found = identifier(dataset) or url(dataset.get("landingPage"))
    if found:
        return found
    title_value = plain_text(dataset.get("title"))
    if title_value:
        return "title-sha1:" + hashlib.sha1(title_value.encode()).hexdigest()[:20]
    return None


def languages(dataset: Dataset) -> list[str]:
    """EU language codes from ``language`` (``"en-US"`` → ``"ENG"``)."""
    codes = [language_code(item) for item in strings(dataset.get("language"))]
    return dedupe([code for code in codes if code])


def _label(dataset: Dataset) -> str:
    return identifier(dataset) or url(dataset.get("landingPage")) or "without identifier"


def title(dataset: Dataset, lang: str, catalog_url: str | None = None) -> LocalizedText:
    """The title; ``RecordInvalid`` when there is none."""
    found = plain_text(dataset.get("title"))
    if not found:
        where = f" in {catalog_url}" if catalog_url else ""
        raise RecordInvalid(f"DCAT-US dataset {_label(dataset)}{where} has no title")
    return {lang: found}


def description(dataset: Dataset, lang: str) -> LocalizedText:
    """The description as plain text (HTML reduced to its visible text)."""
    found = plain_text(dataset.get("description"))
    return {lang: found} if found else {}


def _terms(value: Any) -> list[str]:
    if isinstance(value, str) and "," in value:  # some feeds join keywords in one string
        value = value.split(",")
    return dedupe([term for term in strings(value) if term])


def keywords(dataset: Dataset, lang: str) -> LocalizedList:
    """``keyword`` as one list (duplicates removed, order kept)."""
    found = _terms(dataset.get("keyword"))
    return {lang: found} if found else {}


def themes(dataset: Dataset) -> list[str]:
    """``theme`` values as given (category names or URIs)."""
    return _terms(dataset.get("theme"))


def _date(value: Any) -> date | datetime | None:
    return parse_date(value.strip()) if isinstance(value, str) else None


def modified(dataset: Dataset) -> date | datetime | None:
    """``modified`` when it is a date (not a repeating duration, not null)."""
    return _date(dataset.get("modified"))


def issued(dataset: Dataset) -> date | datetime | None:
    """``issued`` when it is a date."""
    return _date(dataset.get("issued"))


def frequency(dataset: Dataset) -> str | None:
    """EU frequency code from ``accrualPeriodicity``, else from a duration ``modified``."""
    value = text(dataset.get("accrualPeriodicity"))
    if value:
        return frequency_code(value)
    changed = text(dataset.get("modified"))
    if changed and changed[:1] in "RrPp" and _date(changed) is None:
        return frequency_code(changed)
    return None


def publisher_chain(dataset: Dataset) -> list[str]:
    """Publisher names from the dataset's organization up its ``subOrganizationOf`` chain."""
    names: list[str] = []
    node = dataset.get("publisher")
    while isinstance(node, dict) and len(names) < MAX_CHAIN:
        name = text(node.get("name"))
        if name:
            names.append(name)
        node = node.get("subOrganizationOf")
    return names


def publisher(dataset: Dataset, source: SourceSpec, lang: str) -> Agent | None:
    """The publishing organization; its kind is the partner's when it is the partner."""
    node = dataset.get("publisher")
    name = text(node.get("name")) if isinstance(node, dict) else text(node)
    if not name:
        if not source.partner_name:
            return None
        return Agent(name={"": source.partner_name}, kind=source.partner_kind)
    agent = Agent(
        name={lang: name},
        uri=url(node.get("@id")) if isinstance(node, dict) else None,
        email=email(node.get("email")) if isinstance(node, dict) else None,
    )
    if source.partner_kind and source.partner_name and slug(name) == slug(source.partner_name):
        agent.kind = source.partner_kind
    return agent


def contact_points(dataset: Dataset) -> list[ContactPoint]:
    """``contactPoint`` (one object, or a list in some feeds)."""
    value = dataset.get("contactPoint")
    found: list[ContactPoint] = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            continue
        point = ContactPoint(
            name=text(item.get("fn")),
            email=email(item.get("hasEmail")),
            phone=text(item.get("hasTelephone"))
            if isinstance(item.get("hasTelephone"), str)
            else None,
            url=url(item.get("hasURL")),
        )
        if point != ContactPoint() and point not in found:
            found.append(point)
    return found


def licence_value(value: Any) -> LicenceRef | None:
    """A licence from a URL, a name, an HTML snippet or a DCAT-US 3 ``{"@id"}`` object;
    None for POD's ``unknown-license`` placeholder."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("title")
    cleaned = text(value)
    if not cleaned:
        return None
    bare = cleaned.split("://", 1)[-1].removeprefix("www.").lower()
    if bare in UNKNOWN_LICENCES:
        return None
    if url(cleaned):
        return normalize_licence(url=cleaned)
    return normalize_licence(cleaned)


def licence(dataset: Dataset) -> LicenceRef | None:
    """The dataset licence (``license``)."""
    return licence_value(dataset.get("license"))


def access_rights(dataset: Dataset) -> str | None:
    """EU access-right code from ``accessLevel`` (or DCAT-US 3 ``accessRights``)."""
    value = dataset.get("accessLevel") or dataset.get("accessRights")
    if isinstance(value, dict):
        value = value.get("@id") or value.get("label")
    found = text(value)
    return access_right_code(found) if found else None


def documentation(dataset: Dataset) -> list[str]:
    """``references`` and the dataset-level ``describedBy`` data dictionary."""
    return links(dataset, "references", "describedBy")


def conforms_to(dataset: Dataset) -> list[str]:
    """``conformsTo`` standards (URIs; DCAT-US 3 ``Standard`` objects by ``@id``)."""
    value = dataset.get("conformsTo")
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        address = link(item) or (text(item) if isinstance(item, str) else None)
        if address:
            found.append(address)
    return dedupe(found)


def part_of(dataset: Dataset) -> list[str]:
    """Identifiers of the collections (``isPartOf``; DCAT-US 3 ``inSeries``) it belongs to."""
    found: list[str] = []
    for key in ("isPartOf", "inSeries"):
        value = dataset.get(key)
        for item in value if isinstance(value, list) else [value]:
            ident = (
                text(item.get("@id") or item.get("identifier"))
                if isinstance(item, dict)
                else text(item)
            )
            if ident:
                found.append(ident)
    return dedupe(found)


def is_series(dataset: Dataset, series_ids: Container[str]) -> bool:
    """Whether the dataset is a collection: typed as a series, or named by a child."""
    kinds = dataset.get("@type")
    if any(kind in SERIES_TYPES for kind in (kinds if isinstance(kinds, list) else [kinds])):
        return True
    ident = identifier(dataset)
    return bool(ident and ident in series_ids)


def normalize_dcat_us(
    dataset: Any,
    source: SourceSpec,
    *,
    catalog_url: str | None,
    fetched_at: datetime,
    platform: str = "dcat_us",
    series_ids: Container[str] = (),
) -> DatasetRecord:
    """Map one DCAT-US dataset object to a DatasetRecord (``RecordInvalid`` when it has no
    title or no usable identity)."""
    if not isinstance(dataset, dict):
        raise RecordInvalid(f"DCAT-US dataset is a {type(dataset).__name__}, not an object")
    codes = languages(dataset)
    lang = default_lang(codes)
    names = title(dataset, lang, catalog_url)
    key = remote_id(dataset)
    if key is None:  # unreachable with a title, kept for type narrowing
        raise RecordInvalid(f"DCAT-US dataset in {catalog_url} has no identifier")
    dataset_licence = licence(dataset)
    rights = plain_text(dataset.get("rights"))
    found = distributions(
        dataset,
        licence=dataset_licence,
        rights=rights,
        lang=lang,
        licence_of=lambda item: licence_value(item.get("license")),
    )
    service = service_distribution(dataset, found)
    landing = link(dataset.get("landingPage"))
    return DatasetRecord(
        identifier=identifier(dataset) or key,
        uri=url(dataset.get("@id")) or url(identifier(dataset)),
        title=names,
        description=description(dataset, lang),
        keywords=keywords(dataset, lang),
        themes=themes(dataset),
        publisher=publisher(dataset, source, lang),
        contact_points=contact_points(dataset),
        licence=dataset_licence,
        access_rights=access_rights(dataset),
        issued=issued(dataset),
        modified=modified(dataset),
        temporal=temporal(dataset),
        spatial=spatial(dataset),
        landing_page=landing,
        accrual_periodicity=frequency(dataset),
        language=codes,
        version=text(dataset.get("version")),
        documentation=documentation(dataset),
        conforms_to=conforms_to(dataset),
        is_series=is_series(dataset, series_ids),
        distributions=[*found, service] if service else found,
        provenance=Provenance(
            source_id=source.id,
            remote_id=key,
            platform=platform,
            original_url=landing,
            api_url=catalog_url,
            harvested_at=fetched_at,
        ),
    )
