"""OpenDataSoft dataset object (Explore API v2.1 or API v1) → DatasetRecord (pure).

Both API generations carry the same metadata in different places:

==========================  =================================  ==============================
                            v2.1 ``catalog/datasets`` item     v1 ``datasets/1.0`` item
==========================  =================================  ==============================
identifier                  ``dataset_id`` (``dataset_uid``)   ``datasetid``
standard metadata           ``metas.default``                  ``metas``
DCAT / INSPIRE templates    ``metas.dcat``, ``metas.inspire``  ``interop_metas.dcat|inspire``
==========================  =================================  ==============================

Standard metadata: title, description (HTML, kept as published), keyword, theme (ODS theme
labels, which contain commas: never split), publisher, license/license_url, language and
metadata_languages, modified (else metadata_processed, data_processed), references (a URL →
documentation), territory (spatial labels), records_count (Shapefile limit). DCAT template:
creator, contact_name/contact_email, issued (else created), accrualperiodicity, spatial,
temporal (``start/end``) and temporal_coverage_start/end, accessRights, conforms_to.
INSPIRE template: contact, bounding box, hierarchy_level ``series``.

Text is tagged with the dataset's language. Restricted datasets are ``RecordSkipped``; a
dataset without identifier or title is ``RecordInvalid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from catalog.model import (
    Agent,
    ContactPoint,
    DatasetRecord,
    LicenceRef,
    LocalizedList,
    LocalizedText,
    PeriodOfTime,
    Provenance,
    SpatialCoverage,
)
from catalog.vocab import (
    access_right_code,
    frequency_code,
    language_code,
    language_tag,
    normalize_licence,
)
from connectors.base import SourceSpec
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.geo import bbox_of, checked_bbox
from connectors.opendatasoft_api import dataset_api_url, dataset_id, is_v1, landing_page, unwrap
from connectors.opendatasoft_distributions import Context, distributions
from connectors.values import (
    dedupe,
    distinct,
    email,
    first_when,
    is_url,
    slug,
    strings,
    text,
    url,
    when,
)

PLATFORM = "opendatasoft"
_BBOX_KEYS = tuple(
    f"extend_bounding_box_{side}"
    for side in (
        "westbound_longitude",
        "southbound_latitude",
        "eastbound_longitude",
        "northbound_latitude",
    )
)


@dataclass(frozen=True, slots=True)
class OdsDataset:
    """One dataset with its metadata templates located, whatever the API version."""

    raw: dict[str, Any]
    id: str
    v1: bool
    default: dict[str, Any]
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def template(self, name: str) -> dict[str, Any]:
        return self.templates.get(name) or {}


def _dicts(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, dict)}


def read_dataset(payload: Any) -> OdsDataset:
    """Locate identifier and metadata templates in a v2.1 or v1 dataset object."""
    dataset = unwrap(payload)
    if not isinstance(dataset, dict):
        raise RecordInvalid(f"OpenDataSoft dataset is a {type(dataset).__name__}, not an object")
    key = dataset_id(dataset)
    if key is None:
        raise RecordInvalid("OpenDataSoft dataset has no dataset_id")
    metas = dataset.get("metas")
    metas = metas if isinstance(metas, dict) else {}
    if is_v1(dataset):
        return OdsDataset(dataset, key, True, metas, _dicts(dataset.get("interop_metas")))
    templates = _dicts(metas)
    default = templates.pop("default", {})
    return OdsDataset(dataset, key, False, default, templates)


def check_included(ods: OdsDataset) -> None:
    """Raise ``RecordSkipped`` for datasets restricted to some users."""
    visibility = text(ods.raw.get("visibility")) or text(ods.default.get("visibility"))
    if visibility and visibility.lower() == "restricted":
        raise RecordSkipped(f"dataset {ods.id} is restricted")


def languages(ods: OdsDataset) -> list[str]:
    """EU language codes from ``language`` and ``metadata_languages``."""
    values = [
        *strings(ods.default.get("language")),
        *strings(ods.default.get("metadata_languages")),
    ]
    return dedupe([code for code in (language_code(v) for v in values) if code])


def default_lang(codes: list[str]) -> str:
    """The tag for the dataset's text: its first language, else untagged."""
    return (language_tag(codes[0]) or "") if codes else ""


