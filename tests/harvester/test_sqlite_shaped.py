"""Statements kept as SQLite SQL text per shape, bound per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from harvester.store import sqlite_shaped
from harvester.store.db import create_engine, session_factory
from harvester.store.types import UTCDateTime

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
MONTREAL = timezone(timedelta(hours=-5))  # stored as UTC: the column type converts it
ROWS = [(n, f"k{n % 3}", EPOCH + timedelta(hours=n)) for n in range(30)]
item = sa.table("item", sa.column("n", sa.Integer), sa.column("k"), sa.column("at", UTCDateTime()))


@pytest.fixture(autouse=True)
def fresh_shapes() -> Iterator[None]:
    sqlite_shaped.clear()
    yield
    sqlite_shaped.clear()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shaped.db'}")
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE item (n INTEGER, k TEXT, at TEXT)"))
        await connection.execute(item.insert(), [{"n": n, "k": k, "at": at} for n, k, at in ROWS])
    yield engine
    await engine.dispose()


def _statement(kinds: list[str], since: datetime, limit: int) -> sa.Select[Any]:
    return (
        sa.select(item.c.n)
        .where(item.c.k.in_(kinds), item.c.at >= sa.bindparam("since", since, type_=item.c.at.type))
        .order_by(item.c.n)
        .limit(sa.bindparam("limit", limit))
    )


async def _read(session: AsyncSession, kinds: list[str], since: datetime, limit: int) -> list[int]:
    rows = await sqlite_shaped.read_shaped(
        session,
        ("items", tuple(kinds)),
        lambda: _statement(kinds, since, limit),
        {"since": since, "limit": limit},
    )
    return [n for (n,) in rows]


async def test_a_shape_is_compiled_once_and_bound_per_call(engine: AsyncEngine) -> None:
    """Named values (a date through its column type's conversion to UTC text, a limit)
    change per call; the IN list's values are the shape's own."""
    async with session_factory(engine)() as session:
        for kinds in (["k0"], ["k1", "k2"]):
            for hours, limit in ((0, 5), (10, 3), (25, 50)):
                since = (EPOCH + timedelta(hours=hours)).astimezone(MONTREAL)
                expected = [n for n, k, at in ROWS if k in kinds and at >= since][:limit]
                assert await _read(session, kinds, since, limit) == expected
                statement = _statement(kinds, since, limit)
                assert list((await session.execute(statement)).scalars()) == expected
    assert sqlite_shaped.stats == {"built": 2, "reused": 4}


def test_a_value_the_statement_lacks_is_refused() -> None:
    """A name the SQL does not bind means the shape was keyed wrongly: no silent default."""
    from sqlalchemy.dialects import sqlite

    found = sqlite_shaped.ShapedSql.of(_statement(["k0"], EPOCH, 3), sqlite.dialect())
    assert found.parameters({"limit": 9})[-2:] == [9, 0]  # LIMIT ? OFFSET ?
    with pytest.raises(KeyError, match="offset"):
        found.parameters({"offset": 2})


def test_the_least_recently_used_shapes_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.dialects import sqlite

    monkeypatch.setattr(sqlite_shaped, "SHAPES", 2)
    dialect = sqlite.dialect()
    for name in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        sqlite_shaped.shaped(name, lambda: _statement(["k0"], EPOCH, 1), dialect)
    assert list(sqlite_shaped._shapes) == ["a", "c"]
    assert sqlite_shaped.stats == {"built": 3, "reused": 1}
