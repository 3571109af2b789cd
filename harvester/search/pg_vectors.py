"""A search document's PostgreSQL tsvectors, written as ``tsvector`` text in Python.

``search_doc`` holds ``setweight(to_tsvector('simple', title_fr), 'A') ||
setweight(to_tsvector('simple', title_en), 'B')`` (``title_vector``) and that ``||`` the
bodies weighted ``C`` and ``D`` (``vector``). The texts are already analysed (folded,
stemmed words joined by single spaces, :mod:`harvester.search.text`), so when each of their
tokens is one the parser reads as one word, ``to_tsvector('simple', …)`` gives every token
as itself at positions 1, 2, … and ``||`` shifts the right-hand positions by the left's
last: the vectors are these tokens at their running positions, with their part's weight.
Each token is written with its own position (``eau:1A potabl:2A eau:7C``): ``tsvector``'s
input merges a lexeme's positions itself, so the text is joined in C, with no grouping in
Python (~80–110 µs per dataset on the benchmark machine, in the mapping worker). The server
casts it in ~75 µs per dataset where the four ``to_tsvector`` calls take ~290 µs (10 k
simulator datasets: 0.74 against 2.87 s), and the harvesting process waits for that
statement.

A text is kept to this path when its tokens are lower-case ASCII letters and digits,
single-spaced (what ``\\w``, folding and stemming give for French and English; a word the
database's locale might classify otherwise, an underscore, which the parser splits on, or
any other character sends the document to ``to_tsvector``), and none is a number in
exponent notation followed by more characters (``1e5x`` is read as ``1e5`` then ``x``).
Documents past the limits of ``tsvector`` (positions above 16,383, more than 255 positions
of one lexeme, words over 2,046 bytes) go to ``to_tsvector`` too. Tests compare both on
every recorded and simulated document.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain

from harvester.search.text import SearchDocument

MAX_POSITION = 16_383
MAX_POSITIONS = 255  # below PostgreSQL's 256: its cap never applies
MAX_WORD = 2_046  # tsvector input refuses longer lexemes; to_tsvector drops them

_E_DIGIT = re.compile(r"e[0-9]")
_SPLIT_NUMBER = re.compile(r"(?<![a-z0-9])[0-9]+e[0-9]+[a-z]")
"""A token the parser reads as a number in exponent notation and then a word."""

_WEIGHTS = "ABCD"
_SUFFIXES: list[list[str]] = [[] for _ in _WEIGHTS]
"""Per weight, ``f":{position}{weight} "`` for positions 0, 1, …; each list complete when
published (a harvesting process writes vectors in two threads)."""


def _suffixes(weight: int, first: int, last: int) -> list[str]:
    """The suffixes of positions ``first`` to ``last`` of ``weight``."""
    suffixes = _SUFFIXES[weight]
    if len(suffixes) <= last:
        letter = _WEIGHTS[weight]
        size = min(max(last + 1, 2 * len(suffixes), 1024), MAX_POSITION + 1)
        suffixes = [f":{position}{letter} " for position in range(size)]
        _SUFFIXES[weight] = suffixes  # replaced whole, never extended in place
    return suffixes[first : last + 1]


def _plain(text: str) -> bool:
    """Whether ``text`` (not empty) is lower-case ASCII words and digits, single-spaced,
    none of them a number in exponent notation followed by more (all C string methods but
    the rare exponent check)."""
    return (
        text.isascii()
        and text[0] != " "
        and text[-1] != " "
        and "  " not in text
        and text.replace(" ", "").isalnum()
        and text == text.lower()
        and (_E_DIGIT.search(text) is None or _SPLIT_NUMBER.search(text) is None)
        and (len(text) <= MAX_WORD or max(map(len, text.split(" "))) <= MAX_WORD)
    )


def vectors(doc: SearchDocument) -> tuple[str, str] | None:
    """``(title_vector, vector)`` as ``tsvector`` text, or None when a text must go through
    ``to_tsvector``."""
    texts = (doc.title_fr, doc.title_en, doc.body_fr, doc.body_en)
    if not all(_plain(text) for text in texts if text):
        return None
    pieces: list[str] = []
    tokens: list[str] = []
    last = 0
    titles = ""
    for weight, text in enumerate(texts):
        if text:
            words = text.split(" ")
            first, last = last + 1, last + len(words)
            if last > MAX_POSITION:
                return None
            suffixes = _suffixes(weight, first, last)
            pieces.append("".join(chain.from_iterable(zip(words, suffixes, strict=True))))
            tokens += words
        if weight == 1:
            titles = "".join(pieces)
    # a word repeated n times leaves at most len(tokens) - n + 1 distinct ones
    if (
        len(tokens) - len(set(tokens)) >= MAX_POSITIONS
        and max(Counter(tokens).values()) > MAX_POSITIONS
    ):
        return None
    return titles.rstrip(), "".join(pieces).rstrip()
