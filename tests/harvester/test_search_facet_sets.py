"""Packed facet sets (SQLite): they follow ``dataset_facet`` through every write, the
migration fills them as the writer would, and sampled counts read from them equal the
grouped counts of ``dataset_facet`` (ties, cut-offs, accents, control characters)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.search import facets as facet_module
from harvester.search.engine import SearchRequest, search
from harvester.search.facet_sets import count_pairs, escape, pack, top_values, unpack
from harvester.search.facets import count_facets, facet_statement, read_facets
from harvester.search.fields import FACETS
from harvester.search.filters import Filters
from harvester.store.datasets import Harvested
from harvester.store.db import create_engine
from harvester.store.migrate import alembic_config, upgrade_async
from harvester.store.tables import Dataset
from harvester.store.withdrawals import withdraw
from tests.api import corpus
from tests.harvester.facet_support import assert_sets_follow_rows

TRICKY = [  # ties, accents (code-point order), values holding the separators
    corpus.record(
        f"tricky-{n}",
        {"fr": f"Données du patrimoine {n}"},
        keywords=words,
        formats=formats,
        publisher=publisher,
        licence="CC-BY-4.0" if n % 2 else "ODbL-1.0",
    )
    for n, (words, formats, publisher) in enumerate(
        [
            (["École", "eau", "été", "zèbre"], ["CSV", "csv", "Xlsx"], "Église"),
            (["eau", "été", "Zoo", "a\x1eb"], ["CSV"], "eglise"),
            (["école", "zèbre", "a\x1c1b", "x\x1fy"], ["JSON"], "Église"),
            (["Zoo", "école", "a\x1eb", "z\x1c\x1ez"], ["XLSX", "PDF"], "Zone"),
            (["été", "eau", "x\x1fy", "ÉTÉ"], ["PDF"], "eglise"),
        ]
    )
]


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("packed facet sets are SQLite's")
    return database_url


@pytest.fixture
async def seeded(sqlite_url: str) -> str:
    await corpus.real(sqlite_url)
    await corpus.synthetic(sqlite_url)
    await corpus.write(sqlite_url, "ville", TRICKY)
    return sqlite_url


def test_packing_round_trips_any_value() -> None:
    pairs = {
        ("keyword", value)
        for value in ("a\x1eb", "a\x1c1b", "\x1c", "\x1c0\x1e", "x\x1fy", "plain", "é\x1c\x1c1")
    }
    pairs |= {("format", "CSV"), ("source", "s")}
    packed = pack(pairs)
    assert unpack(packed) == pairs
    assert len(packed.split("\x1e")) == len(pairs), "no value holds a pair separator"
    assert unpack("") == set()


def _simulated_facet_sets(n: int) -> list[set[tuple[str, str]]]:
    from datetime import UTC, datetime

    from connectors.base import RawRecord, SourceSpec
    from connectors.ckan import CkanConnector
    from harvester.search.fields import PartnerInfo, index_fields
    from simulator.corpus import Corpus, CorpusSpec
    from simulator.platforms.ckan import package

    site = "http://127.0.0.1:9/ckan"
    spec = SourceSpec(id="s", url=f"{site}/api/3/action", platform="ckan")
    connector = CkanConnector(spec, None)  # type: ignore[arg-type]  # normalize only
    simulated = Corpus(CorpusSpec(n=n))
    now = datetime.now(UTC)
    sets = []
    for index in simulated.indices:
        payload = package(simulated.dataset(index), site)
        record = connector.normalize(RawRecord(str(payload["id"]), payload, now))
        sets.append(index_fields(record, "s", PartnerInfo("p", "municipality")).facets)
    return sets


def _pack_by_pairs(facets: set[tuple[str, str]]) -> str:
    """The packing the sets were first written with: pairs sorted as tuples, then joined."""
    return "\x1e".join(f"{f}\x1f{escape(v)}" for f, v in sorted(facets))


def test_packed_pairs_are_sorted_as_pairs() -> None:
    """Sorting the joined strings gives the pairs' order (facet names hold no character
    sorting before the field separator), escaped values or not."""
    assert all(min(name) > "\x1f" for name in FACETS)
    odd = ["", "\x01", "a\x1fb", "a", "a b", "é", "\x1e", "\x1c", "Z", "zz\x1c0"]
    sets = [
        {("keyword", v) for v in odd[:cut]} | {("format", "CSV"), ("licence", "\x00")}
        for cut in range(len(odd) + 1)
    ]
    sets += [{("a", "x"), ("ab", "\x00"), ("a", "\x02")}, {("ab", ""), ("a", "~")}, set()]
    sets += _simulated_facet_sets(300)
    for pairs in sets:
        assert pack(pairs) == _pack_by_pairs(pairs), pairs
        assert unpack(pack(pairs)) == pairs


def test_top_values_rank_by_count_then_code_point() -> None:
    sets = [
        pack({("keyword", "été"), ("keyword", "eau"), ("format", "CSV")}),
        pack({("keyword", "Zoo"), ("keyword", "École"), ("format", "CSV")}),
        pack({("keyword", "zèbre"), ("keyword", "a\x1eb"), ("format", "PDF")}),
        pack({("keyword", "École"), ("keyword", "eau")}),
    ]
    counts = top_values(["keyword", "format", "theme"], count_pairs(sets), limit=3)
    assert counts == {
        "keyword": [("eau", 2), ("École", 2), ("Zoo", 1)],
        "format": [("CSV", 2), ("PDF", 1)],
        "theme": [],
    }
    assert top_values(["keyword"], count_pairs([]), limit=3) == {"keyword": []}


async def _grouped_counts(
    session: AsyncSession, names: list[str], candidates: Any, limit: int
) -> dict[str, list[tuple[str, int]]]:
    rows = await session.execute(facet_statement(names, candidates, limit=limit))
    return read_facets(names, [(facet, value, n) for facet, value, n, _ in rows])


def _visible() -> Any:
    return sa.select(col(Dataset.pk).label("pk")).where(col(Dataset.withdrawn_at).is_(None))


async def _assert_counts_agree(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Packed and grouped counts agree on several candidate sets and limits."""
    names = list(FACETS)
    samples = [
        _visible(),
        _visible().order_by(col(Dataset.pk).desc()).limit(7),
        _visible().where(col(Dataset.source_id) == "ville"),
        _visible().where(col(Dataset.remote_id).like("tricky-%")),
    ]
    async with sessions() as session:
        for candidates in samples:
            for limit in (1, 2, 3, 10, 1000):
                packed = await count_facets(session, names, candidates, limit=limit)
                assert packed == await _grouped_counts(session, names, candidates, limit)
        packed = await count_facets(session, ["keyword"], samples[3], limit=4)
    assert packed["keyword"] == [("eau", 3), ("école", 3), ("été", 3), ("a\x1eb", 2)]


