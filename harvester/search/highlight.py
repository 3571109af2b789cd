"""Highlighted snippets: the words of a text that the query matched, wrapped in ``<mark>``.

Matching uses the same analysis as the index (fold, then stem as French and as English), so
"bibliothèques" highlights "Bibliothèque". The text is HTML-escaped; only ``<mark>`` is added.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from harvester.search.query import ParsedQuery
from harvester.search.text import STOPWORDS, fold, stem_word

_WORD = re.compile(r"\w+", re.UNICODE)


STEM_CHANGE_MAX = 3
"""Characters at the end of a stem that may not be in its word as such: Snowball French and
English change at most the last two ("emment" → "ent", "ication" → "iqu", "ying" → "ie"),
one more for safety. The rest of a stem is a prefix of the folded word it stems."""


@dataclass(frozen=True, slots=True)
class Stems:
    fr: frozenset[str]
    en: frozenset[str]
    anchors: tuple[str, ...] | None = field(init=False, repr=False, compare=False)
    """What a text must contain, folded to ASCII, to hold a match (None: no such test)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", _anchors(self.fr | self.en))

    def match(self, word: str) -> bool:
        french, english = word_stems(word)
        return french in self.fr or english in self.en


@lru_cache(maxsize=65_536)
def word_stems(word: str) -> tuple[str | None, str | None]:
    """The French and English stems of one word as the index analyses it (None for a stop
    word). Cached: a page of results repeats the catalogue's vocabulary, and stemming is
    most of a snippet's cost."""
    folded = fold(word)
    return (
        None if folded in STOPWORDS["fr"] else stem_word(folded, "fr"),
        None if folded in STOPWORDS["en"] else stem_word(folded, "en"),
    )


def _anchors(stems: frozenset[str]) -> tuple[str, ...] | None:
    """A prefix of each stem that every word with this stem contains once folded, or None
    if a stem has no ASCII one (too short, or a letter that ASCII has not)."""
    found = {stem[: len(stem) - STEM_CHANGE_MAX] for stem in stems}
    if not all(anchor and anchor.isascii() for anchor in found):
        return None
    return tuple(found)


def may_match(text: str, stems: Stems) -> bool:
    """False when no word of ``text`` can match: no anchor occurs in the text case-folded,
    decomposed, then kept to its ASCII characters (which keeps each folded word's ASCII
    letters in order, and ASCII anchors have no other). Cheaper than reading its words."""
    if stems.anchors is None:
        return True
    if text.isascii():
        ascii_text = text.lower()
    else:
        folded = unicodedata.normalize("NFKD", text.casefold())
        ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return any(anchor in ascii_text for anchor in stems.anchors)


def query_stems(query: ParsedQuery) -> Stems:
    """The stems a text must contain to be highlighted (exclusions are never shown)."""
    terms = [term for group in query.must for term in group]
    return Stems(
        fr=frozenset(stem for term in terms for stem in term.fr),
        en=frozenset(stem for term in terms for stem in term.en),
    )


def _scan(text: str, stems: Stems, max_words: int | None) -> tuple[list[re.Match[str]], int | None]:
    """The words of ``text`` and the index of the first matching one. With ``max_words``,
    only as far as one word past the window around it: the rest changes no snippet."""
    words: list[re.Match[str]] = []
    first_hit = stop = None
    for word in _WORD.finditer(text):
        words.append(word)
        if first_hit is None:
            if stems.match(word.group()):
                first_hit = len(words) - 1
                if max_words is not None:
                    stop = max(0, first_hit - max_words // 3) + max_words + 1
        elif stop is not None and len(words) >= stop:
            break
    return words, first_hit


def highlight(text: str, stems: Stems, *, max_words: int | None = None) -> str | None:
    """``text`` escaped with matching words marked, or None if nothing matched. With
    ``max_words``, a window of that many words around the first match (``…`` on cut sides)."""
    if not may_match(text, stems):
        return None
    words, first_hit = _scan(text, stems, max_words)
    if first_hit is None:
        return None
    first, last = 0, len(words)
    if max_words is not None and len(words) > max_words:
        first = max(0, min(first_hit - max_words // 3, len(words) - max_words))
        last = first + max_words
    # the window starts at or before the first match: only its words need matching
    marked = [i for i in range(first_hit, last) if stems.match(words[i].group())]
    start = words[first].start() if first else 0
    end = words[last - 1].end() if last < len(words) else len(text)
    out, position = [], start
    for i in marked:  # escaping is per character: the text between marks goes at once
        word = words[i]
        out.append(html.escape(text[position : word.start()]))
        out.append(f"<mark>{html.escape(word.group())}</mark>")
        position = word.end()
    out.append(html.escape(text[position:end]))
    snippet = "".join(out).strip()
    return ("…" if start else "") + snippet + ("…" if end < len(text) else "")
