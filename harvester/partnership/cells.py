"""Stored partnership aggregates: visible datasets counted by source and quality facts.

Every indicator groups visible datasets joined with their quality row, source and partner
(100 k datasets on SQLite: ~12 scans, 1.9 s per ``GET /api/v1/partnership``). The facts
that depend on the datasets alone are few: ``partnership_cell`` holds one row per
``(source, published day, conformity, failed rules, CSV, CSV API, high-value categories)``
with its count of visible datasets (100 k datasets: ~21 k cells); a dataset without a
quality row is a cell with NULL facts. Sources and partners (status, partner, kind) are
joined when reading, so approving, pausing or re-assigning a source shows at once.

:func:`refresh` recounts the cells (after checking the datasets not yet checked, as the
live figures do) and stores the catalogue version they are of, the same key as the facet
totals (:func:`harvester.search.facet_totals.version_key`) plus the rules version. Any
write of a dataset moves the version; from then on the cells are *stale*. Readers
(:func:`load`) get the cells with ``exact`` telling whether they are of the current version.
Consistency with the version is kept as for the facet totals: SQLite has one writer and the
refresh holds the write lock; PostgreSQL counts in a REPEATABLE READ snapshot taken while a
SHARE lock on ``dataset`` keeps writers out (milliseconds).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import SQLModel, col

from catalog import conformity
from harvester.partnership.filters import COUNTED_STATUSES, DatasetFilter
from harvester.search.facet_totals import (
    harvest_running,
    lock_for_recount,
    version_key,
)
from harvester.search.version import catalog_version
from harvester.store.db import session_factory
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.quality import backfill_quality
from harvester.store.tables import Dataset, Partner, Source
from harvester.store.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

LOCK_TIMEOUT = "5s"

partnership_cell = sa.Table(
    "partnership_cell",
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(100), nullable=False),
    sa.Column("published", sa.Date, nullable=True),
    sa.Column("published_month", sa.String(7), nullable=True),
    sa.Column("conforms", sa.Boolean, nullable=True),
    sa.Column("failed_rules", sa.Text, nullable=True),
    sa.Column("is_csv", sa.Boolean, nullable=True),
    sa.Column("csv_api", sa.Boolean, nullable=True),
    sa.Column("hvd", sa.Boolean, nullable=True),
    sa.Column("hvd_categories", sa.Text, nullable=True),
    sa.Column("n", sa.Integer, nullable=False),
)
"""Visible datasets by source and quality facts (NULL facts: no quality row yet)."""

partnership_cell_version = sa.Table(
    "partnership_cell_version",
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.String(120), nullable=False),
    sa.Column("counted_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("id = 1", name="ck_partnership_cell_version_single"),
)
"""The catalogue version (and rules version) the cells are of."""


async def current_key(session: AsyncSession) -> str:
    """The key the cells must carry to be exact for what ``session`` sees."""
    return f"{version_key(await catalog_version(session))}/r{conformity.RULES_VERSION}"


async def is_current(session: AsyncSession) -> bool:
    stored = await session.scalar(
        sa.select(partnership_cell_version.c.version).where(partnership_cell_version.c.id == 1)
    )
    return stored is not None and stored == await current_key(session)


async def refresh(sessions: async_sessionmaker[AsyncSession], *, force: bool = False) -> bool:
    """Recount the cells unless they are current (or ``force``); True if recounted. A failure
    (PostgreSQL: writers past :data:`LOCK_TIMEOUT`) is logged, not raised."""
    try:
        async with sessions() as session:
            if not force and await is_current(session):
                return False
        async with sessions() as session, session.begin():
            await backfill_quality(session)
        async with sessions() as session, session.begin():
            await lock_for_recount(
                sessions, session, refreshed="partnership_cell", lock_timeout=LOCK_TIMEOUT
            )
            if not force and await is_current(session):
                return False  # another refresher stored them while this one waited
            await session.execute(partnership_cell.delete())
            version = await current_key(session)
            await session.execute(_count_cells())
            await session.execute(partnership_cell_version.delete())
            await session.execute(
                partnership_cell_version.insert().values(id=1, version=version, counted_at=utcnow())
            )
    except sa.exc.DBAPIError as error:
        log.warning("partnership cells not refreshed: %s", error.orig)
        return False
    return True


def _count_cells() -> Any:
    q = DatasetQuality.__table__  # type: ignore[attr-defined]
    keys = [
        col(Dataset.source_id),
        q.c.published,
        q.c.published_month,
        q.c.conforms,
        sa.cast(q.c.failed_rules, sa.Text),
        q.c.is_csv,
        q.c.csv_api,
        q.c.hvd,
        sa.cast(q.c.hvd_categories, sa.Text),
    ]
    counted = (
        sa.select(*keys, sa.func.count())
        .select_from(Dataset)
        .outerjoin(q, q.c.dataset_pk == col(Dataset.pk))
        .where(col(Dataset.withdrawn_at).is_(None))
        .group_by(*keys)
    )
    names = [
        "source_id", "published", "published_month", "conforms", "failed_rules", "is_csv",
        "csv_api", "hvd", "hvd_categories", "n",
    ]  # fmt: skip
    return partnership_cell.insert().from_select(names, counted)


async def ensure_fresh(session: AsyncSession) -> None:
    """What a reader does before :func:`load`: recount stale cells at once unless a harvest
    is running (its close recounts; meanwhile the stored cells are served, flagged). Call it
    before ``session`` has read anything (it refreshes through other sessions)."""
    if await is_current(session):
        await session.rollback()
        return
    stored = await session.scalar(sa.select(sa.func.count()).select_from(partnership_cell_version))
    if stored and await harvest_running(session):
        await session.rollback()
        return
    await session.rollback()  # end the read transaction: then the refresh is visible
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("ensure_fresh needs a session bound to an AsyncEngine")
    await refresh(session_factory(engine))


# --- reading -----------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """Visible datasets of counted sources with the same facts, as of one (baseline, as of)."""

    partner_id: str | None
    kind: str | None
    month: str | None
    new: bool | None
    upto: bool | None
    conforms: bool | None
    failed_rules: tuple[str, ...]
    is_csv: bool | None
    csv_api: bool | None
    hvd: bool | None
    hvd_categories: tuple[str, ...]
    n: int


@dataclass
class StoredCounts:
    """The indicator queries answered from the cells (same figures as
    :class:`harvester.partnership.queries.LiveCounts` when ``exact``)."""

    baseline: date
    as_of: date
    cells: list[Cell]
    publishing: set[str]
    unchecked: int
    exact: bool
    counted_at: datetime | None
    nulls_first: bool
    checked: list[Cell] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.checked = [c for c in self.cells if c.upto is not None]

    def _matches(self, c: Cell, f: DatasetFilter) -> bool:
        if f.published_after is not None:
            if f.published_after != self.baseline or f.published_until != self.as_of:
                raise ValueError("stored counts are of one baseline and 'as of' day")
            if not c.new:
                return False
        elif f.published_until is not None:
            if f.published_until != self.as_of:
                raise ValueError("stored counts are of one 'as of' day")
            if not c.upto:
                return False
        if f.partner is not None and c.partner_id != f.partner:
            return False
        if f.kind is not None and c.kind != f.kind:
            return False
        if f.month is not None and c.month != f.month:
            return False
        for value, have in (
            (f.conforms, c.conforms),
            (f.csv, c.is_csv),
            (f.csv_api, c.csv_api),
            (f.hvd, c.hvd),
        ):
            if value is not None and have is not value:
                return False
        if f.rule is not None and f.rule not in c.failed_rules:
            return False
        return f.hvd_category is None or f.hvd_category in c.hvd_categories

    def _selected(self, f: DatasetFilter) -> list[Cell]:
        return [c for c in self.checked if self._matches(c, f)]

    async def count(self, f: DatasetFilter) -> int:
        return sum(c.n for c in self._selected(f))

    async def count_by(self, f: DatasetFilter, *keys: str) -> list[tuple[Any, ...]]:
        return self._count_by(f, *keys)

    def _count_by(self, f: DatasetFilter, *keys: str) -> list[tuple[Any, ...]]:
        """``(*key values, count)`` ordered as the SQL ``ORDER BY`` of the live query."""
        groups: dict[tuple[Any, ...], int] = {}
        for c in self._selected(f):
            key = tuple(getattr(c, k) for k in keys)
            groups[key] = groups.get(key, 0) + c.n
        return [(*k, n) for k, n in sorted(groups.items(), key=lambda kv: self._order(kv[0]))]

    def _order(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        # SQLite sorts NULL first, PostgreSQL last (ascending); C collation: code points
        return tuple(
            ((v is not None) if self.nulls_first else (v is None), "" if v is None else repr(v))
            if not isinstance(v, str)
            else (self.nulls_first, v)
            for v in key
        )

    async def list_counts(self, f: DatasetFilter, key: str) -> Counter[str]:
        out: Counter[str] = Counter()
        for c in self._selected(f):
            for value in set(getattr(c, key)):
                out[value] += c.n
        return out

    async def publishing_partners(self) -> set[str]:
        return self.publishing

    async def unchecked_datasets(self) -> int:
        return self.unchecked

    async def conformity_by_partner(
        self, partner: str | None
    ) -> list[tuple[str | None, list[str], bool, int]]:
        rows = self._count_by(DatasetFilter(partner=partner), "partner_id", "failed_rules", "new")
        return [(p, list(rules), bool(new), int(n)) for p, rules, new, n in rows]


async def load(session: AsyncSession, baseline: date, as_of: date) -> StoredCounts | None:
    """The stored cells as of (``baseline``, ``as_of``) with whether they are current; None
    when none are stored. The cells and their version are read in one statement."""
    c, v = partnership_cell.c, partnership_cell_version.c
    new = sa.and_(c.published > baseline, c.published <= as_of)
    upto = c.published <= as_of
    keys = [
        c.source_id, c.published_month, new.label("new"), upto.label("upto"), c.conforms,
        c.failed_rules, c.is_csv, c.csv_api, c.hvd, c.hvd_categories,
    ]  # fmt: skip
    grouped = sa.select(*keys, sa.func.sum(c.n).label("n")).group_by(*keys).subquery()
    statement = (
        sa.select(v.version, v.counted_at, grouped)
        .select_from(partnership_cell_version.outerjoin(grouped, sa.true()))
        .where(v.id == 1)
    )
    rows = (await session.execute(statement)).all()
    if not rows:
        return None
    version, counted_at = rows[0][0], rows[0][1]
    sources = {
        sid: (status, pid, kind)
        for sid, status, pid, kind in await session.execute(
            sa.select(
                col(Source.id), col(Source.status), col(Source.partner_id), col(Partner.kind)
            ).outerjoin(Partner, col(Partner.id) == col(Source.partner_id))
        )
    }
    cells: list[Cell] = []
    publishing: set[str] = set()
    unchecked = 0
    parsed: dict[str | None, tuple[str, ...]] = {None: ()}
    for row in rows:
        (_, _, source_id, month, is_new, is_upto, conforms, failed, csv, api, hvd, cats, n) = row
        if source_id is None:
            continue
        status, partner_id, kind = sources.get(source_id, (None, None, None))
        if status not in COUNTED_STATUSES:
            continue
        if partner_id:
            publishing.add(partner_id)
        if is_upto is None:  # no quality row
            unchecked += int(n)
        for text in (failed, cats):
            if text not in parsed:
                parsed[text] = tuple(json.loads(text))
        cells.append(
            Cell(
                partner_id,
                kind,
                month,
                None if is_new is None else bool(is_new),
                None if is_upto is None else bool(is_upto),
                None if conforms is None else bool(conforms),
                parsed[failed],
                None if csv is None else bool(csv),
                None if api is None else bool(api),
                None if hvd is None else bool(hvd),
                parsed[cats],
                int(n),
            )
        )
    return StoredCounts(
        baseline=baseline,
        as_of=as_of,
        cells=cells,
        publishing=publishing,
        unchecked=unchecked,
        exact=version == await current_key(session),
        counted_at=counted_at,
        nulls_first=session.get_bind().dialect.name == "sqlite",
    )


async def visible_by_source(session: AsyncSession) -> dict[str, int] | None:
    """Visible datasets per source (any status) from the cells when they are current, else
    None (count afresh). The cells and their version are read in one statement."""
    c, v = partnership_cell.c, partnership_cell_version.c
    per_source = (
        sa.select(c.source_id, sa.func.sum(c.n).label("n")).group_by(c.source_id).subquery()
    )
    statement = (
        sa.select(v.version, per_source.c.source_id, per_source.c.n)
        .select_from(partnership_cell_version.outerjoin(per_source, sa.true()))
        .where(v.id == 1)
    )
    rows = (await session.execute(statement)).all()
    if not rows or rows[0][0] != await current_key(session):
        return None
    return {source_id: int(n) for _, source_id, n in rows if source_id is not None}