async def _assert_searches_agree(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Searches count the same facets from the sets as from ``dataset_facet``."""
    requests = [
        SearchRequest(q="données", facets=FACETS, facet_sample=7),
        SearchRequest(q="données patrimoine", facets=FACETS, facet_limit=2),
        SearchRequest(
            q="données", filters=Filters(facets={"format": ["CSV", "PDF"]}), facets=FACETS
        ),
        SearchRequest(filters=Filters(facets={"source": ["ville"]}), facets=FACETS),
        SearchRequest(q="données", sort="title", facets=FACETS, facet_sample=5),
    ]
    found = []
    for packed in (True, False):
        facet_module.PACKED_SAMPLES = packed
        try:
            async with sessions() as session:
                found.append([(await search(session, r)).facets for r in requests])
        finally:
            facet_module.PACKED_SAMPLES = True
    assert found[0] == found[1]
    assert any(counts["keyword"] for counts in found[0])


async def test_packed_counts_equal_grouped_counts(
    seeded: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await assert_sets_follow_rows(sessions)
    await _assert_counts_agree(sessions)
    await _assert_searches_agree(sessions)


def _changed(item: Harvested, **fields: Any) -> Harvested:
    assert item.record is not None
    base: dict[str, Any] = {
        "title": item.record.title,
        "publisher": "Ville de Québec",
        "modified": date(2026, 2, 2),
    }
    return corpus.record(item.record.identifier, **(base | fields))


async def test_sets_follow_updates_withdrawals_restores_and_deletions(
    seeded: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    updated = [
        _changed(TRICKY[0], keywords=["Été", "zèbre"], formats=["PDF"]),
        _changed(TRICKY[1], keywords=["eau", "a\x1eb", "nouveau"], formats=[]),
        _changed(corpus.VILLE[0], keywords=["Vélo"], formats=["CSV"]),
    ]
    await corpus.write(seeded, "ville", updated, now=corpus.LATER)
    await assert_sets_follow_rows(sessions)
    await _assert_searches_agree(sessions)
    async with sessions() as session, session.begin():
        pks = cast(  # the primary key, never NULL
            Sequence[int],
            (
                await session.scalars(
                    sa.select(col(Dataset.pk))
                    .where(col(Dataset.remote_id).like("tricky-%"))
                    .order_by(col(Dataset.pk))
                )
            ).all(),
        )
        assert await withdraw(session, pks[:3], corpus.LATER) == 3
    await assert_sets_follow_rows(sessions)
    await _assert_counts_agree_after_withdrawal(sessions)
    await _assert_searches_agree(sessions)
    await corpus.write(seeded, "ville", [updated[0], TRICKY[2]], now=corpus.LATER)  # restored
    await assert_sets_follow_rows(sessions)
    await _assert_searches_agree(sessions)
    async with sessions() as session, session.begin():
        await session.execute(sa.text("DELETE FROM dataset WHERE remote_id = 'tricky-3'"))
    await assert_sets_follow_rows(sessions)
    await _assert_searches_agree(sessions)


async def _assert_counts_agree_after_withdrawal(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Withdrawn datasets leave the samples: only tricky-3 and -4 are visible."""
    async with sessions() as session:
        counts = await count_facets(
            session,
            ["publisher"],
            _visible().where(col(Dataset.remote_id).like("tricky-%")),
            limit=10,
        )
    assert counts == {"publisher": [("Zone", 1), ("eglise", 1)]}


async def test_migration_fills_the_sets_as_the_writer_does(
    seeded: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    written = await _stored_sets(sessions)
    assert len(written) == 46 + len(corpus.SYNTHETIC) + len(TRICKY)
    config = alembic_config(seeded)
    await asyncio.to_thread(command.downgrade, config, "0010_operator_aggregates")
    assert await _table_missing(sessions)
    await upgrade_async(seeded)
    backfilled = await _stored_sets(sessions)
    assert {pk: unpack(p) for pk, p in backfilled.items()} == {
        pk: unpack(p) for pk, p in written.items()
    }
    await _assert_counts_agree(sessions)


async def _stored_sets(sessions: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with sessions() as session:
        rows = await session.execute(sa.text("SELECT dataset_pk, facets FROM dataset_facet_set"))
        return {pk: packed for pk, packed in rows}


async def _table_missing(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        found = await session.scalar(
            sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'dataset_facet_set'")
        )
    return found == 0


async def test_postgresql_has_no_sets(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL schema")
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        found = await connection.scalar(sa.text("SELECT to_regclass('dataset_facet_set')"))
    await engine.dispose()
    assert found is None
