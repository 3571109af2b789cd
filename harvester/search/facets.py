"""Facet rows: written with each changed record, counted over any candidate set."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from harvester.search import facet_sets
from harvester.search.tables import dataset_facet, facet_total
from harvester.store.among import among
from harvester.store.bulk import copy_rows
from harvester.store.db import dialect_name

FacetCounts = dict[str, list[tuple[str, int]]]

PACKED_SAMPLES = True
"""Whether SQLite counts candidates from their packed sets (benchmarks turn it off to
compare with :func:`facet_statement`)."""


async def write_facets(
    session: AsyncSession,
    rows: Sequence[tuple[int, set[tuple[str, str]]]],
    *,
    fresh: Collection[int] = (),
    hidden: Collection[int] = (),
    stored: dict[int, set[tuple[str, str]]] | None = None,
) -> None:
    """Make the facet rows of these datasets exactly ``rows`` (visible: they were just
    written, unless their pk is ``hidden``, a withdrawn dataset). Only the rows that differ
    are deleted or inserted; ``fresh`` pks are datasets inserted by this transaction, which
    have no facet rows to compare with; ``stored``: their rows as :func:`stored_facets`
    read them in this transaction, if the caller has them. On SQLite the packed sets of the
    datasets that changed follow (:mod:`harvester.search.facet_sets`)."""
    if not rows:
        return
    old = stored
    if old is None:
        old = await stored_facets(session, [pk for pk, _ in rows if pk not in fresh])
    sqlite = dialect_name(session) == "sqlite"
    gone: list[dict[str, Any]] = []
    values: list[tuple[int, str, str]] = []
    invisible: list[tuple[int, str, str]] = []
    changed: list[tuple[int, set[tuple[str, str]]]] = []  # packed sets: SQLite's only
    for pk, facets in rows:
        before = old.get(pk, set())
        gone += [{"pk": pk, "facet": f, "value": v} for f, v in sorted(before - facets)]
        added = [(pk, f, v) for f, v in sorted(facets - before)]
        if pk in hidden:
            invisible += added
        else:
            values += added
        if sqlite and (pk not in old or before != facets):
            changed.append((pk, facets))
    await _delete_facets(session, gone)
    await _insert_facets(session, values, sqlite=sqlite)
    await _insert_facets(session, invisible, sqlite=sqlite, visible=False)
    if sqlite and changed:
        await facet_sets.write_sets(session, changed)


async def stored_facets(
    session: AsyncSession, pks: Sequence[int]
) -> dict[int, set[tuple[str, str]]]:
    """The facet rows of these datasets (an empty set for one without any)."""
    f = dataset_facet.c
    old: dict[int, set[tuple[str, str]]] = {pk: set() for pk in pks}
    if pks:
        found = await session.execute(
            sa.select(f.dataset_pk, f.facet, f.value).where(
                among(f.dataset_pk, pks, dialect_name(session))
            )
        )
        for pk, facet, value in found:
            old[pk].add((facet, value))
    return old


async def _delete_facets(session: AsyncSession, gone: list[dict[str, Any]]) -> None:
    if not gone:
        return
    f = dataset_facet.c
    await session.execute(
        dataset_facet.delete().where(
            f.dataset_pk == sa.bindparam("pk"),
            f.facet == sa.bindparam("facet"),
            f.value == sa.bindparam("value"),
        ),
        gone,
    )


async def _insert_facets(
    session: AsyncSession,
    values: list[tuple[int, str, str]],
    *,
    sqlite: bool,
    visible: bool = True,
) -> None:
    if not values:
        return
    if sqlite:  # plain tuples: no per-row bind processing
        connection = await session.connection()
        await connection.exec_driver_sql(_SQLITE_INSERT.format(int(visible)), values)
    else:
        await copy_rows(
            session,
            "dataset_facet",
            ("dataset_pk", "facet", "value", "visible"),
            [(pk, f, v, visible) for pk, f, v in values],
        )


_SQLITE_INSERT = (
    "INSERT INTO dataset_facet (dataset_pk, facet, value, visible) VALUES (?, ?, ?, {})"
)


def facet_filter(facet: str, values: Sequence[str]) -> Select[Any]:
    """The pks of datasets having one of ``values`` for ``facet``."""
    return sa.select(dataset_facet.c.dataset_pk).where(
        dataset_facet.c.facet == facet, dataset_facet.c.value.in_(values)
    )


def facet_condition(
    pk: sa.ColumnElement[int],
    facet: str,
    values: Sequence[str],
    *,
    probe: bool = False,
    subplan: bool = False,
) -> sa.ColumnElement[bool]:
    """``pk`` has one of ``values`` for ``facet``: as ``pk IN (the value's pks)``, or, with
    ``probe``, as a lookup of ``(pk, facet, value)`` in the primary key per row tested.

    SQLite builds the whole ``IN`` list before testing a row (a value of 65 k datasets:
    ~20 ms, paid even when 15 rows are tested); a probe costs one B-tree search per row, so
    it suits values held by many datasets (:func:`dense_facets`), the list rarer ones.
    PostgreSQL turns both forms into the same join, which may hash the whole list: with
    ``subplan`` the probe is a scalar subquery it runs per row instead."""
    if not probe:
        return pk.in_(facet_filter(facet, values))
    f = dataset_facet.c
    found = (f.dataset_pk == pk, f.facet == facet, f.value.in_(values))
    if subplan:
        return sa.select(sa.literal(1)).where(*found).limit(1).scalar_subquery().is_not(None)
    return sa.exists().where(*found)


DENSE_MIN = 2_000
"""Datasets a filter's values must hold together for searches to test it by probes."""


async def dense_facets(session: AsyncSession, filters: dict[str, list[str]]) -> frozenset[str]:
    """The facets of ``filters`` whose values hold at least :data:`DENSE_MIN` datasets, as
    the stored whole-catalogue totals count them (none before the first totals are
    stored)."""
    if not filters:
        return frozenset()
    t = facet_total.c
    pairs = [(facet, value) for facet, values in filters.items() for value in values]
    rows = await session.execute(
        sa.select(t.facet, sa.func.sum(t.n))
        .where(sa.tuple_(t.facet, t.value).in_(pairs))
        .group_by(t.facet)
    )
    return frozenset(facet for facet, held in rows if (held or 0) >= DENSE_MIN)


async def count_facets(
    session: AsyncSession,
    names: Sequence[str],
    candidates: Select[Any] | None,
    *,
    limit: int,
) -> FacetCounts:
    """The ``limit`` most frequent values of each facet among ``candidates`` (a select of
    visible dataset pks; None = every visible dataset, counted from the index alone). On
    SQLite, candidates are counted from their packed sets (:mod:`.facet_sets`)."""
    if not names:
        return {}
    if candidates is not None and dialect_name(session) == "sqlite" and PACKED_SAMPLES:
        return await facet_sets.count_sets(session, names, candidates, limit=limit)
    rows = await session.execute(facet_statement(names, candidates, limit=limit))
    return read_facets(names, [(facet, value, n) for facet, value, n, _ in rows])


def facet_statement(
    names: Sequence[str], candidates: Select[Any] | None, *, limit: int
) -> Select[Any]:
    """Columns ``facet, value, n, rn``: the ``limit`` most frequent values of each facet
    among ``candidates`` (as :func:`count_facets`), ``rn`` their rank (count desc, then
    value), ordered by facet and rank."""
    f = dataset_facet.c
    n = sa.func.count()
    inner = (
        sa.select(
            f.facet,
            f.value,
            n.label("n"),
            sa.func.row_number()
            .over(partition_by=f.facet, order_by=(n.desc(), f.value))
            .label("rn"),
        )
        .where(f.facet.in_(list(names)))
        .group_by(f.facet, f.value)
    )
    if candidates is None:
        inner = inner.where(f.visible.is_(True))
    else:  # driven from the candidates, through the (dataset_pk, facet, value) key, in pk
        # order (neighbouring index pages: 2× faster on SQLite than in relevance order)
        found = candidates.subquery("found")
        ordered = sa.select(found.c.pk).order_by(found.c.pk)
        matched = ordered.cte("candidates").prefix_with("MATERIALIZED")
        inner = inner.select_from(matched.join(dataset_facet, f.dataset_pk == matched.c.pk))
    ranked = inner.subquery()
    return (
        sa.select(ranked.c.facet, ranked.c.value, ranked.c.n, ranked.c.rn)
        .where(ranked.c.rn <= limit)
        .order_by(ranked.c.facet, ranked.c.rn)
    )


def read_facets(names: Sequence[str], rows: Iterable[tuple[str, str, int]]) -> FacetCounts:
    """:data:`FacetCounts` of ``names`` from ``(facet, value, n)`` rows in rank order."""
    counts: FacetCounts = {name: [] for name in names}
    for facet, value, count in rows:
        counts[facet].append((value, int(count)))
    return counts
