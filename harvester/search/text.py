"""Text analysis shared by indexing and querying: fold case and accents, then stem.

Every text is analysed twice, as French and as English, whatever its language tag, so a
query in either language finds a record described in either. Accents are removed *before*
stemming on both sides, so "energie" finds "Énergie" and "donnees" finds "données".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import snowballstemmer

from catalog.model import DatasetRecord
from harvester.positional import PickledByPosition

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")

_WORD = re.compile(r"\w+", re.UNICODE)

STOPWORDS: dict[Language, frozenset[str]] = {
    "fr": frozenset(
        "a au aux avec ce ces d dans de des du elle en et il l la le les leur lui m ma mais "
        "me mes n ne ni nos notre nous on ou par pas pour qu que qui s sa se ses son sur t ta "
        "te tes toi ton tu un une vos votre vous y est sont".split()
    ),
    "en": frozenset(
        "a an and are as at be by for from has have in is it its of on or that the this to "
        "was were will with".split()
    ),
}


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its diacritics ("Énergie" → "energie")."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def new_stemmer(language: Language) -> snowballstemmer.stemmer:
    """A stemmer for ``language``."""
    return snowballstemmer.stemmer("french" if language == "fr" else "english")


_per_thread = threading.local()


def _stemmer(language: Language) -> snowballstemmer.stemmer:
    """This thread's stemmer for ``language``: a stemmer keeps state while it stems (PyStemmer
    says not to share one between threads), and a harvesting process maps in two threads
    (:mod:`harvester.mapping_pool`)."""
    stemmers: dict[Language, snowballstemmer.stemmer] | None = getattr(
        _per_thread, "stemmers", None
    )
    if stemmers is None:
        stemmers = _per_thread.stemmers = {}
    found = stemmers.get(language)
    if found is None:
        found = stemmers[language] = new_stemmer(language)
    return found


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _WORD.findall(fold(text))


def stem_word(word: str, language: Language) -> str:
    """The stem of one already-folded word."""
    return str(_stemmer(language).stemWord(word))


def stems(text: str, language: Language) -> list[str]:
    """Folded, stemmed words of ``text`` without stop words, in order."""
    stop = STOPWORDS[language]
    kept = [word for word in words(text) if word not in stop]
    return list(_stemmer(language).stemWords(kept))


@dataclass(frozen=True, slots=True)
class SearchDocument(PickledByPosition):
    """What the full-text index stores for one dataset."""

    title_fr: str
    title_en: str
    body_fr: str
    body_en: str
    vectors: tuple[str, str] | tuple[()] | None = field(default=None, compare=False)
    """PostgreSQL's ``(title_vector, vector)`` of these texts as ``tsvector`` text, when the
    mapping wrote them (:mod:`harvester.search.pg_vectors`); ``()`` when the mapping found
    that a text needs ``to_tsvector``. Derived from the texts, so left out of comparisons
    and digests."""


TOKEN_STEMS_MAX = 50_000
"""Distinct tokens a process keeps the stems of, per language, before it starts afresh
(~10 MB each when full): a catalogue's texts share most of their tokens."""


class _TokenStems(dict[str, str]):
    """A whitespace-separated token, as written, → the stems of its folded words in one
    language, stop words left out, joined by spaces ("" for none); filled on first sight,
    emptied when full.

    Folding and stemming work word by word and whitespace is never part of a word, so a
    text's analysis is its tokens' stems in order; looking them up here keeps the loop over
    a text's tokens in C (``map``, ``filter``, ``join``), where stemming each word cost ~3×
    as much."""

    def __init__(self, language: Language) -> None:
        super().__init__()
        self.language: Language = language
        self.stop = STOPWORDS[language]

    def __missing__(self, token: str) -> str:
        if len(self) >= TOKEN_STEMS_MAX:
            self.clear()
        kept = [word for word in words(token) if word not in self.stop]
        found = self[token] = " ".join(_stemmer(self.language).stemWords(kept)) if kept else ""
        return found


_TOKEN_STEMS: dict[Language, _TokenStems] = {
    language: _TokenStems(language) for language in LANGUAGES
}


def _analysed(texts: Iterable[str]) -> tuple[str, str]:
    """The French and the English analysis of ``texts``: the stems of their words in order,
    as if the texts were one (``" ".join(stems(...))`` of each language)."""
    tokens = " ".join(texts).split()
    french = _TOKEN_STEMS["fr"].__getitem__
    english = _TOKEN_STEMS["en"].__getitem__
    return (
        " ".join(filter(None, map(french, tokens))),
        " ".join(filter(None, map(english, tokens))),
    )


def search_document(record: DatasetRecord) -> SearchDocument:
    """The searchable text of a record: titles apart from the rest (weighted higher)."""
    titles = list(record.title.values())
    body: list[str] = [*record.description.values()]
    for terms in record.keywords.values():
        body.extend(terms)
    if record.publisher:
        body.extend(record.publisher.name.values())
    for distribution in record.distributions:
        body.extend(distribution.title.values())
    title_fr, title_en = _analysed(titles)
    body_fr, body_en = _analysed(body)
    return SearchDocument(title_fr=title_fr, title_en=title_en, body_fr=body_fr, body_en=body_en)
