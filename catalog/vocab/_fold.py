"""Accent and case folding for vocabulary lookups ("Irrégulière" → "irreguliere").

Every vocabulary module indexes its table under folded names and folds the value it is
asked about the same way. :func:`fold` removes accents (NFKD, combining marks dropped) and
case (``casefold``); :func:`fold_words` also turns every run of other characters than
``a-z``, ``0-9`` and ``keep`` into one space; :func:`fold_spaces` only collapses white space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def fold(text: str) -> str:
    """``text`` without accents, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold_spaces(text: str) -> str:
    """:func:`fold`, with white space collapsed to single spaces and stripped."""
    return " ".join(fold(text).split())


@lru_cache(maxsize=8)
def _other_than(keep: str) -> re.Pattern[str]:
    return re.compile(f"[^a-z0-9{re.escape(keep)}]+")


def fold_words(text: str, keep: str = "") -> str:
    """:func:`fold`, with every run of characters other than ``a-z``, ``0-9`` and ``keep``
    turned into one space, stripped ("Semi-annuel" → "semi annuel")."""
    return " ".join(_other_than(keep).sub(" ", fold(text)).split())
