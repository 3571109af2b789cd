"""CKAN package dict → :class:`catalog.model.DatasetRecord` (a pure function).

Built as in ckanext-dcat profiles: one small function per field, called from
:func:`normalize_package`; agents, coverage and resources live in sibling modules. A field
that cannot be read is dropped; only a package without identity or title fails
(``RecordInvalid``), and deleted, private or non-dataset packages are ``RecordSkipped``.

Text without a language tag is tagged with the dataset's language when it declares exactly
one, else left untagged (``""``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from catalog.model import (
    DatasetRecord,
    LicenceRef,
    LocalizedList,
    LocalizedText,
    Provenance,
    provenance_of,
    trusted,
)
from catalog.vocab import (
    access_right_code,
    frequency_code,
    language_code,
    normalize_licence,
)
from connectors.base import SourceSpec
from connectors.ckan_agents import contact_points, creators, publisher
from connectors.ckan_api import dataset_page, package_show_url, remote_id, site_url
from connectors.ckan_extent import spatial, temporal
from connectors.ckan_resources import distributions
from connectors.ckan_values import Package, extras, lookup
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.values import (
    dedupe,
    default_lang,
    is_url,
    strings,
    text,
    translated,
    translated_list,
    url,
    when,
)

NOT_DATASETS = frozenset(
    {"harvest", "harvest_source", "showcase", "application", "app", "organization", "group"}
)
"""Package types that are not datasets. Custom scheming types (open.canada ``doc``/``info``,
``geospatial``…) are datasets; only these known non-dataset types are skipped."""

SKIPPED_STATES = frozenset({"deleted", "draft", "pending"})

HDX_FREQUENCIES = {
    "0": "UPDATE_CONT",
    "1": "DAILY",
    "7": "WEEKLY",
    "14": "BIWEEKLY",
    "30": "MONTHLY",
    "90": "QUARTERLY",
    "180": "ANNUAL_2",
    "365": "ANNUAL",
}
"""HDX ``data_update_frequency`` (days) → EU frequency codes."""

ISO19115_FREQUENCIES = {
    "continual": "UPDATE_CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "fortnightly": "BIWEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "biannually": "ANNUAL_2",
    "annually": "ANNUAL",
    "asneeded": "IRREG",
    "irregular": "IRREG",
    "notplanned": "NEVER",
    "unknown": "UNKNOWN",
}
"""ISO 19115 ``MD_MaintenanceFrequencyCode`` (INSPIRE harvests) → EU codes, when
:func:`catalog.vocab.frequency_code` does not know the word."""


def _is_dkan(package: Package) -> bool:
    # DKAN answers with capitalized states and types ("Active", "Dataset").
    return package.get("state") == "Active" or package.get("type") == "Dataset"


def check_included(package: Package, *, include_private: bool = False) -> None:
    """Raise ``RecordSkipped`` for deleted/draft, private and non-dataset packages."""
    name = remote_id(package) or "?"
    state = (text(package.get("state")) or "active").lower()
    if state in SKIPPED_STATES:
        raise RecordSkipped(f"package {name} is {state}")
    # DKAN's CKAN API lists only published nodes but flags them ``private: true``.
    if package.get("private") is True and not include_private and not _is_dkan(package):
        raise RecordSkipped(f"package {name} is private")
    kind = (text(package.get("type")) or "dataset").lower()
    if kind in NOT_DATASETS:
        raise RecordSkipped(f"package {name} is a {kind}, not a dataset")


def languages(package: Package, *, extra: dict[str, Any] | None = None) -> list[str]:
    """EU language codes of the dataset ("FRA"), from ``language`` or metadata extras
    (``extra``: the package's :func:`extras`, when already read)."""
    extra = extras(package) if extra is None else extra
    value = lookup(package, "language", extra=extra) or lookup(
        package, "metadata-language", "metadata_language", extra=extra
    )
    codes: list[str] = []
    for item in strings(value):
        # lists in one string ("fr, en") and Montréal's combined codes ("FR_EN"; but not
        # locale tags such as "pt_BR")
        separators = r"[\s,;/|+_]+" if item.isupper() else r"[\s,;/|+]+"
        for part in re.split(separators, item):
            code = language_code(part) if part else None
            if code:
                codes.append(code)
    return dedupe(codes)


def identifier(package: Package, *, extra: dict[str, Any] | None = None) -> str:
    """dct:identifier: an explicit identifier (scheming, extras, harvested guid), else the
    package id, else its name."""
    extra = extras(package) if extra is None else extra
    found = text(lookup(package, "identifier", extra=extra)) or text(extra.get("guid"))
    found = found or remote_id(package)
    if not found:
        raise RecordInvalid("CKAN package has neither id nor name")
    return found


def title(package: Package, lang: str) -> LocalizedText:
    """Title per language (fluent ``title_translated`` first)."""
    found = translated(package.get("title_translated"), lang) or translated(
        package.get("title"), lang
    )
    if not found:
        raise RecordInvalid(f"CKAN package {remote_id(package)} has no title in any language")
    return found


def description(package: Package, lang: str) -> LocalizedText:
    """Description per language (fluent ``notes_translated`` first)."""
    return translated(package.get("notes_translated"), lang) or translated(
        package.get("notes"), lang
    )


def _tag_names(tags: Any) -> list[str]:
    names: list[str] = []
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict):
            name = text(tag.get("display_name")) or text(tag.get("name"))
        else:
            name = text(tag)
        if name:
            names.append(name)
    return dedupe(names)


