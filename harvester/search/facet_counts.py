"""Facet counts and totals, cached per catalogue version.

The counts over the whole catalogue, or over filters alone, change only when a dataset is
written or withdrawn, which moves the catalogue version (the newest change-feed stamp and
write time, :func:`harvester.search.version.catalog_version`; on PostgreSQL also the
transactions in flight, whose commit may land below the newest stamp). The totals of
the whole catalogue are read from ``facet_total`` (:mod:`harvester.search.facet_totals`,
refreshed when a harvest run closes and on the scheduler's tick): exact while they are of
the current version, and served as approximate after a write until the next refresh,
instead of grouping every facet row on each call (1 M datasets: seconds) while a harvest
writes. Counts are made afresh only when none are stored. Other counts, and the totals of
queries without text (the catalogue's first page counted 10,001 rows on every call), are
kept per process in a small LRU keyed by the database, that version and the request; any
write makes the next request count afresh. The totals and facet counts of text queries
(every page of a query, and a popular query asked again, counted them anew: 100+ ms for a
word with a filter on 1 M datasets) are kept in an LRU of their own, so a stream of
distinct queries cannot evict the counts without text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

import orjson
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from harvester.search import facet_totals
from harvester.search.facets import FacetCounts, count_facets, dense_facets
from harvester.search.version import CatalogVersion, catalog_version
from harvester.store.db import database_id

CACHE_SIZE = 256
TEXT_CACHE_SIZE = 512
_cache: OrderedDict[Hashable, Any] = OrderedDict()
_text_cache: OrderedDict[Hashable, Any] = OrderedDict()
stats = {
    "hits": 0,
    "misses": 0,
    "stored": 0,
    "stale": 0,
    "total_hits": 0,
    "total_misses": 0,
    "value_hits": 0,
    "value_misses": 0,
}
"""Facet counts served from the cache or counted, stored totals served current or stale;
totals served from the cache or counted (text queries' included); other values
(:func:`cached_value`) served or read."""
T = TypeVar("T")


def clear() -> None:
    """Forget every cached count (benchmarks measure cold calls with it)."""
    _cache.clear()
    _text_cache.clear()


async def cached_facets(
    session: AsyncSession,
    request_key: Any,
    names: Sequence[str],
    candidates: Callable[[], Select[Any]] | None,
    *,
    limit: int,
    version: CatalogVersion | None = None,
    text: bool = False,
) -> tuple[FacetCounts, bool]:
    """:func:`~harvester.search.facets.count_facets` of ``candidates()`` (None: the whole
    catalogue), served from the cache while the catalogue version is unchanged, and
    whether the counts are of the current catalogue (False: stored whole-catalogue totals
    a write has since made stale). ``request_key`` (JSON-able) must identify the
    candidates, built only when counted; ``version``, if the caller has just read it,
    saves reading it again; ``text``: the candidates match a text query."""
    version = version or await catalog_version(session)
    if candidates is None:
        stored = await _stored_totals(session, names, limit, version)
        if stored is not None:
            return stored
    counts = await _cached(
        session,
        ("facets", request_key, tuple(names), limit),
        lambda: count_facets(
            session, names, candidates() if candidates is not None else None, limit=limit
        ),
        version,
        text=text,
    )
    return {name: list(values) for name, values in counts.items()}, True


async def _stored_totals(
    session: AsyncSession, names: Sequence[str], limit: int, version: CatalogVersion
) -> tuple[FacetCounts, bool] | None:
    """The stored whole-catalogue totals and whether they are of ``version``; None if none
    are stored. Totals of the current version are kept like other counts: a refresh would
    store the same ones, and the catalogue's first page read them on every call (~1.3 ms
    of 5 at 100 k datasets, SQLite)."""
    current_key = facet_totals.version_key(version)
    key = ("totals", database_id(session), current_key, tuple(names), limit)
    counts = _recall(key)
    if counts is None:
        stored = await facet_totals.latest_counts(session, names, limit=limit)
        if stored is None:
            return None
        if stored[0] != current_key:
            stats["stale"] += 1
            return stored[1], False
        counts = stored[1]
        store(key, counts)
    stats["stored"] += 1
    return {name: list(values) for name, values in counts.items()}, True


async def cached_dense(
    session: AsyncSession, filters: dict[str, list[str]], version: CatalogVersion | None
) -> frozenset[str]:
    """:func:`~harvester.search.facets.dense_facets`, kept per catalogue version when the
    caller has read it (a filtered search read the stored totals for it on every call). It
    only chooses how a filter is tested, never what matches: a refresh of stale totals
    within one version may change it, and the cached choice stays as good."""
    if not filters or version is None:
        return await dense_facets(session, filters)
    key = (
        "dense",
        database_id(session),
        facet_totals.version_key(version),
        tuple(sorted((facet, tuple(values)) for facet, values in filters.items())),
    )
    found: frozenset[str] | None = _recall(key)
    if found is None:
        found = await dense_facets(session, filters)
        store(key, found)
    return found


def _recall(key: Hashable) -> Any | None:
    """What :func:`store` kept under ``key`` in the count cache, uncounted in ``stats``."""
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
    return found


async def cached_total(
    session: AsyncSession,
    request_key: Any,
    count: Callable[[], Awaitable[tuple[int, bool]]],
    *,
    version: CatalogVersion | None = None,
    text: bool = False,
) -> tuple[int, bool]:
    """``count()`` (a query's capped total and whether it is exact), served from the cache
    while the catalogue version is unchanged; ``request_key`` (JSON-able) must identify
    the query (text, filters, cap); ``text``: it holds a text query."""
    key = ("total", request_key)
    return await _cached(session, key, count, version, counter="total_", text=text)


async def cached_value(
    session: AsyncSession,
    request_key: Any,
    compute: Callable[[], Awaitable[T]],
    *,
    version: CatalogVersion | None = None,
) -> T:
    """``compute()``, any value the catalogue's content decides (not None), served from the
    cache while the catalogue version is unchanged; ``request_key`` (JSON-able) must
    identify it."""
    return await _cached(session, ("value", request_key), compute, version, counter="value_")


def cache_key(session: AsyncSession, request_key: Any, version: CatalogVersion) -> Hashable:
    """The key of what ``request_key`` (JSON-able) gives on this database at ``version``."""
    return (
        database_id(session),
        version[0],
        version[1].isoformat() if version[1] else None,
        version[2],
        orjson.dumps(request_key, default=str),
    )


def cached(key: Hashable, *, text: bool = False, counter: str = "") -> Any | None:
    """What :func:`store` kept under ``key`` (from :func:`cache_key`), or None."""
    cache = _text_cache if text else _cache
    found = cache.get(key)
    if found is None:
        stats[f"{counter}misses"] += 1
        return None
    cache.move_to_end(key)
    stats[f"{counter}hits"] += 1
    return found


def store(key: Hashable, value: Any, *, text: bool = False) -> None:
    """Keep ``value`` under ``key``; the least recently used entries go past the cache's
    size."""
    cache, size = (_text_cache, TEXT_CACHE_SIZE) if text else (_cache, CACHE_SIZE)
    cache[key] = value
    while len(cache) > size:
        cache.popitem(last=False)


async def _cached(
    session: AsyncSession,
    request_key: Any,
    compute: Callable[[], Awaitable[T]],
    version: CatalogVersion | None,
    *,
    counter: str = "",
    text: bool = False,
) -> T:
    """``compute()``, or what it gave for the same request, database and version (read
    if not given)."""
    version = version or await catalog_version(session)
    key = cache_key(session, request_key, version)
    found = cached(key, text=text, counter=counter)
    if found is not None:
        return found
    value = await compute()
    store(key, value, text=text)
    return value
