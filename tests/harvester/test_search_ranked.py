"""Relevance pages that stop early (SQLite rank-keyed FTS rows) against the exhaustive
ranking: same order, scores, totals and cursors on a corpus where every match is checkable;
the index follows rewrites and withdrawals; facet counts without a query are cached per
catalogue version."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from harvester.search import facet_counts, ranked
from harvester.search.engine import SearchRequest, search
from harvester.search.filters import Filters
from harvester.search.query import parse_query
from harvester.search.rank import rank_key, split
from harvester.search.text import SearchDocument
from harvester.store import sqlite_shaped
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade_async
from harvester.store.tables import Dataset
from harvester.store.withdrawals import withdraw
from tests.api import corpus
from tests.harvester.search_support import every_page, recorded_sql

WORDS = ["parc", "piste", "budget", "arbre", "autobus", "bibliothèque"]


def _items(n: int, seed: int = 7) -> list[corpus.Harvested]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        title_words = rng.sample(WORDS, rng.randint(0, 2))
        body_words = rng.sample(WORDS, rng.randint(0, 3))
        items.append(
            corpus.record(
                f"d{i:03}",
                {"fr": " ".join(["Jeu", *title_words, str(i)])},
                description=" ".join(["Données", *body_words]) * rng.randint(0, 30),
                keywords=rng.sample(["culture", "transport", "eau", "énergie"], rng.randint(0, 3)),
                formats=rng.sample(["CSV", "JSON", "SHP"], rng.randint(0, 3)),
                licence=rng.choice([None, "CC-BY-4.0"]),
                publisher=rng.choice([None, "Ville de Québec"]),
            )
        )
    return items


async def _seed(url: str, n: int = 160) -> list[corpus.Harvested]:
    engine = create_engine(url)
    await corpus.add_sources(session_factory(engine))
    await engine.dispose()
    items = _items(n)
    await corpus.write(url, "ville", items)
    return items


async def _all_pages(
    sessions: async_sessionmaker[AsyncSession], request: SearchRequest
) -> tuple[list[str], list[int]]:
    pages = await every_page(sessions, request)
    return [row.remote_id for page in pages for row in page.datasets], [p.total for p in pages]


@pytest.mark.parametrize(
    "q", ["données", "parc", "piste OR budget", "jeu -arbre", '"données parc"', "parc budget"]
)
async def test_early_stop_matches_the_exhaustive_ranking(
    sessions: async_sessionmaker[AsyncSession], database_url: str, q: str
) -> None:
    await _seed(database_url)
    oracle = await _oracle(sessions, q)
    assert oracle
    for limit in (1, 7, 50):
        fast, fast_totals = await _all_pages(sessions, SearchRequest(q=q, limit=limit))
        assert fast == oracle, (q, limit)
        assert set(fast_totals) == {len(oracle)}


async def _oracle(sessions: async_sessionmaker[AsyncSession], q: str) -> list[str]:
    """Every match in relevance order, from the exhaustive path (offset paging: scores
    computed in SQL from ``dataset.richness`` and the title matches)."""
    out: list[str] = []
    async with sessions() as session:
        while True:
            result = await search(session, SearchRequest(q=q, limit=13, offset=len(out)))
            out += [row.remote_id for row in result.datasets]
            if len(result.datasets) < 13:
                return out


async def test_facet_filters_and_cursor_keys_match(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(database_url)
    filters = Filters(facets={"format": ["CSV", "SHP"], "licence": ["CC-BY-4.0"]})
    fast, _ = await _all_pages(sessions, SearchRequest(q="données", limit=9, filters=filters))
    out: list[str] = []
    async with sessions() as session:
        while True:
            result = await search(
                session, SearchRequest(q="données", limit=9, filters=filters, offset=len(out))
            )
            out += [row.remote_id for row in result.datasets]
            if len(result.datasets) < 9:
                break
    assert fast and fast == out


async def test_total_and_sampled_facets_on_the_ranked_path(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(database_url)
    matches = len(await _oracle(sessions, "données"))
    assert 10 < matches < 2000
    async with sessions() as session:
        capped = await search(
            session, SearchRequest(q="données", facets=["format"], count_limit=10, facet_sample=5)
        )
        full = await search(session, SearchRequest(q="données", facets=["format"], limit=5))
    assert (capped.total, capped.total_exact, capped.facets_exact) == (10, False, False)
    assert sum(n for _, n in capped.facets["format"]) <= 5 * 3
    assert full.total == matches and full.total_exact and full.facets_exact


async def test_index_follows_rewrites_and_withdrawals(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(database_url, 30)
    rich = corpus.record(
        "d005",
        {"fr": "Jeu parc"},
        description="Données " + corpus.LONG,
        keywords=["culture", "eau"],
        formats=["CSV", "JSON"],
        licence="CC-BY-4.0",
        publisher="Ville de Québec",
    )
    await corpus.write(database_url, "ville", [rich], now=corpus.LATER)
    ids, _ = await _all_pages(sessions, SearchRequest(q="parc", limit=4))
    assert ids == await _oracle(sessions, "parc") and "d005" in ids
    async with sessions() as session, session.begin():
        pk = await session.scalar(
            sa.select(col(Dataset.pk)).where(col(Dataset.remote_id) == "d005")
        )
        assert pk is not None
        await withdraw(session, [pk], corpus.LATER)
    ids, _ = await _all_pages(sessions, SearchRequest(q="parc", limit=4))
    assert "d005" not in ids and ids == await _oracle(sessions, "parc")


async def test_facets_without_a_query_are_cached_per_catalogue_version(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _seed(database_url, 20)
    facet_counts.clear()
    request = SearchRequest(limit=1, facets=["format"])
    async with sessions() as session:
        first = await search(session, request)
        hits, total_hits = facet_counts.stats["hits"], facet_counts.stats["total_hits"]
        again = await search(session, request)
    assert again.facets == first.facets and facet_counts.stats["hits"] == hits + 1
    assert again.total == first.total and facet_counts.stats["total_hits"] == total_hits + 1
    await corpus.write(
        database_url,
        "ville",
        [corpus.record("new", {"fr": "Nouveau"}, formats=["XLS"])],
        now=corpus.LATER,
    )
    async with sessions() as session:
        after = await search(session, request)
    assert ("XLS", 1) in after.facets["format"], "a write changes the catalogue version"
    assert after.total == first.total + 1


def test_rank_keys_order_by_richness_then_pk() -> None:
    keys = [rank_key(r, pk) for r, pk in [(99, 5), (99, 7), (50, 1), (0, 2), (150, 3)]]
    assert keys == [*sorted(keys[:4]), keys[4]] and split(keys[2]) == (50, 1)
    assert split(rank_key(-4, 9)) == (0, 9) and split(keys[4]) == (99, 3)


async def test_migration_rekeys_rows_indexed_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    for revision in ("0003", "0005", "0017_dataset_derived_hash"):  # every head but 0007
        await upgrade_async(url, revision)
    items = _items(25)
    engine = create_engine(url)
    await corpus.add_sources(session_factory(engine))
    await engine.dispose()
    # write with the pre-0007 index layout (rowid = pk)
    from harvester.search import backend, facet_sets

    original = backend.SqliteSearch

    class PkKeyed:
        async def index(
            self, session: AsyncSession, docs: Sequence[tuple[int, SearchDocument]], **_: Any
        ) -> None:
            await session.execute(
                sa.text(
                    "INSERT INTO search_fts(rowid, title_fr, title_en, body_fr, body_en) "
                    "VALUES (:pk, :title_fr, :title_en, :body_fr, :body_en)"
                ),
                backend._doc_params(docs),
            )

        async def remove(self, session: AsyncSession, pks: Sequence[int]) -> None:
            pass

    async def no_sets(
        session: AsyncSession, rows: Sequence[tuple[int, set[tuple[str, str]]]]
    ) -> None:
        pass  # the facet sets came with 0011

    backend.SqliteSearch = PkKeyed  # type: ignore[misc,assignment]
    monkeypatch.setattr(facet_sets, "write_sets", no_sets)
    try:
        await corpus.write(url, "ville", items)
    finally:
        backend.SqliteSearch = original  # type: ignore[misc]
        monkeypatch.undo()
    await upgrade_async(url)
    sessions = session_factory(create_engine(url))
    fast, _ = await _all_pages(sessions, SearchRequest(q="parc", limit=3))
    assert fast and fast == await _oracle(sessions, "parc")


PLANS = {
    # walk the rank_key btree with the @@ filter (what a common term gets)
    "btree walk": {"enable_bitmapscan": "off", "enable_seqscan": "off", "enable_sort": "off"},
    # GIN bitmap of the matches, then a top-N sort (what a rare term gets)
    "bitmap + sort": {"enable_indexscan": "off", "enable_seqscan": "off"},
}


@pytest.mark.parametrize("plan", sorted(PLANS))
async def test_postgres_early_stop_plans_return_the_exhaustive_pages(
    sessions: async_sessionmaker[AsyncSession], database_url: str, plan: str
) -> None:
    """Whichever plan PostgreSQL picks for a tier (the rank-key walk that stops after a page,
    or the GIN bitmap and a sort), pages, totals and cursors are the exhaustive ranking's."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL planner settings")
    await _seed(database_url)
    forced = create_engine(database_url, connect_args={"server_settings": PLANS[plan]})
    try:
        fast_sessions = session_factory(forced)
        for q in ["données", "parc", "piste OR budget", "jeu -arbre", "parc budget"]:
            oracle = await _oracle(sessions, q)
            for limit in (1, 7):
                fast, totals = await _all_pages(fast_sessions, SearchRequest(q=q, limit=limit))
                assert fast == oracle, (plan, q, limit)
                assert set(totals) == {len(oracle)}
            async with fast_sessions() as session:
                sampled = await search(
                    session, SearchRequest(q=q, facets=["format"], facet_sample=5, count_limit=9)
                )
            first = await _best_described(sessions, oracle, 5)
            assert sampled.facets["format"] == await _format_counts(sessions, first), (plan, q)
    finally:
        await forced.dispose()


