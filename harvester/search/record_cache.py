"""Stored records of search results, kept per process like a search engine's document cache.

A page of results read each dataset's whole stored record (~6 KB of JSON) to show its
summary: 0.83 ms of a 4.3 ms search call for 20 rows at 100 k datasets (SQLite), of which
0.17 ms read the other columns. Records are kept here by database, dataset and content
hash; a page reads its rows' content hashes and fetches only the records it has not kept.
A record is written again only when its content hash changes, save for its
``provenance.harvested_at``, which a kept record may show older than the stored one.

Each kept record carries a ``derived`` dict in which its readers keep what they compute
from it alone (the API keeps a result's JSON fields there): it goes when the record goes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

SIZE = 1024
"""Records kept per process (0: none); ``MOISSON_SEARCH_RECORD_CACHE``. A simulator record
(5 KB of JSON) holds ~21 KB parsed: ~21 MB at this size."""

Key = tuple[str, int, str]
"""(database URL, dataset pk, content hash)."""


@dataclass(slots=True)
class Kept:
    """A stored record (do not modify it) and the values derived from it alone."""

    record: dict[str, Any]
    derived: dict[str, Any] = field(default_factory=dict)


_kept: OrderedDict[Key, Kept] = OrderedDict()


def get(key: Key) -> Kept | None:
    """The record kept under ``key``, or None."""
    found = _kept.get(key)
    if found is not None:
        _kept.move_to_end(key)
    return found


def put(key: Key, record: dict[str, Any]) -> Kept:
    """Keep ``record`` (unless :data:`SIZE` is 0); the least recently used go past SIZE."""
    kept = Kept(record)
    if SIZE <= 0:
        return kept
    _kept[key] = kept
    while len(_kept) > SIZE:
        _kept.popitem(last=False)
    return kept


def clear() -> None:
    """Forget every kept record (benchmarks measure cold pages with it)."""
    _kept.clear()
