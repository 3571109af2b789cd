"""Packed facet sets (SQLite only): each dataset's facet pairs in one row, for sampled counts.

A text query's facets are counted on its first 1,000 matches. Through ``dataset_facet``
that groups ~17 rows per match in SQLite's sorter (100 k datasets, "patrimoine", 11 facets:
15 ms of the search's 29 ms). ``dataset_facet_set(dataset_pk, facets)`` (migration 0011)
holds the same pairs packed in one string, like Lucene's doc values: the sample reads one
row per match and is counted in Python.

SQLite only: PostgreSQL counts its sample with hash aggregates inside its one search
statement (:func:`harvester.search.ranked.read_once`), and extra writes would slow its
harvests. Whole-catalogue counts keep reading ``dataset_facet`` (its ``visible`` column).

Format: ``facet \\x1f value`` pairs joined by ``\\x1e``. Values are only stripped
(:func:`harvester.search.fields.normalize`), so any character may occur in them: a value's
``\\x1c`` and ``\\x1e`` are written ``\\x1c0`` and ``\\x1c1`` (facet names hold none of
these, and a pair splits at its first ``\\x1f``). A set follows its dataset's
``dataset_facet`` rows (:func:`harvester.search.facets.write_facets`) whatever its
visibility: a withdrawal changes only ``visible``, and samples hold visible datasets only
(the full-text tables index visible datasets; other candidates require ``withdrawn_at IS
NULL``).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

if TYPE_CHECKING:
    from harvester.search.facets import FacetCounts

FIELD = "\x1f"
PAIR = "\x1e"
ESCAPE = "\x1c"

facet_set = sa.table(
    "dataset_facet_set",
    sa.column("dataset_pk", sa.Integer),
    sa.column("facets", sa.Text),
)


def escape(value: str) -> str:
    """``value`` without ``PAIR`` (injective: ``ESCAPE`` is escaped too)."""
    if ESCAPE not in value and PAIR not in value:
        return value
    return value.replace(ESCAPE, ESCAPE + "0").replace(PAIR, ESCAPE + "1")


def unescape(value: str) -> str:
    """The value :func:`escape` was given."""
    if ESCAPE not in value:
        return value
    return value.replace(ESCAPE + "1", PAIR).replace(ESCAPE + "0", ESCAPE)


def pack(facets: Collection[tuple[str, str]]) -> str:
    """One dataset's ``(facet, value)`` pairs as stored (sorted, for stable rows).

    Sorting the ``facet FIELD value`` strings sorts the pairs (~2× faster than sorting
    tuples): ``FIELD`` sorts before any character of a facet name."""
    pairs = [f"{facet}{FIELD}{value}" for facet, value in facets]
    pairs.sort()
    packed = PAIR.join(pairs)
    if ESCAPE in packed or packed.count(PAIR) >= len(pairs):  # a value to escape: rare
        return PAIR.join(f"{facet}{FIELD}{escape(value)}" for facet, value in sorted(facets))
    return packed


def unpack(packed: str) -> set[tuple[str, str]]:
    """The pairs :func:`pack` was given."""
    pairs = (pair.partition(FIELD) for pair in packed.split(PAIR) if pair)
    return {(facet, unescape(value)) for facet, _, value in pairs}


_UPSERT = (
    "INSERT INTO dataset_facet_set (dataset_pk, facets) VALUES (?, ?) "
    "ON CONFLICT (dataset_pk) DO UPDATE SET facets = excluded.facets"
)
_DELETE = "DELETE FROM dataset_facet_set WHERE dataset_pk = ?"


async def write_sets(
    session: AsyncSession, rows: Sequence[tuple[int, set[tuple[str, str]]]]
) -> None:
    """Make the sets of these datasets ``rows`` (no row for a dataset without facets)."""
    kept = [(pk, pack(facets)) for pk, facets in rows if facets]
    emptied = [(pk,) for pk, facets in rows if not facets]
    connection = await session.connection()
    if kept:
        await connection.exec_driver_sql(_UPSERT, kept)
    if emptied:
        await connection.exec_driver_sql(_DELETE, emptied)


async def count_sets(
    session: AsyncSession, names: Sequence[str], candidates: Select[Any], *, limit: int
) -> FacetCounts:
    """:func:`harvester.search.facets.count_facets` of ``candidates`` (a select of visible
    dataset pks, column ``pk``) from their packed sets."""
    found = candidates.subquery("found")
    statement = sa.select(facet_set.c.facets).where(
        facet_set.c.dataset_pk.in_(sa.select(found.c.pk))
    )
    packed = (await session.execute(statement)).scalars().all()
    return top_values(names, count_pairs(packed), limit=limit)


def count_pairs(packed: Iterable[str]) -> Counter[str]:
    """How many of these sets hold each packed pair."""
    joined = PAIR.join(filter(None, packed))
    return Counter(joined.split(PAIR)) if joined else Counter()


def top_values(names: Sequence[str], counted: Counter[str], *, limit: int) -> FacetCounts:
    """The ``limit`` most frequent values of each facet of ``names``, by count then value
    (code-point order: SQLite's BINARY collation compares UTF-8 bytes, the same order)."""
    found: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
    for pair, n in counted.items():
        facet, _, value = pair.partition(FIELD)
        values = found.get(facet)
        if values is not None:
            values.append((unescape(value), n))
    return {name: heapq.nsmallest(limit, values, key=_rank) for name, values in found.items()}


def _rank(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]
