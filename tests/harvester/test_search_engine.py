"""The search engine over real CKAN records: facet counts against an oracle computed from
the records themselves, totals, query language, and the index fields."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.model import DatasetRecord, PeriodOfTime, Provenance, SpatialCoverage
from harvester.search.cursor import Cursor, CursorError, decode, encode
from harvester.search.engine import SearchRequest, load_summary_rows, search, search_rows
from harvester.search.fields import FACETS, PartnerInfo, index_fields
from harvester.search.filters import Filters
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade_async
from tests.api import corpus


@pytest.fixture
async def items(database_url: str) -> list:
    return await corpus.real(database_url)


def _oracle(items: list, facet: str) -> Counter[str]:
    partner = PartnerInfo("portail", "public_body")
    return Counter(
        value
        for item in items
        for name, value in index_fields(item.record, "portail", partner).facets
        if name == facet
    )


async def test_facet_counts_match_the_records(
    sessions: async_sessionmaker[AsyncSession], items: list
) -> None:
    async with sessions() as session:
        result = await search(session, SearchRequest(limit=1, facets=FACETS, facet_limit=1000))
    assert result.total == len(items) and result.total_exact
    for facet in FACETS:
        assert dict(result.facets[facet]) == dict(_oracle(items, facet)), facet
    assert sum(n for _, n in result.facets["source"]) == len(items)


async def test_facet_counts_under_a_filter(
    sessions: async_sessionmaker[AsyncSession], items: list
) -> None:
    csv = [
        i
        for i in items
        if "CSV"
        in {
            v
            for f, v in index_fields(i.record, "portail", PartnerInfo(None, None)).facets
            if f == "format"
        }
    ]
    assert csv
    async with sessions() as session:
        result = await search(
            session,
            SearchRequest(
                filters=Filters(facets={"format": ["CSV"]}), facets=["licence"], facet_limit=1000
            ),
        )
    assert result.total == len(csv)
    assert dict(result.facets["licence"]) == dict(_oracle(csv, "licence"))


async def test_total_is_flagged_beyond_the_count_limit(
    sessions: async_sessionmaker[AsyncSession], items: list
) -> None:
    async with sessions() as session:
        capped = await search(session, SearchRequest(limit=5, count_limit=10))
        exact = await search(session, SearchRequest(limit=5, count_limit=len(items)))
    assert (capped.total, capped.total_exact) == (10, False)
    assert (exact.total, exact.total_exact) == (len(items), True)


async def test_facets_are_sampled_and_flagged_beyond_the_count_limit(
    sessions: async_sessionmaker[AsyncSession], items: list
) -> None:
    narrowed = Filters(facets={"source": ["portail"]})  # every item, but a narrowed search
    async with sessions() as session:
        sampled = await search(
            session,
            SearchRequest(filters=narrowed, facets=["source"], count_limit=10, facet_sample=7),
        )
        exact = await search(session, SearchRequest(filters=narrowed, facets=["source"]))
    assert not sampled.facets_exact and sum(n for _, n in sampled.facets["source"]) == 7
    assert exact.facets_exact and dict(exact.facets["source"]) == {"portail": len(items)}
    async with sessions() as session:
        whole = await search(session, SearchRequest(facets=["source"], count_limit=10))
    assert whole.facets_exact, "without a query or filter, counts come from the index alone"


async def test_query_language(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await corpus.synthetic(database_url)

    async def ids(q: str) -> set[str]:
        async with sessions() as session:
            result = await search(session, SearchRequest(q=q, limit=100, facets=()))
        return {row.remote_id for row in result.datasets}

    assert await ids("bibliothèque") == {"bibli"}
    assert await ids("ENERGIE") == {"energie"}
    assert await ids('"autobus de nuit"') == {"bus"}
    assert await ids('"nuit autobus"') == set()
    assert await ids("transport -nuit") == {"velo"}
    assert await ids("autobus OR bibliothèques") == {"bus", "bibli"}
    assert await ids("transports collectifs") == {"bus"}
    assert await ids("-parc") == {"velo", "reseau", "bibli", "bus", "energie"}


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(limit=7, facets=()),
        SearchRequest(q="données", limit=5),
        SearchRequest(q="eau", sort="title", limit=3, facets=("format",)),
        SearchRequest(q="-parc", sort="modified", limit=4, facets=()),
    ],
    ids=["all", "relevance", "title", "modified"],
)
async def test_summary_rows_page_as_whole_datasets(
    sessions: async_sessionmaker[AsyncSession], items: list, request_: SearchRequest
) -> None:
    """Reading only what a result shows changes no page, cursor, total or facet."""
    summary_fields = ("pk", "id", "source_id", "publisher_name", "modified", "title_sort", "record")
    request = replace(request_)
    for _ in range(3):
        async with sessions() as session:
            whole = await search(session, request)
            light = await search_rows(session, request, load_summary_rows)
        assert [[getattr(row, f) for f in summary_fields] for row in whole.datasets] == [
            [getattr(row, f) for f in summary_fields] for row in light.datasets
        ]
        assert (whole.total, whole.total_exact, whole.facets, whole.next_cursor) == (
            light.total,
            light.total_exact,
            light.facets,
            light.next_cursor,
        )
        if not whole.next_cursor:
            break
        request = replace(request, cursor=whole.next_cursor)


def test_index_fields_extents_and_richness() -> None:
    def rec(**kwargs: object) -> DatasetRecord:
        return DatasetRecord(
            identifier="x",
            title={"fr": "Élan"},
            provenance=Provenance(source_id="s", remote_id="x", platform="ckan"),
            **kwargs,
        )

    fields = index_fields(
        rec(
            temporal=[
                PeriodOfTime(start=date(2020, 1, 1), end=date(2020, 6, 30)),
                PeriodOfTime(start=date(2019, 5, 1)),
            ],
            spatial=[
                SpatialCoverage(bbox=(-72, 45, -71, 46)),
                SpatialCoverage(bbox=(-74, 46, -73, 47)),
                SpatialCoverage(bbox=(10, 95, 11, 96)),
            ],
        ),
        "s",
        PartnerInfo(None, None),
    )
    assert fields.temporal_start == datetime(2019, 5, 1, tzinfo=UTC)
    assert fields.temporal_end is None  # one period is open-ended
    assert fields.bbox == (-74, 45, -71, 47)  # the invalid box is ignored
    assert fields.title_sort == "elan"
    bare = index_fields(rec(), "s", PartnerInfo("p", "ministry"))
    assert bare.richness < fields.richness or bare.richness == 0
    assert ("partner_kind", "ministry") in bare.facets and ("api", "false") in bare.facets


def test_cursors_round_trip_and_refuse_strangers() -> None:
    token = encode(Cursor("title", ("abc", 4), 77))
    assert decode(token, sort="title", expected=77).key == ("abc", 4)
    for bad, sort, expected in (
        (token, "modified", 77),
        (token, "title", 78),
        ("%%%", "title", 77),
        ("e30", "title", 77),
    ):
        with pytest.raises(CursorError):
            decode(bad, sort=sort, expected=expected)


async def test_migration_backfills_rows_written_before_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await upgrade_async(url, "0001")
    item = corpus.VILLE[0]
    assert item.record is not None
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO partner(id, name, kind, created_at) VALUES ('ville', 'V', 'municipality', '2026-01-01 00:00:00')"
            )
        )
        await connection.execute(
            sa.text(
                "INSERT INTO source(id, partner_id, url, platform, options, status, origin, created_at, updated_at) "
                "VALUES ('ville', 'ville', 'https://v', 'ckan', '{}', 'approved', 'config', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        await connection.execute(
            sa.text(
                "INSERT INTO dataset(id, source_id, remote_id, content_hash, record, title, first_seen, last_seen, updated_at) "
                "VALUES ('abc', 'ville', 'velo', 'h', :record, 'Pistes', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"record": item.record.model_dump_json()},
        )
    await engine.dispose()
    await upgrade_async(url)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        result = await search(
            session,
            SearchRequest(
                filters=Filters(facets={"format": ["CSV"]}, bbox=(-72, 46, -71, 47)),
                facets=["partner_kind"],
            ),
        )
        row = result.datasets[0]
        assert (row.remote_id, row.change_seq, row.title_sort) == ("velo", 1, "pistes cyclables")
        assert result.facets["partner_kind"] == [("municipality", 1)]
    await engine.dispose()
