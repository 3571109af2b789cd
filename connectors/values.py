"""Readers for the loosely typed values of JSON catalogue payloads, shared by the connectors.

Portal fields arrive as strings, numbers, lists of one string (data.gov.uk), JSON text inside
strings (CKAN extras, sometimes HTML-escaped by DKAN), ckanext-fluent ``{lang: text}``
dicts, sizes written "1.2 MB" or "3,5 Mo", dates as ISO text, epoch numbers or French DKAN
labels. Every reader here returns a clean value (or ``None`` / empty) and never raises: a
bad field is dropped, it never fails the record.

Geometry and bounding boxes live in :mod:`connectors.geo`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, TypeVar

import orjson

from catalog.dates import parse_date
from catalog.model import LocalizedList, LocalizedText
from catalog.vocab import language_tag

T = TypeVar("T")

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_URL = re.compile(r"^https?://\S+$", re.I)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_DATE_LABEL = re.compile(r"^\s*date\s+(changed|modified|created|updated)\s*:?\s*", re.I)
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_SIZE = re.compile(
    r"^\s*(\d+(?:[.,]\d+)?)\s*(b|bytes?|octets?|o|k|kb|kio|kib|ko|m|mb|mio|mib|mo|g|gb|gio|gib|go"
    r"|t|tb|tio|tib|to)?\s*$",
    re.I,
)
_UNITS = {"k": 1, "m": 2, "g": 3, "t": 4}


def blank(value: Any) -> bool:
    """True for None, empty/whitespace strings, empty containers."""
    if type(value) is str:
        return not value.strip()
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
        stripped = value.strip()
        if stripped[:1] in ("[", "{"):
            for candidate in (stripped, html.unescape(stripped)):
                try:
                    return orjson.loads(candidate)
                except orjson.JSONDecodeError:
                    continue
    return value


def text(value: Any) -> str | None:
    """A clean string: strings stripped, numbers formatted, one-item lists unwrapped."""
    if type(value) is str:  # the common case first; same answer as the branch below
        stripped = value.strip()
        return stripped or None
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
    if value is None:
        return []
    value = decoded(value)
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        if type(item) is str:  # text() of a string, without the call
            cleaned: str | None = item.strip()
        else:
            cleaned = text(item) if not isinstance(item, list) else None
        if cleaned and cleaned not in found:
            found.append(cleaned)
    return found


def dedupe(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, order kept."""
    return list(dict.fromkeys(items))


def distinct(items: Iterable[T | None]) -> list[T]:
    """``items`` without ``None`` and repeats, order kept (for unhashable values such as
    :class:`~catalog.model.PeriodOfTime`)."""
    found: list[T] = []
    for item in items:
        if item is not None and item not in found:
            found.append(item)
    return found


def _lang(tag: Any) -> str | None:
    return _lang_text(tag) if isinstance(tag, str) else None


@lru_cache(maxsize=1024)
def _lang_text(tag: str) -> str | None:
    folded = tag.strip().lower()
    return folded if _LANG_TAG.match(folded) else None


def translated(value: Any, default_lang: str = "") -> LocalizedText:
    """A ``LocalizedText`` from a fluent dict ``{lang: text}`` or a plain string."""
    if value is None:
        return {}
    if type(value) is str:
        stripped = value.strip()
        if stripped[:1] not in ("[", "{"):  # not JSON: what decoded() and text() would give
            return {default_lang: stripped} if stripped else {}
    value = decoded(value)
    if isinstance(value, dict):
        found: LocalizedText = {}
        for tag, item in value.items():
            cleaned, lang = text(item), _lang(tag)
            if cleaned and lang:
                found[lang] = cleaned
        return found
    cleaned = text(value)
    return {default_lang: cleaned} if cleaned else {}


def translated_list(value: Any) -> LocalizedList:
    """A ``LocalizedList`` from a fluent ``{lang: [terms]}`` dict (anything else → empty)."""
    if value is None:
        return {}
    value = decoded(value)
    found: LocalizedList = {}
    if isinstance(value, dict):
        for tag, items in value.items():
            terms, lang = strings(items), _lang(tag)
            if terms and lang:
                found[lang] = terms
    return found


def when(value: Any, *, end: bool = False) -> date | datetime | None:
    """A date or datetime, or None; a bare year is its first (or, with ``end``, last) day.

    DKAN prefixes some dates with a label ("Date changed  jeu, 19/12/2019 - 03:00")."""
    if value is None:
        return None
    if type(value) is str:
        value = value.strip()
        return _when_text(value, end) if value else None
    value = text(value)
    if value is None:
        return None
    return _when_text(value, end)


@lru_cache(maxsize=4096)
def _when_text(value: str, end: bool) -> date | datetime | None:
    """:func:`when` of a clean string, memoized (its answers are immutable)."""
    year = _YEAR.match(value)
    if year:
        number = int(year.group(1))
        return date(number, 12, 31) if end else date(number, 1, 1)
    parsed = parse_date(_DATE_LABEL.sub("", value))
    return parsed if isinstance(parsed, date | datetime) else None


def first_when(*values: Any) -> date | datetime | None:
    """The first of ``values`` that reads as a date (see :func:`when`)."""
    for value in values:
        found = when(value)
        if found is not None:
            return found
    return None


def as_datetime(value: date | datetime) -> datetime:
    """``value`` as an aware datetime: a date is its midnight UTC, a naive datetime is UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_url(value: Any) -> bool:
    """Whether ``value`` is an absolute http(s) URL."""
    return isinstance(value, str) and bool(_URL.match(value.strip()))


def url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL."""
    if value is None:
        return None
    if type(value) is str:
        value = value.strip()
        return value if value and _URL.match(value) else None
    cleaned = text(value)
    # ``cleaned`` is already stripped: the match of :func:`is_url`, without its strip
    return cleaned if cleaned and _URL.match(cleaned) else None


def email(value: Any) -> str | None:
    """An e-mail address (``mailto:`` stripped) or None."""
    cleaned = text(value)
    if not cleaned:
        return None
    return _email_text(cleaned)


@lru_cache(maxsize=4096)
def _email_text(cleaned: str) -> str | None:
    """:func:`email` of a clean string, memoized (addresses recur across a catalogue)."""
    if cleaned.lower().startswith("mailto:"):
        cleaned = cleaned[7:]
    return cleaned if _EMAIL.fullmatch(cleaned) else None


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID (CKAN user ids leak into author/maintainer fields)."""
    return bool(_UUID.match(value.strip()))


def slug(value: str) -> str:
    """Lower-case ASCII words joined by ``-`` (for comparing names and titles)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub("-", ascii_text.lower()).strip("-")


def byte_size(value: Any) -> int | None:
    """Bytes from an int or strings like "1955", "42 octets", "1.2 MB", "3,5 Mo"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value >= 0 else None
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "b").lower()
    power = _UNITS.get(unit[0], 0)  # b, bytes, o, octets: 0
    return round(number * 1024**power)


def default_lang(codes: list[str]) -> str:
    """The tag for a dataset's untagged text: its only language (EU code), else ``""``."""
    return (language_tag(codes[0]) or "") if len(codes) == 1 else ""
