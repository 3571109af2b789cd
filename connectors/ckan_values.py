"""Small readers for the loosely typed values found in CKAN package dicts.

CKAN fields arrive as strings, lists of one string (data.gov.uk), JSON text inside strings
(extras, sometimes HTML-escaped by DKAN), ckanext-fluent ``{lang: text}`` dicts or
``{key, value}`` extras lists. Every reader here returns a clean value or ``None`` and never
raises: a bad field is dropped, it never fails the record.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime
from typing import Any

import orjson

from catalog.dates import parse_date
from catalog.model import LocalizedList, LocalizedText

Package = dict[str, Any]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_URL = re.compile(r"^https?://\S+$", re.I)
_LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def extras(package: Package) -> dict[str, Any]:
    """The package's extras as a dict, whether CKAN sent a ``{key, value}`` list or a dict."""
    raw = package.get("extras")
    if isinstance(raw, dict):
        return dict(raw)
    found: dict[str, Any] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                found.setdefault(item["key"], item.get("value"))
    return found


def lookup(package: Package, *keys: str, extra: dict[str, Any] | None = None) -> Any:
    """The first non-blank value among ``keys`` in the package, then in its extras."""
    sources = [package] if extra is None else [package, extra]
    for source in sources:
        for key in keys:
            value = source.get(key)
            if not blank(value):
                return value
    return None


def blank(value: Any) -> bool:
    """True for None, empty/whitespace strings, empty containers."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return not value
    return False


def decoded(value: Any) -> Any:
    """``value`` with JSON text inside a string decoded (``'["a"]'``, DKAN's ``&quot;``)."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{"):
            for candidate in (text, html.unescape(text)):
                try:
                    return orjson.loads(candidate)
                except orjson.JSONDecodeError:
                    continue
    return value


def text(value: Any) -> str | None:
    """A clean string: strings stripped, numbers formatted, one-item lists unwrapped."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def strings(value: Any) -> list[str]:
    """A list of clean strings from a list, a JSON list in a string, or one string."""
    value = decoded(value)
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        cleaned = text(item) if not isinstance(item, list) else None
        if cleaned and cleaned not in found:
            found.append(cleaned)
    return found


def translated(value: Any, default_lang: str = "") -> LocalizedText:
    """A ``LocalizedText`` from a fluent dict ``{lang: text}`` or a plain string."""
    value = decoded(value)
    if isinstance(value, dict):
        found: LocalizedText = {}
        for lang, item in value.items():
            cleaned = text(item)
            if cleaned and isinstance(lang, str) and _LANG_TAG.match(lang.strip().lower()):
                found[lang.strip().lower()] = cleaned
        return found
    cleaned = text(value)
    return {default_lang: cleaned} if cleaned else {}


def translated_list(value: Any) -> LocalizedList:
    """A ``LocalizedList`` from a fluent ``{lang: [terms]}`` dict (anything else → empty)."""
    value = decoded(value)
    found: LocalizedList = {}
    if isinstance(value, dict):
        for lang, items in value.items():
            terms = strings(items)
            if terms and isinstance(lang, str) and _LANG_TAG.match(lang.strip().lower()):
                found[lang.strip().lower()] = terms
    return found


_DATE_LABEL = re.compile(r"^\s*date\s+(changed|modified|created|updated)\s*:?\s*", re.I)
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def when(value: Any, *, end: bool = False) -> date | datetime | None:
    """A date or datetime, or None; a bare year is its first (or, with ``end``, last) day.

    DKAN prefixes some dates with a label ("Date changed  jeu, 19/12/2019 - 03:00")."""
    value = text(value)
    if value is None:
        return None
    year = _YEAR.match(value)
    if year:
        number = int(year.group(1))
        return date(number, 12, 31) if end else date(number, 1, 1)
    parsed = parse_date(_DATE_LABEL.sub("", value))
    return parsed if isinstance(parsed, date | datetime) else None


def is_url(value: Any) -> bool:
    """Whether ``value`` is an absolute http(s) URL."""
    return isinstance(value, str) and bool(_URL.match(value.strip()))


def url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL."""
    cleaned = text(value)
    return cleaned if cleaned and is_url(cleaned) else None


def email(value: Any) -> str | None:
    """An e-mail address (``mailto:`` stripped) or None."""
    cleaned = text(value)
    if not cleaned:
        return None
    if cleaned.lower().startswith("mailto:"):
        cleaned = cleaned[7:]
    return cleaned if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", cleaned) else None


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID (CKAN user ids leak into author/maintainer fields)."""
    return bool(_UUID.match(value.strip()))


def slug(value: str) -> str:
    """Lower-case ASCII words joined by ``-`` (for comparing names and titles)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def dedupe(items: list[str]) -> list[str]:
    """``items`` without repeats, order kept."""
    return list(dict.fromkeys(items))
