"""Turn a parsed query into the match syntax of each backend (SQLite FTS5, PostgreSQL)."""

from __future__ import annotations

from harvester.search.query import ParsedQuery, Term

_FTS_COLUMNS = {"fr": "{title_fr body_fr}", "en": "{title_en body_en}"}
_PG_WEIGHTS = {"fr": "AC", "en": "BD"}


def _fts_phrase(stems: tuple[str, ...]) -> str:
    return '"' + " ".join(stem.replace('"', '""') for stem in stems) + '"'


def _fts_term(term: Term) -> str:
    return (
        f"({_FTS_COLUMNS['fr']} : {_fts_phrase(term.fr)}"
        f" OR {_FTS_COLUMNS['en']} : {_fts_phrase(term.en)})"
    )


def _fts_group(group: list[Term]) -> str:
    return "(" + " OR ".join(_fts_term(term) for term in group) + ")"


def fts5_match(query: ParsedQuery) -> tuple[str | None, str | None]:
    """FTS5 MATCH expressions (positive part, excluded part); either may be None."""
    positive = " AND ".join(_fts_group(group) for group in query.must) or None
    negative = " OR ".join(_fts_term(term) for term in query.must_not) or None
    return positive, negative


def _pg_lexeme(stem: str, weights: str) -> str:
    return "'" + stem.replace("'", "''") + "':" + weights


def _pg_term(term: Term) -> str:
    alternatives = [
        " <-> ".join(_pg_lexeme(stem, _PG_WEIGHTS[language]) for stem in stems)
        for language, stems in (("fr", term.fr), ("en", term.en))
    ]
    return "(" + " | ".join(f"({alternative})" for alternative in alternatives) + ")"


def tsquery(query: ParsedQuery) -> str | None:
    """A ``to_tsquery('simple', …)`` expression, or None for an empty query."""
    parts = ["(" + " | ".join(_pg_term(term) for term in group) + ")" for group in query.must]
    parts += [f"!{_pg_term(term)}" for term in query.must_not]
    return " & ".join(parts) or None