def _localized(value: Any, lang: str) -> LocalizedText:
    cleaned = text(value)
    return {lang: cleaned} if cleaned else {}


def title(ods: OdsDataset, lang: str) -> LocalizedText:
    """dct:title; a dataset without one is invalid."""
    found = _localized(ods.default.get("title"), lang)
    if not found:
        raise RecordInvalid(f"OpenDataSoft dataset {ods.id} has no title")
    return found


def keywords(ods: OdsDataset, lang: str) -> LocalizedList:
    """dcat:keyword from ``keyword`` (a string or a list)."""
    terms = strings(ods.default.get("keyword"))
    return {lang: terms} if terms else {}


def themes(ods: OdsDataset) -> list[str]:
    """ODS theme labels, plus INSPIRE themes."""
    return dedupe(
        [*strings(ods.default.get("theme")), *strings(ods.template("inspire").get("theme"))]
    )


def publisher(ods: OdsDataset, source: SourceSpec, lang: str) -> Agent | None:
    """dct:publisher from ``publisher``, else the partner; stamped with the partner's kind
    when it is the partner itself."""
    name = text(ods.default.get("publisher"))
    if name is None:
        if not source.partner_name:
            return None
        return Agent(name={"": source.partner_name}, kind=source.partner_kind)
    agent = Agent(name={lang: name})
    if source.partner_name and source.partner_kind and slug(name) == slug(source.partner_name):
        agent.kind = source.partner_kind
    return agent


def creators(ods: OdsDataset, lang: str) -> list[Agent]:
    """dct:creator from the DCAT template's ``creator``."""
    return [Agent(name={lang: n}) for n in strings(ods.template("dcat").get("creator"))]


def contact_points(ods: OdsDataset) -> list[ContactPoint]:
    """Contacts of the DCAT template, then of the INSPIRE template."""
    dcat, inspire = ods.template("dcat"), ods.template("inspire")
    pairs = [
        (dcat.get("contact_name"), dcat.get("contact_email")),
        (
            inspire.get("contact_individual_name") or inspire.get("contact_organisation_name"),
            inspire.get("contact_email"),
        ),
    ]
    found: list[ContactPoint] = []
    for name, address in pairs:
        point = ContactPoint(name=text(name), email=email(address))
        if (point.name or point.email) and point not in found:
            found.append(point)
    return found


def licence(ods: OdsDataset) -> LicenceRef | None:
    """The licence from ``license`` and ``license_url``."""
    name = text(ods.default.get("license"))
    link = url(ods.default.get("license_url"))
    if not (name or link):
        return None
    return normalize_licence(name, url=link)


def issued(ods: OdsDataset) -> date | datetime | None:
    """dct:issued: the DCAT template's ``issued``, else ``created``."""
    dcat = ods.template("dcat")
    return first_when(dcat.get("issued"), dcat.get("created"))


def modified(ods: OdsDataset) -> date | datetime | None:
    """dct:modified: ``modified``, else ``metadata_processed``, else ``data_processed``."""
    meta = ods.default
    return first_when(
        meta.get("modified"), meta.get("metadata_processed"), meta.get("data_processed")
    )


def data_modified(ods: OdsDataset) -> date | datetime | None:
    """When the records last changed (for the exports): ``data_processed``, else modified."""
    return when(ods.default.get("data_processed")) or modified(ods)


def frequency(ods: OdsDataset) -> str | None:
    """EU frequency code from the DCAT template's ``accrualperiodicity``."""
    value = text(ods.template("dcat").get("accrualperiodicity"))
    return frequency_code(value) if value else None


def access_rights(ods: OdsDataset) -> str | None:
    """EU access-right code from the DCAT template's ``accessRights``/``access_rights``."""
    dcat = ods.template("dcat")
    value = text(dcat.get("accessRights")) or text(dcat.get("access_rights"))
    return access_right_code(value) if value else None


