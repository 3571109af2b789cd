"""The canonical DCAT-AP 3 dataset record every connector normalizes to.

Text that can be multilingual is a ``LocalizedText``: a mapping from a language tag
(``"fr"``, ``"en"``, any BCP 47 tag) to the text, with ``""`` for an untagged literal.
Controlled values are stored as the short codes of the EU authority tables
(frequency ``"MONTHLY"``, language ``"FRA"``, file type ``"CSV"``, access right ``"PUBLIC"``);
:mod:`catalog.vocab` turns codes into URIs and back.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

LocalizedText = dict[str, str]
"""Language tag → text; ``""`` is the untagged literal."""

LocalizedList = dict[str, list[str]]
"""Language tag → list of terms (keywords); ``""`` is untagged."""


def _datetime_text(value: object) -> object:
    """A date-time's text read as a datetime before the ``date | datetime`` union sees it.

    In Python mode (a stored record read back as a dict) pydantic reads a date-time at
    midnight, ``"2024-03-01T00:00:00Z"``, as the date ``2024-03-01``: the time was lost
    and the record came back from the database as ``xsd:date``. A date's text (ten
    characters) and any text ``fromisoformat`` refuses are left to pydantic."""
    if type(value) is str and len(value) > 10:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


Moment = Annotated[date | datetime, BeforeValidator(_datetime_text)]
"""A date or a date-time, kept as given: a date-time's text stays a datetime even at
midnight (from Python objects or JSON alike)."""


class PartnerKind(StrEnum):
    """The kinds of organization in the partnership (DESIGN §4)."""

    municipality = "municipality"
    ministry = "ministry"
    public_body = "public_body"
    civil_society = "civil_society"
    other = "other"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Agent(_Model):
    """A publisher or creator (foaf:Agent)."""

    name: LocalizedText = Field(default_factory=dict)
    uri: str | None = None
    identifier: str | None = None
    email: str | None = None
    homepage: str | None = None
    kind: PartnerKind | None = None


class ContactPoint(_Model):
    """A vcard:Kind contact point."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None


class LicenceRef(_Model):
    """A licence: canonical id (SPDX-like, e.g. ``CC-BY-4.0``) when known, its URI and title."""

    id: str | None = None
    uri: str | None = None
    title: str | None = None
    open: bool | None = None


class PeriodOfTime(_Model):
    """dct:PeriodOfTime; either bound may be missing."""

    start: Moment | None = None
    end: Moment | None = None


class SpatialCoverage(_Model):
    """dct:Location: a bounding box (west, south, east, north in WGS 84), geometry, URI, label."""

    bbox: tuple[float, float, float, float] | None = None
    geometry: dict[str, Any] | None = None
    uri: str | None = None
    label: LocalizedText = Field(default_factory=dict)


class Checksum(_Model):
    algorithm: str
    value: str


class Distribution(_Model):
    """dcat:Distribution. ``api_access`` marks an endpoint that answers queries on the data
    (CKAN datastore, Socrata SODA, ArcGIS FeatureServer, OpenDataSoft records)."""

    identifier: str | None = None
    uri: str | None = None
    title: LocalizedText = Field(default_factory=dict)
    description: LocalizedText = Field(default_factory=dict)
    access_url: str | None = None
    download_url: str | None = None
    format: str | None = None
    file_type: str | None = None
    media_type: str | None = None
    byte_size: int | None = None
    licence: LicenceRef | None = None
    rights: str | None = None
    issued: Moment | None = None
    modified: Moment | None = None
    language: list[str] = Field(default_factory=list)
    checksum: Checksum | None = None
    api_access: bool = False
    endpoint_url: str | None = None
    conforms_to: list[str] = Field(default_factory=list)


class Provenance(_Model):
    """Where a record came from."""

    source_id: str
    remote_id: str
    platform: str
    original_url: str | None = None
    api_url: str | None = None
    harvested_at: datetime | None = None


class DatasetRecord(_Model):
    """dcat:Dataset in the central index (DCAT-AP 3)."""

    identifier: str
    uri: str | None = None
    title: LocalizedText
    description: LocalizedText = Field(default_factory=dict)
    keywords: LocalizedList = Field(default_factory=dict)
    themes: list[str] = Field(default_factory=list)
    publisher: Agent | None = None
    creators: list[Agent] = Field(default_factory=list)
    contact_points: list[ContactPoint] = Field(default_factory=list)
    licence: LicenceRef | None = None
    access_rights: str | None = None
    issued: Moment | None = None
    modified: Moment | None = None
    temporal: list[PeriodOfTime] = Field(default_factory=list)
    spatial: list[SpatialCoverage] = Field(default_factory=list)
    landing_page: str | None = None
    accrual_periodicity: str | None = None
    language: list[str] = Field(default_factory=list)
    version: str | None = None
    documentation: list[str] = Field(default_factory=list)
    conforms_to: list[str] = Field(default_factory=list)
    hvd_categories: list[str] = Field(default_factory=list)
    is_series: bool = False
    distributions: list[Distribution] = Field(default_factory=list)
    provenance: Provenance


_M = TypeVar("_M", bound=_Model)
_FIELDS: dict[type[_Model], tuple[str, ...]] = {}


def trusted(model: type[_M], values: dict[str, Any]) -> _M:
    """``model(**values)`` without running validation, for mapping code on its hot path whose
    values already are exactly what validation would store: every field given, in
    declaration order, each of its declared type with nothing to coerce (fresh dicts and
    lists, nested models as instances, ``date``/``datetime`` objects, no strings for enums).

    The instance is the one validation would build (same ``__dict__``, fields set, no
    extra, no private state), so equality and dumps are identical — about 5× cheaper than
    validating (``model_construct`` is slower than validating here). A missing, extra or
    misplaced field raises ``TypeError``; value types are *not* checked, they are the
    caller's promise: code that cannot promise exact types must call ``model(...)``.
    """
    names = _FIELDS.get(model)
    if names is None:
        names = _FIELDS[model] = tuple(model.model_fields)
    if tuple(values) != names:
        raise TypeError(f"trusted {model.__name__}: give every field, in order: {names}")
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(names))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _exact_text(value: object, *, optional: bool = False) -> bool:
    return type(value) is str or (optional and value is None)


def provenance_of(
    source_id: str,
    remote_id: str,
    platform: str,
    original_url: str | None,
    api_url: str | None,
    harvested_at: datetime | None,
) -> Provenance:
    """A :class:`Provenance`, built by :func:`trusted` when every value already has its
    field's exact type (the mappings' hot path), validated otherwise."""
    values = {
        "source_id": source_id,
        "remote_id": remote_id,
        "platform": platform,
        "original_url": original_url,
        "api_url": api_url,
        "harvested_at": harvested_at,
    }
    exact = (
        _exact_text(source_id)
        and _exact_text(remote_id)
        and _exact_text(platform)
        and _exact_text(original_url, optional=True)
        and _exact_text(api_url, optional=True)
        and (harvested_at is None or type(harvested_at) is datetime)
    )
    return trusted(Provenance, values) if exact else Provenance(**values)
