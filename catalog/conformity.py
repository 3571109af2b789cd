"""The partnership's publication guidelines, checked on one record (pure, no I/O).

One rule a line in :data:`RULES`; ``docs/publication-guidelines.md`` explains each. A rule
answers ``True`` (pass), ``False`` (fail) or ``None`` (does not apply: e.g. the UTF-8 rule
when no distribution states its character set, the open-format rule for a dataset without
tabular data). A dataset *conforms* when no rule fails.

Bump :data:`RULES_VERSION` whenever a rule changes, so stored results are recomputed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from catalog.model import DatasetRecord, Distribution
from catalog.vocab import is_open_format, is_tabular, normalize_format
from catalog.vocab.formats import FormatInfo

RULES_VERSION = 1

Verdict = bool | None
"""``True`` pass, ``False`` fail, ``None`` not applicable."""

_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.IGNORECASE)
_UTF8 = frozenset({"utf-8", "utf8"})
_UNSTATED_FREQUENCIES = frozenset({"UNKNOWN", "OTHER", "NEVER"})
MIN_DESCRIPTION_CHARS = 20


def _format(distribution: Distribution) -> FormatInfo | None:
    if distribution.file_type:
        return FormatInfo(
            distribution.format or distribution.file_type, None, distribution.file_type
        )
    return normalize_format(
        distribution.format,
        media_type=distribution.media_type,
        url=distribution.download_url or distribution.access_url,
    )


def formats(record: DatasetRecord) -> list[FormatInfo]:
    """The recognized formats of the record's distributions."""
    return [info for d in record.distributions if (info := _format(d)) is not None]


def is_csv(record: DatasetRecord) -> bool:
    """True when a distribution is CSV (the "new CSV datasets" of the action plan)."""
    return any(info.file_type == "CSV" for info in formats(record))


def has_api(record: DatasetRecord) -> bool:
    """True when a distribution answers queries on the data (``api_access``)."""
    return any(d.api_access for d in record.distributions)


# --- the rules -----------------------------------------------------------------------------


def description_present(record: DatasetRecord) -> Verdict:
    return any(len(text.strip()) >= MIN_DESCRIPTION_CHARS for text in record.description.values())


def keywords_present(record: DatasetRecord) -> Verdict:
    return any(term.strip() for terms in record.keywords.values() for term in terms)


def licence_open(record: DatasetRecord) -> Verdict:
    return record.licence is not None and record.licence.open is True


def open_format_for_tabular(record: DatasetRecord) -> Verdict:
    found = formats(record)
    if not any(is_tabular(info) for info in found):
        return None
    return any(is_tabular(info) and is_open_format(info) for info in found)


def utf8_encoding(record: DatasetRecord) -> Verdict:
    charsets = [
        match.group(1).lower()
        for d in record.distributions
        if d.media_type and (match := _CHARSET.search(d.media_type))
    ]
    if not charsets:
        return None
    return all(charset in _UTF8 for charset in charsets)


def dates_iso8601(record: DatasetRecord) -> Verdict:
    return record.issued is not None or record.modified is not None


def frequency_stated(record: DatasetRecord) -> Verdict:
    code = (record.accrual_periodicity or "").strip().upper()
    return bool(code) and code not in _UNSTATED_FREQUENCIES


def contact_present(record: DatasetRecord) -> Verdict:
    if any(point.email or point.url or point.phone for point in record.contact_points):
        return True
    return bool(record.publisher and (record.publisher.email or record.publisher.homepage))


def data_reachable(record: DatasetRecord) -> Verdict:
    return any(d.download_url or d.access_url for d in record.distributions)


@dataclass(frozen=True, slots=True)
class Rule:
    """One guideline: a stable code, what it asks in plain words, and its check."""

    code: str
    text: str
    check: Callable[[DatasetRecord], Verdict]


RULES: tuple[Rule, ...] = (
    Rule("description", f"a description of at least {MIN_DESCRIPTION_CHARS} characters", description_present),
    Rule("keywords", "at least one keyword", keywords_present),
    Rule("licence", "a licence, and an open one", licence_open),
    Rule("open_format", "tabular data offered in an open format (CSV, TSV, ODS, Parquet)", open_format_for_tabular),
    Rule("utf8", "text files in UTF-8 (checked when a distribution states its character set)", utf8_encoding),
    Rule("dates", "a publication or update date readable as ISO 8601", dates_iso8601),
    Rule("frequency", "an update frequency stated", frequency_stated),
    Rule("contact", "a contact point (email, web page or phone)", contact_present),
    Rule("distribution", "at least one distribution with a link to the data", data_reachable),
)  # fmt: skip
RULE_CODES = tuple(rule.code for rule in RULES)


@dataclass(frozen=True, slots=True)
class Conformity:
    """Each rule's verdict for one record."""

    verdicts: dict[str, Verdict]

    @property
    def failed(self) -> list[str]:
        """Codes of the rules that fail, in rule order."""
        return [code for code, verdict in self.verdicts.items() if verdict is False]

    @property
    def conforms(self) -> bool:
        return not self.failed


def check(record: DatasetRecord) -> Conformity:
    """Run every rule on ``record``."""
    return Conformity({rule.code: rule.check(record) for rule in RULES})


def rule_text(code: str) -> str:
    """The plain-words text of a rule code (the code itself when unknown)."""
    return next((rule.text for rule in RULES if rule.code == code), code)
