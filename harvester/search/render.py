"""Turn a parsed query into the match syntax of each backend (SQLite FTS5, PostgreSQL).

``fields="title"`` restricts the match to titles (FTS5 columns ``title_*``, PostgreSQL's
``title_vector``); relevance ranks title matches first.
"""

from __future__ import annotations

from typing import Literal

from harvester.search.query import ParsedQuery, Term

Fields = Literal["all", "title"]

_FTS_COLUMNS: dict[Fields, dict[str, str]] = {
    "all": {"fr": "{title_fr body_fr}", "en": "{title_en body_en}"},
    "title": {"fr": "{title_fr}", "en": "{title_en}"},
}
_PG_WEIGHTS: dict[Fields, dict[str, str]] = {
    "all": {"fr": "AC", "en": "BD"},
    "title": {"fr": "A", "en": "B"},
}


def _fts_phrase(stems: tuple[str, ...]) -> str:
    return '"' + " ".join(stem.replace('"', '""') for stem in stems) + '"'


def _fts_term(term: Term, fields: Fields) -> str:
    columns = _FTS_COLUMNS[fields]
    return f"({columns['fr']} : {_fts_phrase(term.fr)} OR {columns['en']} : {_fts_phrase(term.en)})"


def _fts_group(group: list[Term], fields: Fields) -> str:
    return "(" + " OR ".join(_fts_term(term, fields) for term in group) + ")"


def fts5_match(query: ParsedQuery, fields: Fields = "all") -> tuple[str | None, str | None]:
    """FTS5 MATCH expressions (positive part, excluded part); either may be None."""
    positive = " AND ".join(_fts_group(group, fields) for group in query.must) or None
    negative = " OR ".join(_fts_term(term, "all") for term in query.must_not) or None
    return positive, negative


def _pg_lexeme(stem: str, weights: str) -> str:
    return "'" + stem.replace("'", "''") + "'" + (f":{weights}" if weights else "")


def _pg_term(term: Term, fields: Fields) -> str:
    if term.fr == term.en and len(term.fr) == 1:
        # one word, the same stem in both languages: every weight of the column matches,
        # so the lexeme goes unweighted — GIN then needs no recheck of the heap row (a
        # count or a bitmap of a common term does not read the documents). Phrases keep
        # their weights: unweighted, one could span two columns of the concatenated vector.
        return "(" + _pg_lexeme(term.fr[0], "") + ")"
    weights = _PG_WEIGHTS[fields]
    alternatives = [
        " <-> ".join(_pg_lexeme(stem, weights[language]) for stem in stems)
        for language, stems in (("fr", term.fr), ("en", term.en))
    ]
    return "(" + " | ".join(f"({alternative})" for alternative in alternatives) + ")"


def tsquery(query: ParsedQuery, fields: Fields = "all") -> tuple[str | None, str | None]:
    """``to_tsquery('simple', …)`` expressions (positive part, excluded part): ``"all"`` for
    ``search_doc.vector`` (weights A/B titles, C/D bodies), ``"title"`` for
    ``search_doc.title_vector`` (titles alone, A/B): a term whose French and English stems
    coincide is unweighted, which is exact on those columns only."""
    groups = ["(" + " | ".join(_pg_term(t, fields) for t in group) + ")" for group in query.must]
    negative = " | ".join(_pg_term(term, "all") for term in query.must_not)
    return " & ".join(groups) or None, negative or None
