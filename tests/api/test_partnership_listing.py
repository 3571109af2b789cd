"""``GET /api/v1/partnership/datasets`` pages: cursors walk the same rows, in the same order,
as offsets; ``total`` is the number of rows listed, whether counted live or from the cells,
and whichever way the page is read (SQLite: index walk or sort)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.store.datasets import write_batch
from harvester.store.partnership_tables import DatasetQuality
from harvester.store.tables import Dataset
from tests.api.portal_replay import make_app
from tests.harvester.partnership_data import FIRST_SEEN, record, seed

PATH = "/api/v1/partnership/datasets"
SOURCES = ("gouv-src", "a-src", "b-src")
ISSUED = (date(2018, 5, 2), date(2019, 1, 5), None, date(2018, 5, 20), date(2018, 5, 2))
"""Few days, so many ties; None: published on the first-seen day (2019-03-03)."""
FILTERS: list[dict[str, str]] = [
    {},
    {"conforms": "true"},
    {"partner": "ville-a"},
    {"kind": "municipality", "csv": "true"},
    {"published_after": "2018-04-01", "published_until": "2019-06-30"},
    {"month": "2018-05"},
    {"rule": "licence", "published_until": "2019-06-30"},
    {"csv_api": "false", "hvd": "false"},
    {"hvd": "true"},
    {"partner": "nobody"},
]


async def _seed_many(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The hand-counted partnership plus 60 datasets over three sources and five days."""
    await seed(sessions)
    for s, source in enumerate(SOURCES):
        items = [
            record(
                source,
                f"m{s}-{i}",
                ISSUED[(i + s) % len(ISSUED)],
                ("CSV",) if i % 3 else ("JSON",),
                api=i % 2 == 0,
                licence=i % 5 != 0,
            )
            for i in range(20)
        ]
        async with sessions() as session, session.begin():
            await write_batch(session, source, items, now=FIRST_SEEN)


@pytest.fixture
async def client(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    await _seed_many(sessions)
    app = make_app(database_url, config="/nonexistent/sources.toml", rate_limit=0)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


async def _walk(client: httpx.AsyncClient, params: dict[str, str], limit: int) -> list[Any]:
    """Every page by following ``next``; checks each page's total and cursor fields."""
    pages = []
    response = await client.get(PATH, params={**params, "limit": str(limit)})
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        assert (page["next"] is None) == (page["next_cursor"] is None)
        if page["next"] is None:
            break
        assert "offset" not in page["next"] and "cursor=" in page["next"]
        response = await client.get(page["next"].removeprefix("http://t"))
    return pages


async def _order_keys(sessions: async_sessionmaker[AsyncSession], ids: list[str]) -> list[Any]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(col(Dataset.id), col(DatasetQuality.published), col(Dataset.pk))
            .join(DatasetQuality, col(DatasetQuality.dataset_pk) == col(Dataset.pk))
            .where(col(Dataset.id).in_(ids))
        )
        keys = {i: (published, pk) for i, published, pk in rows.all()}
    return [keys[i] for i in ids]


@pytest.mark.parametrize("plan", ["live", "cells-walk", "cells-sort"])
async def test_cursor_pages_walk_the_offset_listing(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
) -> None:
    if plan == "live":  # two visible datasets without a quality row: listed nowhere
        async with sessions() as session, session.begin():
            await session.execute(
                sa.delete(DatasetQuality).where(
                    col(DatasetQuality.dataset_pk).in_(
                        sa.select(col(Dataset.pk)).where(col(Dataset.remote_id).in_(["m0-1", "g2"]))
                    )
                )
            )
    else:
        from harvester.partnership import cells, listing

        assert await cells.refresh(sessions, force=True)
        walk = plan == "cells-walk"
        monkeypatch.setattr(listing.StoredMonths, "walk_is_shorter", lambda *_: walk)
    sizes = []
    for params in FILTERS:
        whole = (await client.get(PATH, params={**params, "limit": "100"})).json()
        ids = [d["id"] for d in whole["results"]]
        assert whole["total"] == len(ids) and whole["next"] is None, params
        keys = await _order_keys(sessions, ids)
        assert keys == sorted(keys, key=lambda k: (-k[0].toordinal(), k[1])), params
        pages = await _walk(client, params, limit=4)
        assert [d["id"] for p in pages for d in p["results"]] == ids, params
        assert {p["total"] for p in pages} == {len(ids)}, params
        assert all(p["offset"] is None for p in pages[1:]) and pages[0]["offset"] == 0
        by_offset = [
            (await client.get(PATH, params={**params, "limit": "4", "offset": str(o)})).json()
            for o in range(0, len(ids) + 4, 4)
        ]
        assert [d["id"] for p in by_offset for d in p["results"]] == ids, params
        from harvester.partnership import listing, queries
        from harvester.partnership.filters import DatasetFilter

        async with sessions() as session:
            where = DatasetFilter(**{k: _typed(k, v) for k, v in params.items()})
            stored = await listing.stored_months(session, where)
            assert (stored is None) == (plan == "live"), params
            assert await queries.count(session, where) == len(ids), params
            if stored is not None:
                assert stored.exact and stored.total == len(ids), params
        sizes.append(len(ids))
    assert sizes[0] == (64 if plan == "live" else 66)  # 60 + g1-g4, a1, b1 (- 2 unchecked)
    assert len({*sizes}) > 5 and 0 in sizes  # the filters select different sets
    published = [d["published"] for d in (await client.get(PATH, params={"limit": "100"})).json()[
        "results"
    ]]  # fmt: skip
    assert len(published) > len(set(published)) + 40  # ties in ``published`` are common


