"""Facet pairs as full-text tokens (SQLite only): facet filters intersected inside FTS5.

A text query with a facet filter ("patrimoine", ``licence=CC-BY-4.0``) counted its total
by testing each full-text match against the filter: SQLite either built the list of every
dataset holding the value (49,685 pks of 100 k: ~18 ms) or probed the facet index once
per match (19,038 probes: ~30 ms). ``search_fts`` now holds each indexed dataset's facet
pairs as tokens in a column of its own, ``facets`` (migration 0023), so the filter is one
more phrase of the ``MATCH`` and FTS5 intersects the two document lists in rank-key order
(the same total in ~3.5 ms, the first 1,000 matches for the facet sample in ~0.7 ms).

A pair's token is ``f`` and 24 hex digits of its BLAKE2b digest: one ``unicode61`` token
whatever the value holds (spaces, punctuation, accents, any script). Two distinct pairs
share a token with probability ~2⁻⁹⁶ per pair of pairs: none in any catalogue of this
world. The token is stored: changing :func:`token` needs a migration rewriting the column.
Text phrases name their columns (:mod:`harvester.search.render`), so words never match
the ``facets`` column, nor tokens the text columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

COLUMN = "facets"


@lru_cache(maxsize=16_384)
def token(facet: str, value: str) -> str:
    """The token of the pair ``(facet, value)``. Cached (at most ~3 MB): a dataset has ~17
    pairs and catalogues share most of them (10 k simulated datasets: 289 distinct pairs of
    171 k), where hashing each one was ~7 % of a SQLite harvest's main thread."""
    digest = hashlib.blake2b(f"{facet}\x1f{value}".encode(), digest_size=12)
    return "f" + digest.hexdigest()


def document(pairs: Iterable[tuple[str, str]]) -> str:
    """The ``facets`` column of a dataset holding these pairs (sorted: stable rows)."""
    return " ".join(sorted(token(facet, value) for facet, value in pairs))


def match(filters: Mapping[str, Sequence[str]]) -> str | None:
    """An FTS5 expression true of the datasets holding, for every facet of ``filters``,
    one of its values (None for no filter)."""
    groups = []
    for facet, values in sorted(filters.items()):
        phrases = " OR ".join(f'"{token(facet, value)}"' for value in values)
        groups.append(f"({{{COLUMN}}} : ({phrases}))")
    return " AND ".join(groups) or None