async def _best_described(
    sessions: async_sessionmaker[AsyncSession], remote_ids: list[str], n: int
) -> set[str]:
    """The ``n`` first of these datasets in rank-key order (richness desc, pk): the sample
    that facet counts beyond ``facet_sample`` matches are taken on, on both databases."""
    async with sessions() as session:
        rows = await session.execute(
            sa.select(col(Dataset.remote_id))
            .where(col(Dataset.remote_id).in_(remote_ids))
            .order_by(col(Dataset.richness).desc(), col(Dataset.pk))
            .limit(n)
        )
        return set(rows.scalars())


async def _format_counts(
    sessions: async_sessionmaker[AsyncSession], remote_ids: set[str]
) -> list[tuple[str, int]]:
    """Format counts of these datasets, most frequent first (then by value)."""
    async with sessions() as session:
        rows = await session.execute(
            sa.text(
                "SELECT f.value, count(*) AS n FROM dataset_facet f "
                "JOIN dataset d ON d.pk = f.dataset_pk "
                "WHERE f.facet = 'format' AND d.remote_id IN :ids "
                "GROUP BY f.value ORDER BY n DESC, f.value LIMIT 10"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": sorted(remote_ids)},
        )
        return [(value, int(n)) for value, n in rows]


async def test_postgres_migration_keys_rows_indexed_before_it(database_url: str) -> None:
    """0008 gives rows written by the pre-0008 PostgreSQL index a rank key and a title vector
    (and drops any of a withdrawn dataset): early-stop pages then equal the exhaustive ones."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL migration")
    from sqlalchemy.engine import make_url

    from tests.conftest import _recreate_database

    base = make_url(database_url)
    name = f"{base.database}_m0008"
    await _recreate_database(database_url, name)
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        for revision in ("0005", "0017_dataset_derived_hash", "0007_search_rank"):  # not 0008
            await upgrade_async(url, revision)
        engine = create_engine(url)
        await corpus.add_sources(session_factory(engine))
        await engine.dispose()
        from harvester.search import backend

        original = backend.PostgresSearch

        class Unkeyed:  # the pre-0008 index: no rank key, and withdrawals left rows behind
            async def index(self, session: AsyncSession, docs: list[Any], **_: Any) -> None:
                await session.execute(
                    sa.text(
                        "INSERT INTO search_doc(dataset_pk, title_fr, title_en, body_fr, "
                        "body_en) VALUES (:pk, :title_fr, :title_en, :body_fr, :body_en)"
                    ),
                    backend._doc_params(docs),
                )

            async def remove(self, session: AsyncSession, pks: list[int]) -> None:
                pass

        backend.PostgresSearch = Unkeyed  # type: ignore[misc,assignment]
        try:
            await corpus.write(url, "ville", _items(40))
            sessions = session_factory(create_engine(url))
            async with sessions() as session, session.begin():
                pk = await session.scalar(
                    sa.select(col(Dataset.pk)).where(col(Dataset.remote_id) == "d003")
                )
                assert pk is not None
                await withdraw(session, [pk], corpus.LATER)
        finally:
            backend.PostgresSearch = original  # type: ignore[misc]
        await upgrade_async(url)
        sessions = session_factory(create_engine(url))
        for q in ("parc", "données", "jeu -arbre"):
            fast, _ = await _all_pages(sessions, SearchRequest(q=q, limit=3))
            assert fast and fast == await _oracle(sessions, q) and "d003" not in fast
    finally:
        await _recreate_database(database_url, name, drop_only=True)


async def test_a_page_its_titles_fill_reads_no_other_match(
    sessions: async_sessionmaker[AsyncSession], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both tiers in one statement made SQLite walk the other matches for every page,
    1-2.4 ms of a text search at 100 k whose title matches filled it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the rank-key walk is SQLite's; PostgreSQL reads once (test_search_strategy)")
    await _seed(database_url)
    with recorded_sql(sessions.kw["bind"], monkeypatch) as statements:
        for q, tables in (("parc", {"search_title"}), ("données", {"search_title", "search_fts"})):
            statements.clear()
            query = ranked.ranked_query(parse_query(q), Filters(), "sqlite")
            async with sessions() as session:
                found = await ranked.page(session, query, None, 3)
            assert len(found) == 3
            titled = all(score >= ranked.TITLE_BONUS for _pk, score in found)
            assert titled == (q == "parc")  # "données" is in no title
            read = {t for t in ("search_title", "search_fts") if any(t in s for s in statements)}
            assert read == tables, (q, statements)


FILTER_SHAPES: list[tuple[dict[str, list[str]], frozenset[str]]] = [
    ({}, frozenset()),
    ({"format": ["CSV"]}, frozenset()),
    ({"format": ["CSV"]}, frozenset({"format"})),
    ({"format": ["JSON", "SHP"]}, frozenset({"format"})),
    ({"format": ["SHP"], "licence": ["CC-BY-4.0"]}, frozenset({"licence"})),
]


async def test_rank_keys_as_shaped_text_are_the_statements_keys(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """SQLite reads rank keys from SQL text kept per shape (filters, probes, tier, bounds)
    and bound per call (match expressions, bound, limit): the same keys as the statement
    through SQLAlchemy, for queries, filters, tiers, bounds and limits asked in an order
    that reuses each shape with other values."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's rank-key walk (PostgreSQL reads once: test_search_strategy)")
    await _seed(database_url)
    sqlite_shaped.clear()
    compared = 0
    async with sessions() as session:
        connection = await session.connection()
        for facets, dense in FILTER_SHAPES:
            for q in ("parc", "données", "jeu -arbre", "parc OR données", '"jeu de données"'):
                query = ranked.ranked_query(parse_query(q), Filters(facets=facets), "sqlite", dense)
                assert isinstance(query, ranked.RankedQuery)
                for tier in (1, 2):
                    statement = query.keys(tier, None, 500)
                    everything = [k for (k,) in await connection.execute(statement)]
                    for after in (None, *everything[:3]):
                        for limit in (1, 3, 500):
                            statement = query.keys(tier, after, limit)
                            expected = [k for (k,) in await connection.execute(statement)]
                            found = await ranked._keys(session, query, tier, after, limit)
                            assert found == expected, (facets, dense, q, tier, after, limit)
                            compared += bool(expected)
    assert compared > 100
    assert sqlite_shaped.stats["reused"] > sqlite_shaped.stats["built"] > 0
