"""Update frequencies → EU frequency authority codes (``"MONTHLY"``, ``"IRREG"``…).

Accepts ISO 8601 durations, repeating or not, as DCAT-US writes them (``"R/P1M"``,
``"R/PT1S"``), English and French words as CKAN and Québec scheming schemas use them
(``"monthly"``, ``"asNeeded"``, ``"mensuelle"``, ``"temps réel"``), accent- and
case-insensitive, and EU frequency or Dublin Core ``freq:`` URIs.

"Continuous", "real time" and DCAT-US ``R/PT1S`` ("continuously updated") map to
``UPDATE_CONT``; the EU ``CONT`` code is only returned when given explicitly.
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalog.vocab._fold import fold_words

FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"

# The EU frequency authority table (publications.europa.eu/resource/authority/frequency).
CODES = frozenset(
    {
        "1MIN",
        "5MIN",
        "10MIN",
        "15MIN",
        "30MIN",
        "HOURLY",
        "BIHOURLY",
        "TRIHOURLY",
        "12HRS",
        "CONT",
        "UPDATE_CONT",
        "DAILY",
        "DAILY_2",
        "WEEKLY",
        "WEEKLY_2",
        "WEEKLY_3",
        "BIWEEKLY",
        "MONTHLY",
        "MONTHLY_2",
        "MONTHLY_3",
        "BIMONTHLY",
        "QUARTERLY",
        "ANNUAL",
        "ANNUAL_2",
        "ANNUAL_3",
        "BIENNIAL",
        "TRIENNIAL",
        "QUADRENNIAL",
        "QUINQUENNIAL",
        "DECENNIAL",
        "BIDECENNIAL",
        "TRIDECENNIAL",
        "IRREG",
        "AS_NEEDED",
        "NOT_PLANNED",
        "NEVER",
        "OTHER",
        "UNKNOWN",
        "OP_DATPRO",
    }
)

# Words (folded: lower case, no accents, punctuation as spaces) → code.
_WORDS: dict[str, str] = {
    # English, CKAN / DCAT-US / Québec scheming values
    "continuous": "UPDATE_CONT",
    "continual": "UPDATE_CONT",
    "continually": "UPDATE_CONT",
    "continuously": "UPDATE_CONT",
    "continuously updated": "UPDATE_CONT",
    "real time": "UPDATE_CONT",
    "realtime": "UPDATE_CONT",
    "every minute": "1MIN",
    "every 5 minutes": "5MIN",
    "every 10 minutes": "10MIN",
    "every 15 minutes": "15MIN",
    "every 30 minutes": "30MIN",
    "hourly": "HOURLY",
    "every hour": "HOURLY",
    "every two hours": "BIHOURLY",
    "every three hours": "TRIHOURLY",
    "every 12 hours": "12HRS",
    "twice a day": "DAILY_2",
    "twice daily": "DAILY_2",
    "daily": "DAILY",
    "day": "DAILY",
    "every day": "DAILY",
    "weekly": "WEEKLY",
    "week": "WEEKLY",
    "every week": "WEEKLY",
    "semiweekly": "WEEKLY_2",
    "semi weekly": "WEEKLY_2",
    "twice a week": "WEEKLY_2",
    "twice weekly": "WEEKLY_2",
    "twice per week": "WEEKLY_2",
    "three times a week": "WEEKLY_3",
    "biweekly": "BIWEEKLY",
    "fortnightly": "BIWEEKLY",
    "every two weeks": "BIWEEKLY",
    "monthly": "MONTHLY",
    "month": "MONTHLY",
    "every month": "MONTHLY",
    "semimonthly": "MONTHLY_2",
    "semi monthly": "MONTHLY_2",
    "twice a month": "MONTHLY_2",
    "twice monthly": "MONTHLY_2",
    "twice per month": "MONTHLY_2",
    "three times a month": "MONTHLY_3",
    "bimonthly": "BIMONTHLY",
    "every two months": "BIMONTHLY",
    "quarterly": "QUARTERLY",
    "every three months": "QUARTERLY",
    "semiannual": "ANNUAL_2",
    "semi annual": "ANNUAL_2",
    "semiannually": "ANNUAL_2",
    "semi annually": "ANNUAL_2",
    "biannual": "ANNUAL_2",
    "biannually": "ANNUAL_2",
    "twice a year": "ANNUAL_2",
    "twice yearly": "ANNUAL_2",
    "twice per year": "ANNUAL_2",
    "three times a year": "ANNUAL_3",
    "annual": "ANNUAL",
    "annually": "ANNUAL",
    "yearly": "ANNUAL",
    "year": "ANNUAL",
    "every year": "ANNUAL",
    "biennial": "BIENNIAL",
    "biennially": "BIENNIAL",
    "every two years": "BIENNIAL",
    "triennial": "TRIENNIAL",
    "every three years": "TRIENNIAL",
    "quadrennial": "QUADRENNIAL",
    "quinquennial": "QUINQUENNIAL",
    "every five years": "QUINQUENNIAL",
    "decennial": "DECENNIAL",
    "irregular": "IRREG",
    "irregularly": "IRREG",
    "punctual": "IRREG",  # GeoNetwork's DCAT export of "ponctuel"
    "as needed": "AS_NEEDED",
    "asneeded": "AS_NEEDED",
    "as required": "AS_NEEDED",
    "on demand": "AS_NEEDED",
    "not planned": "NOT_PLANNED",
    "notplanned": "NOT_PLANNED",
    "never": "NEVER",
    "not updated": "NEVER",
    "no longer updated": "NEVER",
    "unknown": "UNKNOWN",
    "other": "OTHER",
    # French (Données Québec, Montréal, data.gouv.fr)
    "temps reel": "UPDATE_CONT",
    "en temps reel": "UPDATE_CONT",
    "en continu": "UPDATE_CONT",
    "continu": "UPDATE_CONT",
    "continue": "UPDATE_CONT",
    "mise a jour continue": "UPDATE_CONT",
    "horaire": "HOURLY",
    "toutes les heures": "HOURLY",
    "deux fois par jour": "DAILY_2",
    "quotidien": "DAILY",
    "quotidienne": "DAILY",
    "journalier": "DAILY",
    "journaliere": "DAILY",
    "hebdomadaire": "WEEKLY",
    "bihebdomadaire": "WEEKLY_2",
    "deux fois par semaine": "WEEKLY_2",
    "aux deux semaines": "BIWEEKLY",
    "toutes les deux semaines": "BIWEEKLY",
    "bimensuel": "MONTHLY_2",
    "bimensuelle": "MONTHLY_2",
    "mensuel": "MONTHLY",
    "mensuelle": "MONTHLY",
    "bimestriel": "BIMONTHLY",
    "bimestrielle": "BIMONTHLY",
    "trimestriel": "QUARTERLY",
    "trimestrielle": "QUARTERLY",
    "semestriel": "ANNUAL_2",
    "semestrielle": "ANNUAL_2",
    "semi annuel": "ANNUAL_2",
    "semi annuelle": "ANNUAL_2",
    "annuel": "ANNUAL",
    "annuelle": "ANNUAL",
    "biennal": "BIENNIAL",
    "biennale": "BIENNIAL",
    "triennal": "TRIENNIAL",
    "triennale": "TRIENNIAL",
    "quinquennal": "QUINQUENNIAL",
    "quinquennale": "QUINQUENNIAL",
    "decennal": "DECENNIAL",
    "decennale": "DECENNIAL",
    "irregulier": "IRREG",
    "irreguliere": "IRREG",
    "irregulierement": "IRREG",
    "ponctuel": "IRREG",
    "ponctuelle": "IRREG",
    "au besoin": "AS_NEEDED",
    "selon les besoins": "AS_NEEDED",
    "non planifie": "NOT_PLANNED",
    "non planifiee": "NOT_PLANNED",
    "aucune": "NEVER",
    "aucune mise a jour": "NEVER",
    "jamais": "NEVER",
    "inconnu": "UNKNOWN",
    "inconnue": "UNKNOWN",
    "autre": "OTHER",
    # Portuguese and Spanish (dados.gov.br "Periodicidade")
    "diario": "DAILY",
    "diaria": "DAILY",
    "semanal": "WEEKLY",
    "quinzenal": "BIWEEKLY",
    "quincenal": "BIWEEKLY",
    "mensal": "MONTHLY",
    "mensual": "MONTHLY",
    "bimestral": "BIMONTHLY",
    "trimestral": "QUARTERLY",
    "semestral": "ANNUAL_2",
    "anual": "ANNUAL",
    "eventual": "IRREG",
}

_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86400.0
# Interval in seconds → code (for durations in weeks, days, hours, minutes, seconds).
_BY_SECONDS: tuple[tuple[float, str], ...] = (
    (1, "UPDATE_CONT"),
    (_MINUTE, "1MIN"),
    (5 * _MINUTE, "5MIN"),
    (10 * _MINUTE, "10MIN"),
    (15 * _MINUTE, "15MIN"),
    (30 * _MINUTE, "30MIN"),
    (_HOUR, "HOURLY"),
    (2 * _HOUR, "BIHOURLY"),
    (3 * _HOUR, "TRIHOURLY"),
    (12 * _HOUR, "12HRS"),
    (_DAY, "DAILY"),
    (7 * _DAY / 3, "WEEKLY_3"),
    (3.5 * _DAY, "WEEKLY_2"),
    (7 * _DAY, "WEEKLY"),
    (14 * _DAY, "BIWEEKLY"),
)
# Interval in months → code (for durations in years and months).
_BY_MONTHS: tuple[tuple[float, str], ...] = (
    (1 / 3, "MONTHLY_3"),
    (0.5, "MONTHLY_2"),
    (1, "MONTHLY"),
    (2, "BIMONTHLY"),
    (3, "QUARTERLY"),
    (4, "ANNUAL_3"),
    (6, "ANNUAL_2"),
    (12, "ANNUAL"),
    (24, "BIENNIAL"),
    (36, "TRIENNIAL"),
    (48, "QUADRENNIAL"),
    (60, "QUINQUENNIAL"),
    (120, "DECENNIAL"),
    (240, "BIDECENNIAL"),
    (360, "TRIDECENNIAL"),
)

_DURATION = re.compile(
    r"^P(?:(?P<Y>\d+(?:[.,]\d+)?)Y)?(?:(?P<M>\d+(?:[.,]\d+)?)M)?(?:(?P<W>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<D>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?$"
)


def frequency_uri(code: str) -> str:
    """The EU frequency authority URI of ``code`` (e.g. ``"MONTHLY"``)."""
    return FREQUENCY_BASE + code


def _nearest(value: float, table: tuple[tuple[float, str], ...]) -> str | None:
    for target, code in table:
        if abs(value - target) <= 0.03 * target:
            return code
    return None


def _from_duration(text: str) -> str | None:
    """``"R/P1M"``, ``"R/2020-01-01/P1D"`` or ``"P1M"`` → code."""
    last = text.rsplit("/", 1)[-1] if text.upper().startswith("R") else text
    match = _DURATION.match(last.upper().replace(",", "."))
    if not match or last.upper() in {"P", "PT"}:
        return None
    num = {k: float(v) for k, v in match.groupdict().items() if v}
    months = num.get("Y", 0) * 12 + num.get("M", 0)
    seconds = (
        num.get("W", 0) * 7 * _DAY
        + num.get("D", 0) * _DAY
        + num.get("h", 0) * _HOUR
        + num.get("m", 0) * _MINUTE
        + num.get("s", 0)
    )
    if months and not seconds:
        return _nearest(months, _BY_MONTHS)
    if seconds and not months:
        return _nearest(seconds, _BY_SECONDS) or _nearest(seconds / (30 * _DAY), _BY_MONTHS)
    return None


def frequency_code(value: str | None) -> str | None:
    """The EU frequency code of a duration, word or URI; ``None`` if unknown."""
    if type(value) is str:
        return _frequency_code_cached(value)
    return _frequency_code(value)


def _frequency_code(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    text = value.strip()
    if "://" in text:
        tail = text.rstrip("/").rsplit("/", 1)[-1]
        if tail.upper() in CODES and "publications.europa.eu" in text:
            return tail.upper()
        text = tail  # e.g. http://purl.org/cld/freq/monthly
    if text.upper() in CODES:
        return text.upper()
    if re.match(r"^(?:R\d*/|P)", text, re.I) and (code := _from_duration(text)):
        return code
    folded = fold_words(text)
    return _WORDS.get(folded) or _WORDS.get(folded.replace(" ", ""))


_frequency_code_cached = lru_cache(maxsize=4096)(_frequency_code)
