"""Socrata custom metadata ("domain metadata") and the DCAT fields read from it.

Socrata sites attach custom fields to assets, grouped in sections. The Discovery API sends
them flat as ``classification.domain_metadata: [{"key": "Section_Field", "value": …}]``; the
views API nests them as ``metadata.custom_fields: {"Section": {"Field": value}}``. Both are
read into :class:`CustomFields`, matched on folded field names (``"Contact-Email"`` →
``contact-email``) so that any section works: the DCAT-US "Common-Core" section
(``Common-Core_Publisher``, ``Common-Core_License``…) and the many local variants
(``Additional-Metadata_Frequency``, ``Update_Update-Frequency``, ``Refresh Frequency``…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from catalog.model import ContactPoint, PeriodOfTime, SpatialCoverage
from catalog.vocab import access_right_code, frequency_code, language_code
from connectors.values import dedupe, email, first_when, is_url, text, url, when

_FOLD = re.compile(r"[^a-z0-9]+")


def fold(name: str) -> str:
    """``"Contact Email"``, ``"Contact-Email"`` → ``contact-email``."""
    return _FOLD.sub("-", name.lower()).strip("-")


@dataclass(frozen=True)
class CustomFields:
    """(section, field, value) triples with folded section and field names."""

    items: list[tuple[str, str, str]] = field(default_factory=list)

    @classmethod
    def from_domain_metadata(cls, entries: Any) -> CustomFields:
        """From Discovery ``domain_metadata`` (``Section_Field`` keys)."""
        items: list[tuple[str, str, str]] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                continue
            value = text(entry.get("value"))
            section, _, name = entry["key"].partition("_")
            if value:
                items.append((fold(section), fold(name or section), value))
        return cls(items)

    @classmethod
    def from_custom_fields(cls, sections: Any) -> CustomFields:
        """From views ``metadata.custom_fields`` (``{section: {field: value}}``)."""
        items: list[tuple[str, str, str]] = []
        for section, fields in sections.items() if isinstance(sections, dict) else []:
            for name, raw in fields.items() if isinstance(fields, dict) else []:
                value = text(raw)
                if value and isinstance(name, str) and isinstance(section, str):
                    items.append((fold(section), fold(name), value))
        return cls(items)

    def merged(self, other: CustomFields) -> CustomFields:
        """These fields, then ``other``'s not already present."""
        known = set(self.items)
        return CustomFields([*self.items, *(i for i in other.items if i not in known)])

    def values(self, *names: str) -> list[str]:
        """Values of fields named one of ``names`` (folded), in the order of ``names``;
        a section named like the field (views' ``"Refresh Frequency": {"Frequency"}``)
        matches too."""
        found: list[str] = []
        for name in names:
            for section, key, value in self.items:
                if key == name or (section == name and key in name):
                    found.append(value)
        return dedupe(found)

    def first(self, *names: str) -> str | None:
        found = self.values(*names)
        return found[0] if found else None


def publisher_name(custom: CustomFields) -> str | None:
    """The declared publisher (``Common-Core_Publisher``, ``…_Publisher``)."""
    return custom.first("publisher")


def contact_points(custom: CustomFields, extra_email: Any = None) -> list[ContactPoint]:
    """The DCAT-US contact (``Contact-Name``/``Contact-Email``), then any other custom field
    about contact holding an e-mail address, then ``extra_email`` (``contact_email``)."""
    name = custom.first("contact-name")
    address = email(custom.first("contact-email"))
    points: list[ContactPoint] = []
    if name or address:
        points.append(ContactPoint(name=name, email=address))
    for section, key, value in custom.items:
        found = email(value)
        if found and "contact" in f"{section}-{key}" and found != address:
            points.append(ContactPoint(email=found))
    found = email(extra_email)
    if found and all(p.email != found for p in points):
        points.append(ContactPoint(email=found))
    return points


def licence_text(custom: CustomFields) -> str | None:
    """``Common-Core_License`` (usually a URL)."""
    return custom.first("license", "licence")


def access_rights(custom: CustomFields) -> str | None:
    """EU access-right code from ``Public-Access-Level`` / ``Access-Level``."""
    value = custom.first("public-access-level", "access-level")
    return access_right_code(value) if value else None


FREQUENCY_FIELDS = (
    "accrual-periodicity",
    "update-frequency",
    "posting-frequency",
    "refresh-frequency",
    "frequency",
    "data-frequency",
)


def frequency(custom: CustomFields) -> str | None:
    """EU frequency code from the first recognized frequency field."""
    for value in custom.values(*FREQUENCY_FIELDS):
        code = frequency_code(value)
        if code:
            return code
    return None


def languages(custom: CustomFields) -> list[str]:
    """EU language codes from ``Language`` fields ("en-US", "English", "fr, en")."""
    codes = [
        language_code(part.strip()) for v in custom.values("language") for part in v.split(",")
    ]
    return dedupe([c for c in codes if c])


def documentation(custom: CustomFields) -> list[str]:
    """Pages about the data: ``See-Also``, ``Data-Dictionary``, ``Described-By``…"""
    names = ("see-also", "data-dictionary", "described-by", "documentation", "references")
    return [v for v in custom.values(*names) if is_url(v)]


def issued(custom: CustomFields) -> date | datetime | None:
    """``Issued`` or ``Date-Made-Public`` (NYC)."""
    return first_when(*custom.values("issued", "date-made-public", "publication-date"))


_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_OPEN_END = frozenset({"present", "current", "now", "ongoing", "today"})
_SINCE = re.compile(r"^(?:beginning|since|from|starting)\s+", re.I)
_RANGE = re.compile(r"\s+(?:-|–|to|through)\s+|\s*–\s*|(?<=^\d{4})-(?=\d{4}$)", re.I)


def _point(value: str, *, end: bool) -> date | datetime | None:
    value = value.strip()
    match = _US_DATE.match(value)
    if match:  # US sites write month first: "6/16/2014"
        try:
            return date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return None
    return when(value, end=end)


def period(value: str) -> PeriodOfTime | None:
    """A period from "2014-2017", "2010 - Present", "Beginning 6/16/2014", ISO intervals."""
    value = value.strip()
    since = _SINCE.match(value)
    if since:
        start = _point(value[since.end() :], end=False)
        return PeriodOfTime(start=start) if start else None
    parts = value.split("/") if value.count("/") == 1 and "T" in value else _RANGE.split(value)
    if len(parts) == 1:
        return None
    if len(parts) != 2:
        return None
    start = _point(parts[0], end=False)
    end = None if parts[1].strip().lower() in _OPEN_END else _point(parts[1], end=True)
    if start is None or (end is None and parts[1].strip().lower() not in _OPEN_END):
        return None
    return PeriodOfTime(start=start, end=end)


def temporal(custom: CustomFields) -> list[PeriodOfTime]:
    """Periods from ``Temporal``, ``Time-Period`` and ``Coverage`` fields."""
    found: list[PeriodOfTime] = []
    for value in custom.values("temporal", "time-period", "coverage"):
        span = period(value)
        if span is not None and span not in found:
            found.append(span)
    return found


def spatial(custom: CustomFields) -> list[SpatialCoverage]:
    """``Spatial`` fields, and ``Coverage`` fields that are not periods, as place labels."""
    labels = list(custom.values("spatial"))
    labels += [v for v in custom.values("coverage") if period(v) is None and not url(v)]
    return [SpatialCoverage(label={"": label}) for label in dedupe(labels)]