def _typed(name: str, value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if name.startswith("published_"):
        return date.fromisoformat(value)
    return value


async def test_a_cursor_belongs_to_its_filters(client: httpx.AsyncClient) -> None:
    first = (await client.get(PATH, params={"conforms": "true", "limit": "3"})).json()
    token = first["next_cursor"]
    assert token
    again = await client.get(PATH, params={"conforms": "true", "limit": "3", "cursor": token})
    assert again.status_code == 200
    assert again.json()["results"][0]["id"] not in {d["id"] for d in first["results"]}
    foreign = await client.get(PATH, params={"conforms": "false", "limit": "3", "cursor": token})
    tampered = await client.get(PATH, params={"conforms": "true", "cursor": token[:-3] + "AAA"})
    garbage = await client.get(PATH, params={"cursor": "not-a-cursor!"})
    for bad in (foreign, tampered, garbage):
        assert bad.status_code == 400, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        body = bad.json()
        assert body["status"] == 400 and body["detail"].startswith("query.cursor")
        assert body["errors"][0]["location"] == "query.cursor"


async def test_a_cursor_with_a_malformed_position_is_400(client: httpx.AsyncClient) -> None:
    from harvester.partnership import listing
    from harvester.partnership.filters import DatasetFilter
    from harvester.search import cursor as cursors

    fingerprint = listing._key(DatasetFilter())
    for key in (("yesterday", 3), ("2019-01-05",), ("2019-01-05", "x")):
        token = cursors.encode(cursors.Cursor(listing.SORT, key, fingerprint))
        bad = await client.get(PATH, params={"cursor": token})
        assert bad.status_code == 400 and "position" in bad.json()["detail"], key


async def test_cursor_and_offset_together_is_400(client: httpx.AsyncClient) -> None:
    token = (await client.get(PATH, params={"limit": "2"})).json()["next_cursor"]
    both = await client.get(PATH, params={"cursor": token, "offset": "0"})
    assert both.status_code == 400
    assert both.json()["errors"][0]["location"] == "query.offset"
    old = (await client.get(PATH, params={"limit": "2", "offset": "4"})).json()
    assert old["offset"] == 4 and "cursor=" in old["next"] and "offset" not in old["next"]


async def test_stale_cells_are_not_counted(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from harvester.partnership import cells, listing
    from harvester.partnership.filters import DatasetFilter

    assert await cells.refresh(sessions, force=True)
    before = (await client.get(PATH, params={"partner": "ville-a"})).json()["total"]
    async with sessions() as session, session.begin():
        await write_batch(session, "a-src", [record("a-src", "late", None)], now=FIRST_SEEN)
    async with sessions() as session:
        stale = await listing.stored_months(session, DatasetFilter(partner="ville-a"))
        assert stale is not None and not stale.exact and stale.total == before
    after = (await client.get(PATH, params={"partner": "ville-a", "limit": "100"})).json()
    assert after["total"] == before + 1 == len(after["results"])


def test_the_walk_is_chosen_when_it_passes_fewer_rows_than_it_sorts() -> None:
    from harvester.partnership.listing import StoredMonths

    dense = StoredMonths([("2020-03", 100, 90), ("2020-02", 100, 90), ("2020-01", 100, 90)], True)
    assert dense.walk_is_shorter(None, None, 21)
    assert dense.walk_is_shorter(date(2020, 2, 10), None, 150)  # passes 2020-02 and 2020-01
    old = StoredMonths([("2020-03", 1000, 0), ("2020-02", 1000, 0), ("2020-01", 30, 30)], True)
    assert not old.walk_is_shorter(None, None, 21)  # 2 030 rows passed to sort 30
    assert old.walk_is_shorter(date(2020, 1, 31), None, 21)  # the range starts at the matches
    assert not old.walk_is_shorter(None, date(2020, 1, 31), 21)  # 2 030 passed, 30 match