def temporal(ods: OdsDataset) -> list[PeriodOfTime]:
    """Periods from ``temporal`` ("start/end") and ``temporal_coverage_start/_end``."""
    dcat = ods.template("dcat")
    periods: list[PeriodOfTime] = []
    interval = text(dcat.get("temporal"))
    if interval and "/" in interval:
        start, _, end = interval.partition("/")
        periods.append(PeriodOfTime(start=when(start), end=when(end, end=True)))
    start_value, end_value = dcat.get("temporal_coverage_start"), dcat.get("temporal_coverage_end")
    if start_value or end_value:
        periods.append(PeriodOfTime(start=when(start_value), end=when(end_value, end=True)))
    return distinct(period for period in periods if period.start or period.end)


def _inspire_bbox(inspire: dict[str, Any]) -> SpatialCoverage | None:
    values = [text(inspire.get(key)) for key in _BBOX_KEYS]
    if any(v is None for v in values):
        return None
    box = checked_bbox(values)
    return SpatialCoverage(bbox=box) if box else None


def spatial(ods: OdsDataset, lang: str) -> list[SpatialCoverage]:
    """The INSPIRE bounding box, a GeoJSON ``bbox`` metadata, the DCAT ``spatial`` and the
    ``territory`` labels."""
    found: list[SpatialCoverage] = []
    boxed = _inspire_bbox(ods.template("inspire"))
    if boxed:
        found.append(boxed)
    box = bbox_of(ods.default.get("bbox"))
    if box:
        found.append(SpatialCoverage(bbox=box))
    for value in strings(ods.template("dcat").get("spatial")):
        coverage = (
            SpatialCoverage(uri=value) if is_url(value) else SpatialCoverage(label={lang: value})
        )
        found.append(coverage)
    for label in strings(ods.default.get("territory")):
        found.append(SpatialCoverage(label={lang: label}))
    return found


def documentation(ods: OdsDataset) -> list[str]:
    """``references`` that are URLs."""
    return [v for v in strings(ods.default.get("references")) if is_url(v)]


def provenance(ods: OdsDataset, source: SourceSpec, site: str, at: datetime) -> Provenance:
    """Where the record came from."""
    return Provenance(
        source_id=source.id,
        remote_id=ods.id,
        platform=PLATFORM,
        original_url=landing_page(site, ods.id),
        api_url=dataset_api_url(site, ods.id, v1=ods.v1),
        harvested_at=at,
    )


def _records_count(ods: OdsDataset) -> int | None:
    value = ods.default.get("records_count")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def normalize_dataset(
    payload: Any, source: SourceSpec, *, site: str, fetched_at: datetime
) -> DatasetRecord:
    """Map one OpenDataSoft dataset object (v2.1 or v1) to a DatasetRecord."""
    ods = read_dataset(payload)
    check_included(ods)
    codes = languages(ods)
    lang = default_lang(codes)
    titles = title(ods, lang)
    ref = licence(ods)
    context = Context(
        site=site,
        dataset_id=ods.id,
        v1=ods.v1,
        title=next(iter(titles.values())),
        lang=lang,
        licence=ref,
        modified=data_modified(ods),
    )
    hierarchy = (text(ods.template("inspire").get("hierarchy_level")) or "").lower()
    return DatasetRecord(
        identifier=ods.id,
        title=titles,
        description=_localized(ods.default.get("description"), lang),
        keywords=keywords(ods, lang),
        themes=themes(ods),
        publisher=publisher(ods, source, lang),
        creators=creators(ods, lang),
        contact_points=contact_points(ods),
        licence=ref,
        access_rights=access_rights(ods),
        issued=issued(ods),
        modified=modified(ods),
        temporal=temporal(ods),
        spatial=spatial(ods, lang),
        landing_page=landing_page(site, ods.id),
        accrual_periodicity=frequency(ods),
        language=codes,
        documentation=documentation(ods),
        conforms_to=[v for v in strings(ods.template("dcat").get("conforms_to")) if is_url(v)],
        is_series=hierarchy == "series",
        distributions=distributions(ods.raw, context, records_count=_records_count(ods)),
        provenance=provenance(ods, source, site, fetched_at),
    )