def keywords(package: Package, lang: str) -> LocalizedList:
    """Keywords per language: fluent ``keywords``/``tags_translated``, plus plain ``tags``
    not already among them (tagged with ``lang``)."""
    found: LocalizedList = {}
    for key in ("keywords", "tags_translated"):
        for tag, terms in translated_list(package.get(key)).items():
            found[tag] = dedupe([*found.get(tag, []), *terms])
    known = {term.casefold() for terms in found.values() for term in terms}
    plain = [t for t in _tag_names(package.get("tags")) if t.casefold() not in known]
    if plain:
        found[lang] = dedupe([*found.get(lang, []), *plain])
    return found


def themes(package: Package) -> list[str]:
    """Theme values: scheming ``theme`` URIs, open.canada ``subject``, data.gov.uk
    ``theme-primary/-secondary`` and CKAN group names (URIs kept as they are)."""
    found: list[str] = []
    for key in ("theme", "subject", "theme-primary", "theme-secondary"):
        found.extend(strings(package.get(key)))
    groups = package.get("groups")
    for group in groups if isinstance(groups, list) else []:
        if isinstance(group, dict):
            name = url(group.get("uri")) or text(group.get("name"))
            if name:
                found.append(name.removeprefix("group/"))
    return dedupe(found)


def licence(package: Package, *, extra: dict[str, Any] | None = None) -> LicenceRef | None:
    """The licence from ``license_id``/``license_title``/``license_url`` (or extras)."""
    extra = extras(package) if extra is None else extra
    value = text(lookup(package, "license_id", extra=extra))
    title_value = text(lookup(package, "license_title", extra=extra))
    link = url(lookup(package, "license_url", extra=extra))
    if title_value and is_url(title_value) and not link:  # DKAN puts the URL in the title
        link, title_value = title_value, None
    if not (value or title_value or link):
        return None
    return normalize_licence(value, title=title_value, url=link)


def access_rights(package: Package, *, extra: dict[str, Any] | None = None) -> str | None:
    """EU access-right code from ``access_rights`` (or extras)."""
    extra = extras(package) if extra is None else extra
    value = text(lookup(package, "access_rights", extra=extra))
    return access_right_code(value) if value else None


def _date(
    package: Package, *keys: str, extra: dict[str, Any] | None = None
) -> date | datetime | None:
    extra = extras(package) if extra is None else extra
    for key in keys:
        found = when(lookup(package, key, extra=extra))
        if found is not None:
            return found
    return None


