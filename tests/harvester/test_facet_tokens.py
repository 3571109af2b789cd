"""Facet pairs as full-text tokens (SQLite): one FTS5 token per pair whatever its value, a
filter expression FTS5 runs as written, text queries with facet filters find exactly what
the exhaustive path finds, and migration 0023 fills the column as the writer does."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search.engine import SearchRequest, search
from harvester.search.facet_tokens import document, match, token
from harvester.search.fields import FACETS
from harvester.search.filters import Filters
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import alembic_config, upgrade_async
from tests.api import corpus
from tests.harvester.facet_support import assert_sets_follow_rows
from tests.harvester.search_support import every_page
from tests.harvester.test_search_facet_sets import TRICKY
from tests.harvester.test_search_ranked import _items

VALUES = ["CC-BY-4.0", "Ville de Québec", "a\x1eb", "x\x1fy", "東京", "l'eau", "É T É", "*"]


def _fts() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(body, facets, "
        "tokenize = 'unicode61 remove_diacritics 2', detail = full)"
    )
    return connection


def test_a_pair_is_one_token_of_its_own() -> None:
    tokens = {token(facet, value) for facet in ("keyword", "publisher") for value in VALUES}
    assert len(tokens) == 2 * len(VALUES)  # every pair its own token
    assert all(re.fullmatch(r"f[0-9a-f]{24}", found) for found in tokens)
    # stored in every SQLite index: a change of the function needs a migration
    assert token("licence", "CC-BY-4.0") == "f8b8fac5fdf10b32c0cf52e3d"
    connection = _fts()
    pairs = [("keyword", value) for value in VALUES]
    connection.execute("INSERT INTO t(rowid, body, facets) VALUES (1, '', ?)", (document(pairs),))
    connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    vocabulary = [term for (term,) in connection.execute("SELECT term FROM v")]
    assert sorted(vocabulary) == sorted(token(facet, value) for facet, value in pairs)


def test_filters_match_every_facet_and_any_of_its_values() -> None:
    connection = _fts()
    rows = {
        1: [("format", "CSV"), ("licence", "CC-BY-4.0")],
        2: [("format", "JSON"), ("licence", "CC-BY-4.0")],
        3: [("format", "CSV"), ("licence", "ODbL-1.0")],
        4: [("format", "csv")],
    }
    for rowid, pairs in rows.items():
        connection.execute(
            "INSERT INTO t(rowid, body, facets) VALUES (?, ?, ?)",
            (rowid, f"format CSV {token('format', 'CSV')}", document(pairs)),
        )

    def found(filters: dict[str, list[str]]) -> list[int]:
        expression = match(filters)
        assert expression is not None
        return [
            rowid
            for (rowid,) in connection.execute(
                "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", (expression,)
            )
        ]

    assert found({"format": ["CSV"]}) == [1, 3]  # the text column holds the token: unread
    assert found({"format": ["CSV", "JSON"]}) == [1, 2, 3]
    assert found({"format": ["CSV"], "licence": ["CC-BY-4.0"]}) == [1]
    assert found({"licence": ["CC-BY-4.0", "ODbL-1.0"], "format": ["JSON"]}) == [2]
    assert found({"format": ['Quote"d']}) == []
    assert match({}) is None


FILTERED = [
    Filters(facets={"licence": ["CC-BY-4.0"]}),
    Filters(facets={"format": ["CSV", "SHP"], "licence": ["CC-BY-4.0"]}),
    Filters(facets={"keyword": ["eau", "a\x1eb", "x\x1fy"], "format": ["JSON"]}),
    Filters(facets={"publisher": ["Ville de Québec", "Église"]}),
    Filters(facets={"source": ["ville"], "format": ["SHP"], "keyword": ["énergie"]}),
]
QUERIES = ["données", "parc", "piste OR budget", "jeu -arbre", "patrimoine OR autobus"]


async def _exhaustive(
    sessions: async_sessionmaker[AsyncSession], q: str, filters: Filters
) -> list[str]:
    """Every match in relevance order through offset pages (filters on ``dataset_facet``)."""
    out: list[str] = []
    async with sessions() as session:
        while True:
            result = await search(
                session, SearchRequest(q=q, filters=filters, limit=13, offset=len(out))
            )
            out += [row.remote_id for row in result.datasets]
            if len(result.datasets) < 13:
                return out


async def _assert_filtered_searches_agree(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Ranked pages, totals and facet counts under facet filters (FTS5 tokens on SQLite)
    equal the exhaustive path's (``dataset_facet``)."""
    matched = []
    for q in QUERIES:
        for filters in FILTERED:
            expected = await _exhaustive(sessions, q, filters)
            pages = await every_page(sessions, SearchRequest(q=q, filters=filters, limit=4))
            assert [row.remote_id for page in pages for row in page.datasets] == expected
            assert {page.total for page in pages} == {len(expected)}
            async with sessions() as session:
                ranked = await search(session, SearchRequest(q=q, filters=filters, facets=FACETS))
                plain = await search(
                    session, SearchRequest(q=q, filters=filters, facets=FACETS, sort="title")
                )
            assert ranked.facets_exact and ranked.facets == plain.facets
            matched.append(len(expected))
    assert sum(n > 4 for n in matched) >= 10, matched  # most span pages: totals counted


@pytest.fixture
async def seeded(database_url: str) -> str:
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    await engine.dispose()
    await corpus.write(database_url, "ville", _items(160) + TRICKY)
    for remote_id in ("d007", "d011", "tricky-1"):
        await corpus.withdraw(database_url, remote_id)
    return database_url


async def test_text_queries_with_facet_filters_find_what_the_exhaustive_path_finds(
    seeded: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _assert_filtered_searches_agree(sessions)
    if seeded.startswith("sqlite"):
        await assert_sets_follow_rows(sessions)


async def test_migration_fills_the_tokens_as_the_writer_does(
    seeded: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    if not seeded.startswith("sqlite"):
        pytest.skip("facet tokens are SQLite's (PostgreSQL's index is unchanged)")
    config = alembic_config(seeded)
    await asyncio.to_thread(command.downgrade, config, "0022_pg_json_documents")
    async with sessions() as session:
        columns = await session.execute(sa.text("SELECT name FROM pragma_table_info('search_fts')"))
        assert [name for (name,) in columns] == ["title_fr", "title_en", "body_fr", "body_en"]
    await upgrade_async(seeded)
    await assert_sets_follow_rows(sessions)
    await _assert_filtered_searches_agree(sessions)
