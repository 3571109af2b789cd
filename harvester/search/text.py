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
from dataclasses import dataclass
from functools import lru_cache
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


CACHED_TEXT_MAX = 160
"""Texts up to this length (keywords, publisher and file names, titles) have their analysis
memoized: they recur across a catalogue's records, descriptions rarely do."""


@lru_cache(maxsize=32768)
def _analysed_text(text: str) -> tuple[str, str]:
    return _analysed_words(words(text))


@lru_cache(maxsize=65536)
def _token_words(token: str) -> tuple[str, ...]:
    return tuple(words(token))


def _indexed_words(text: str) -> list[str]:
    """``words(text)``, folding each whitespace-separated token once per process: folding
    works character by character and whitespace stays a separator, so the words are the
    same, and a catalogue's descriptions share most of their tokens."""
    if text.isascii():
        return words(text)
    found: list[str] = []
    for token in text.split():
        found.extend(_token_words(token))
    return found


def _analysed_words(folded: list[str]) -> tuple[str, str]:
    fr, en = STOPWORDS["fr"], STOPWORDS["en"]
    return (
        " ".join(_stemmer("fr").stemWords([w for w in folded if w not in fr])),
        " ".join(_stemmer("en").stemWords([w for w in folded if w not in en])),
    )


def _analysed(texts: Iterable[str]) -> tuple[str, str]:
    """The French and the English analysis of ``texts`` (folded once for both): the stems
    of every text's words in order, as if the texts were one."""
    french: list[str] = []
    english: list[str] = []
    for text in texts:
        if not text:
            continue
        fr, en = (
            _analysed_text(text)
            if len(text) <= CACHED_TEXT_MAX
            else _analysed_words(_indexed_words(text))
        )
        if fr:
            french.append(fr)
        if en:
            english.append(en)
    return " ".join(french), " ".join(english)


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
