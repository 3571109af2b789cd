"""Lenient date parsing for harvested metadata: never raises, returns ``None`` on doubt.

Handles ISO 8601 dates and datetimes (CKAN's naive ``2017-05-18T16:33:31.999044``,
``Z`` and offsets), partial dates (``"2019"``, ``"2019-05"``), basic ``"20201117"``,
epoch seconds or milliseconds (numbers or digit strings, as Socrata and ArcGIS write
them), RFC 2822 (``"Tue, 10 Dec 2019 09:23:00 GMT"``) and French-locale DKAN dates
(``"mar, 10/12/2019 - 09:23"``, day first). Naive datetimes are taken as UTC, since
sources rarely say otherwise; date-only values stay :class:`~datetime.date`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BASIC_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_EPOCH = re.compile(r"^-?\d{9,13}(?:\.\d+)?$")
_TZ_NAME = re.compile(r"\s+(?:UTC|GMT|Z)$", re.I)
_DAY_FIRST = re.compile(
    r"(?:^|\s)(?:(?:lun|mar|mer|jeu|ven|sam|dim)\.?,?\s*)?"
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:\s*(?:-|à|a|,)?\s*(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?)?$",
    re.I,
)
_RFC_2822 = re.compile(r"^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\b")
_DURATION = re.compile(r"^P(?:T?\d)", re.I)
_MS_THRESHOLD = 1e11  # larger epoch values are milliseconds (ArcGIS); 1e11 s is year 5138


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds):
        return None
    if abs(seconds) >= _MS_THRESHOLD:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_number(value: float) -> date | datetime | None:
    if isinstance(value, int) and 1000 <= value <= 2999:
        return date(value, 1, 1)  # a bare year, not 1970-01-01T00:33
    return _from_epoch(float(value))


def _from_day_first(match: re.Match[str]) -> date | datetime:
    day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    if match["H"] is None:
        return day
    return datetime(
        day.year,
        day.month,
        day.day,
        int(match["H"]),
        int(match["M"]),
        int(match["S"] or 0),
        tzinfo=UTC,
    )


def _from_string(text: str) -> date | datetime | None:
    text = text.strip()
    if _ISO_DATETIME.match(text):
        # The common case (CKAN, Socrata, DCAT timestamps), tested first: such a text cannot
        # match any of the shapes below it used to be tested after (they end after the date).
        if text[-1] in "CTZctz":
            text = _TZ_NAME.sub("+00:00", text)
        return _aware(datetime.fromisoformat(text))
    if not text or (text[0] in "PpRr" and "/" in text) or _DURATION.match(text):
        return None  # durations and repeating intervals are not dates
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    if match := _YEAR.match(text):
        return date(int(match[1]), 1, 1)
    if match := _YEAR_MONTH.match(text):
        return date(int(match[1]), int(match[2]), 1)
    if match := _BASIC_DATE.match(text):
        return date(int(match[1]), int(match[2]), int(match[3]))
    if _ISO_DATE.match(text):
        return date.fromisoformat(text)
    if match := _DAY_FIRST.search(text):
        return _from_day_first(match)
    if _RFC_2822.match(text):
        return _aware(parsedate_to_datetime(text))
    return None


@lru_cache(maxsize=4096)
def _from_text(text: str) -> date | datetime | None:
    """:func:`_from_string`, memoized (dates and datetimes are immutable; the same
    timestamps recur within a record and across a catalogue)."""
    try:
        return _from_string(text)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def parse_date(value: object) -> date | datetime | None:
    """A :class:`date` or timezone-aware :class:`datetime` from ``value``, else ``None``.

    Never raises: garbage, empty values and durations (``"R/P1D"``) give ``None``.
    """
    if type(value) is str:
        return _from_text(value)
    try:
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, datetime):
            return _aware(value)
        if isinstance(value, date):
            return value
        if isinstance(value, int | float):
            return _from_number(value)
        if isinstance(value, str):
            return _from_string(value)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    return None
