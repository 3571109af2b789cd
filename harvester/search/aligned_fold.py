"""Folding that keeps a text's offsets, in bytes: ``fold`` of each word, where it stands.

:func:`harvester.search.text.fold` lower-cases a text and strips its diacritics. Nearly
every French and English text is written in Windows-1252's characters (accented letters,
``œ``, dashes, curly quotes), one byte each there, and each of their word characters folds
to one word character of it ("É" → "e", "Ç" → "c"). :func:`aligned_fold` encodes a text
so, folds its word characters with one ``bytes.translate`` and leaves the others as they
are: every word keeps its offsets, and its bytes are its folded form. It returns None for
a text with another character, or a word character that folds to more or fewer ("ß" →
"ss", "½"): callers then read the text word by word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.search.text import fold

CODEC = "cp1252"
_WORD_CHAR = re.compile(r"\w")
_ODD = 0
"""The byte a word character that does not fold to one becomes (NUL is no word's)."""


def _tables() -> tuple[bytes, bytes]:
    """(byte → its folded byte, ``_ODD`` for the odd ones; byte → ``a`` for a word
    character, a space for any other)."""
    folding, kinds = bytearray(range(256)), bytearray(b" " * 256)
    for byte in range(256):
        try:
            char = bytes([byte]).decode(CODEC)
        except UnicodeDecodeError:  # unassigned: never encoded
            continue
        if not _WORD_CHAR.match(char):
            continue
        kinds[byte] = ord("a")
        try:
            folded = fold(char).encode(CODEC)
        except UnicodeEncodeError:
            folded = b""
        regular = len(folded) == 1 and _WORD_CHAR.match(folded.decode(CODEC))
        folding[byte] = folded[0] if regular else _ODD
    return bytes(folding), bytes(kinds)


_FOLDING, _KINDS = _tables()


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text's folded bytes (word characters folded, others kept) and its word mask
    (``a`` for a word character, a space for any other), offset for offset."""

    folded: bytes
    mask: bytes


def aligned_fold(text: str) -> FoldedText | None:
    """``text`` folded word by word in place (see the module docstring), or None."""
    try:
        encoded = text.encode(CODEC)
    except UnicodeEncodeError:
        return None
    folded = encoded.translate(_FOLDING)
    if _ODD in folded:  # an odd word character (or a NUL, which is left alone too)
        return None
    return FoldedText(folded, encoded.translate(_KINDS))
