"""Highlighted snippets: the words of a text that the query matched, wrapped in ``<mark>``.

Matching uses the same analysis as the index (fold, then stem as French and as English), so
"bibliothèques" highlights "Bibliothèque". The text is HTML-escaped; only ``<mark>`` is added.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from harvester.search.query import ParsedQuery
from harvester.search.text import STOPWORDS, fold, stem_word

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Stems:
    fr: frozenset[str]
    en: frozenset[str]

    def match(self, word: str) -> bool:
        folded = fold(word)
        return (folded not in STOPWORDS["fr"] and stem_word(folded, "fr") in self.fr) or (
            folded not in STOPWORDS["en"] and stem_word(folded, "en") in self.en
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
    hits = [i for i, word in enumerate(words) if stems.match(word.group())]
    marked_words = set(hits)
    if not hits:
        return None
    first, last = 0, len(words)
    if max_words is not None and len(words) > max_words:
        first = max(0, min(hits[0] - max_words // 3, len(words) - max_words))
        last = first + max_words
    start = words[first].start() if first else 0
    end = words[last - 1].end() if last < len(words) else len(text)
    out, position = [], start
    for i in range(first, last):
        word = words[i]
        out.append(html.escape(text[position : word.start()]))
        marked = html.escape(word.group())
        out.append(f"<mark>{marked}</mark>" if i in marked_words else marked)
        position = word.end()
    out.append(html.escape(text[position:end]))
    snippet = "".join(out).strip()
    return ("…" if start else "") + snippet + ("…" if end < len(text) else "")
