"""Highlighted snippets: the words of a text that the query matched, wrapped in ``<mark>``.

Matching uses the same analysis as the index (fold, then stem as French and as English), so
"bibliothèques" highlights "Bibliothèque". The text is HTML-escaped; only ``<mark>`` is added.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from harvester.search.query import ParsedQuery
from harvester.search.text import STOPWORDS, fold, stem_word

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Stems:
    fr: frozenset[str]
    en: frozenset[str]

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


def query_stems(query: ParsedQuery) -> Stems:
    """The stems a text must contain to be highlighted (exclusions are never shown)."""
    terms = [term for group in query.must for term in group]
    return Stems(
        fr=frozenset(stem for term in terms for stem in term.fr),
        en=frozenset(stem for term in terms for stem in term.en),
    )


def highlight(text: str, stems: Stems, *, max_words: int | None = None) -> str | None:
    """``text`` escaped with matching words marked, or None if nothing matched. With
    ``max_words``, a window of that many words around the first match (``…`` on cut sides)."""
    words = list(_WORD.finditer(text))
    first_hit = next((i for i, word in enumerate(words) if stems.match(word.group())), None)
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