def issued(package: Package, *, extra: dict[str, Any] | None = None) -> date | datetime | None:
    """dct:issued: ``issued``, open.canada ``date_published``, else ``metadata_created``."""
    return _date(package, "issued", "date_published", "metadata_created", extra=extra)


def modified(package: Package, *, extra: dict[str, Any] | None = None) -> date | datetime | None:
    """dct:modified: ``modified``, ``date_modified``, else ``metadata_modified``."""
    return _date(package, "modified", "date_modified", "metadata_modified", extra=extra)


def frequency(package: Package, *, extra: dict[str, Any] | None = None) -> str | None:
    """EU frequency code from the many frequency fields CKAN sites use."""
    extra = extras(package) if extra is None else extra
    value = text(
        lookup(
            package,
            "frequency",
            "accrual_periodicity",
            "update_frequency",
            "frequency-of-update",
            "update-frequency",
            extra=extra,
        )
    )
    if value:
        return frequency_code(value) or ISO19115_FREQUENCIES.get(value.lower())
    hdx = text(package.get("data_update_frequency"))
    return HDX_FREQUENCIES.get(hdx) if hdx else None


def landing_page(package: Package, page: str | None) -> str | None:
    """dcat:landingPage: the package ``url`` (its source page), else the portal page."""
    return url(package.get("url")) or page


def _portal_page(package: Package, site: str | None) -> str | None:
    key = text(package.get("name")) or remote_id(package)
    return dataset_page(site, key) if site and key else None


def provenance(
    package: Package, source: SourceSpec, api_url: str | None, page: str | None, at: datetime
) -> Provenance:
    """Where the record came from."""
    key = remote_id(package) or ""
    api = package_show_url(api_url, key) if api_url and key else None
    return provenance_of(source.id, key, "ckan", page, api, at)


def normalize_package(
    package: Any,
    source: SourceSpec,
    *,
    api_url: str | None,
    fetched_at: datetime,
    include_private: bool = False,
) -> DatasetRecord:
    """Map one CKAN package dict (``package_show`` result) to a DatasetRecord."""
    if not isinstance(package, dict):
        raise RecordInvalid(f"CKAN package is a {type(package).__name__}, not an object")
    check_included(package, include_private=include_private)
    extra = extras(package)  # read once, shared by every field below (none changes it)
    ident = identifier(package, extra=extra)
    codes = languages(package, extra=extra)
    lang = default_lang(codes)
    site = site_url(api_url) if api_url else site_url(source.url)
    page = _portal_page(package, site)
    # every value below already has its exact field type: no validation needed (see trusted)
    return trusted(
        DatasetRecord,
        {
            "identifier": ident,
            "uri": url(lookup(package, "uri", extra=extra)),
            "title": title(package, lang),
            "description": description(package, lang),
            "keywords": keywords(package, lang),
            "themes": themes(package),
            "publisher": publisher(package, source, site=site, default_lang=lang, extra=extra),
            "creators": creators(package, lang),
            "contact_points": contact_points(package, extra=extra),
            "licence": licence(package, extra=extra),
            "access_rights": access_rights(package, extra=extra),
            "issued": issued(package, extra=extra),
            "modified": modified(package, extra=extra),
            "temporal": temporal(package, extra=extra),
            "spatial": spatial(package, extra=extra),
            "landing_page": landing_page(package, page),
            "accrual_periodicity": frequency(package, extra=extra),
            "language": codes,
            "version": text(package.get("version")),
            "documentation": [u for u in strings(package.get("documentation")) if is_url(u)],
            "conforms_to": strings(lookup(package, "conforms_to", extra=extra)),
            "hvd_categories": strings(package.get("hvd_category")),
            "is_series": (text(package.get("type")) or "").lower() == "dataset_series",
            "distributions": distributions(package, api_url=api_url, default_lang=lang),
            "provenance": provenance(package, source, api_url, page, fetched_at),
        },
    )
