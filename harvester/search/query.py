"""The user's query language: words, "quoted phrases", ``-exclusions`` and ``OR``.

``parse_query('"transport en commun" bus OR metro -nuit')`` gives: the phrase, AND (bus OR
metro), AND NOT nuit. Each term is analysed as French and as English (see ``text``); a
term is matched if either analysis matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harvester.search.text import stems

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a phrase, already analysed in both languages."""

    fr: tuple[str, ...]
    en: tuple[str, ...]


@dataclass(slots=True)
class ParsedQuery:
    """Every group in ``must`` has to match (a group matches if one of its terms does);
    no term of ``must_not`` may match."""

    must: list[list[Term]] = field(default_factory=list)
    must_not: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.must and not self.must_not


def _term(text: str) -> Term | None:
    fr, en = tuple(stems(text, "fr")), tuple(stems(text, "en"))
    if not fr and not en:
        return None
    return Term(fr=fr or en, en=en or fr)


def parse_query(query: str) -> ParsedQuery:
    """Parse the search box text; stop words and punctuation alone are dropped."""
    parsed = ParsedQuery()
    join_next = False
    for match in _TOKEN.finditer(query):
        negated_phrase, phrase, bare = match.groups()
        if bare == "OR":
            join_next = bool(parsed.must)
            continue
        negated = bool(negated_phrase) if phrase is not None else bare.startswith("-")
        text = phrase if phrase is not None else bare.lstrip("-")
        term = _term(text)
        if term is None:
            join_next = False
            continue
        if negated:
            parsed.must_not.append(term)
        elif join_next:
            parsed.must[-1].append(term)
        else:
            parsed.must.append([term])
        join_next = False
    return parsed
