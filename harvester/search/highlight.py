"""Highlighted snippets: the words of a text that the query matched, wrapped in ``<mark>``.

Matching uses the same analysis as the index (fold, then stem as French and as English), so
"bibliothèques" highlights "Bibliothèque". The text is HTML-escaped; only ``<mark>`` is added.

A page of results highlights some forty texts; reading each word by word cost ~1 ms per
search. A text is now folded in place as bytes (:mod:`harvester.search.aligned_fold`) and
only the words beginning with an anchor of the query's stems are stemmed; texts that cannot
be folded so (characters beyond Windows-1252, "ß"), and queries without anchors, are still
read word by word. Both ways give the same snippets.
"""

from __future__ import annotations

import html
import re
import unicodedata
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from harvester.search.aligned_fold import FoldedText, aligned_fold
from harvester.search.query import ParsedQuery
from harvester.search.text import STOPWORDS, fold, stem_word

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = ord(" ")


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
    needles: tuple[bytes, ...] | None = field(init=False, repr=False, compare=False)
    """The anchors as bytes, to find in an aligned fold."""

    def __post_init__(self) -> None:
        anchors = _anchors(self.fr | self.en)
        object.__setattr__(self, "anchors", anchors)
        needles = None if anchors is None else tuple(a.encode("ascii") for a in anchors)
        object.__setattr__(self, "needles", needles)

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


_ESCAPED = re.compile(r"[&<>\"']")
"""What ``html.escape`` changes."""
_MASK_WORD = re.compile(rb"a+")
"""A word in an aligned fold's word mask."""


@dataclass(frozen=True, slots=True)
class PreparedText:
    """What highlighting a text needs of it whatever the query, made once per text of a
    kept record (:mod:`api.search_page`; folding, escaping and counting words were half of
    a page's snippets): its aligned fold (None: read word by word), the offsets where its
    words start and end (in the fold's word mask), and the text escaped, with where each
    character that escaping lengthens stands and what it adds up to there."""

    text: str
    fold: FoldedText | None
    word_starts: array[int]
    word_ends: array[int]
    escaped: str
    lengthened: array[int]
    added: array[int]

    def escaped_slice(self, start: int, end: int) -> str:
        """``html.escape(text[start:end])``, cut from the escaped text."""
        if not self.lengthened:
            return self.text[start:end]
        return self.escaped[self._escaped_offset(start) : self._escaped_offset(end)]

    def _escaped_offset(self, offset: int) -> int:
        before = bisect_left(self.lengthened, offset)  # characters lengthened before it
        return offset + (self.added[before - 1] if before else 0)


def prepare(text: str) -> PreparedText:
    """``text`` made ready for :func:`highlight`."""
    fold = aligned_fold(text)
    starts, ends = array("i"), array("i")
    if fold is not None:
        for word in _MASK_WORD.finditer(fold.mask):
            starts.append(word.start())
            ends.append(word.end())
    lengthened, added, total = array("i"), array("i"), 0
    for special in _ESCAPED.finditer(text):
        lengthened.append(special.start())
        total += len(html.escape(special.group())) - 1
        added.append(total)
    escaped = html.escape(text) if lengthened else text
    return PreparedText(text, fold, starts, ends, escaped, lengthened, added)


def _matched_spans(prepared: PreparedText, stems: Stems) -> list[tuple[int, int]] | None:
    """The offsets of the words of the text that match, in order, found without reading
    every word: the words whose folded form begins with an anchor (a stem but its last
    :data:`STEM_CHANGE_MAX` letters is a prefix of the folded word it stems), each then
    stemmed. None when this cannot tell (no anchors; a text :func:`aligned_fold`
    leaves)."""
    found, needles = prepared.fold, stems.needles
    if needles is None or found is None:
        return None
    folded, mask = found.folded, found.mask
    starts: list[int] = []  # in order and once each with one anchor (most queries)
    for needle in needles:
        position = folded.find(needle)
        while position >= 0:
            if position == 0 or mask[position - 1] == _SPACE:
                starts.append(position)
            position = folded.find(needle, position + 1)
    if len(needles) > 1:
        starts = sorted(set(starts))
    text, french_stems, english_stems = prepared.text, stems.fr, stems.en
    spans = []
    for start in starts:
        end = mask.find(b" ", start)
        if end < 0:
            end = len(mask)
        french, english = word_stems(text[start:end])
        if french in french_stems or english in english_stems:
            spans.append((start, end))
    return spans


def _spans_by_words(
    text: str, stems: Stems, max_words: int | None
) -> tuple[list[tuple[int, int]], int, int]:
    """Word by word: the offsets of the matching words, and the first and last offset of
    the snippet. With ``max_words``, only as far as one word past the window around the
    first match: the rest changes no snippet."""
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
    if first_hit is None:
        return [], 0, len(text)
    first, last = 0, len(words)
    if max_words is not None and len(words) > max_words:
        first = max(0, min(first_hit - max_words // 3, len(words) - max_words))
        last = first + max_words
    # the window starts at or before the first match: only its words need matching
    spans = [words[i].span() for i in range(first_hit, last) if stems.match(words[i].group())]
    start = words[first].start() if first else 0
    end = words[last - 1].end() if last < len(words) else len(text)
    return spans, start, end


def _window(prepared: PreparedText, first_match: int, max_words: int) -> tuple[int, int]:
    """The offsets of the window of ``max_words`` words around the match at
    ``first_match``: a third of the words before it, as far as the text allows (as
    :func:`_spans_by_words` cuts it)."""
    starts, ends = prepared.word_starts, prepared.word_ends
    count = len(starts)
    if count <= max_words:
        return 0, len(prepared.text)
    before = bisect_left(starts, first_match)
    first = max(0, min(before - max_words // 3, count - max_words))
    last = first + max_words
    return (starts[first] if first else 0), (ends[last - 1] if last < count else len(prepared.text))


def highlight(
    text: str | PreparedText, stems: Stems, *, max_words: int | None = None
) -> str | None:
    """``text`` (or what :func:`prepare` made of it) escaped with matching words marked, or
    None if nothing matched. With ``max_words``, a window of that many words around the
    first match (``…`` on cut sides)."""
    prepared = text if isinstance(text, PreparedText) else prepare(text)
    text = prepared.text
    matched = _matched_spans(prepared, stems)
    if matched is None:
        if not may_match(text, stems):
            return None
        spans, start, end = _spans_by_words(text, stems, max_words)
    else:
        spans = matched
        if not spans:
            return None
        start, end = 0, len(text)
        if max_words is not None:
            start, end = _window(prepared, spans[0][0], max_words)
            if end < len(text):
                spans = [span for span in spans if span[1] <= end]
    if not spans:
        return None
    out: list[str] = []
    position = start
    if prepared.lengthened:  # escaping is per character: text between marks at once
        escaped = prepared.escaped_slice
        for word_start, word_end in spans:
            out += (escaped(position, word_start), "<mark>", escaped(word_start, word_end))
            out.append("</mark>")
            position = word_end
        out.append(escaped(position, end))
    else:  # nothing to escape: slices of the text itself
        for word_start, word_end in spans:
            out += (text[position:word_start], "<mark>", text[word_start:word_end], "</mark>")
            position = word_end
        out.append(text[position:end])
    snippet = "".join(out).strip()
    return ("…" if start else "") + snippet + ("…" if end < len(text) else "")
