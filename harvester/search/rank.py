"""Rank keys: SQLite full-text rowids that sort in relevance order.

Each dataset's full-text rows are stored under ``(99 - richness) << 32 | pk``: ascending
rowids are "best described first, then by pk", the order of one relevance tier. FTS5 yields
matches in rowid order, so the first page of a tier stops after its rows however many
documents match, and a keyset cursor ``(score, pk)`` is a rowid bound.
"""

from __future__ import annotations

SHIFT = 32
PK_MASK = (1 << SHIFT) - 1
TOP = 99


def clamp(richness: int) -> int:
    return max(0, min(TOP, int(richness)))


def rank_key(richness: int, pk: int) -> int:
    """The rowid of dataset ``pk`` whose richness is ``richness``."""
    return ((TOP - clamp(richness)) << SHIFT) | pk


def split(key: int) -> tuple[int, int]:
    """(richness, pk) of a rank key."""
    return TOP - (key >> SHIFT), key & PK_MASK
