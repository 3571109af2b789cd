"""PostgreSQL relevance search in one statement, reading every match once or walking each
tier (``harvester.search.ranked.read_once``), chosen from an upper bound of the matches
taken from the planner's statistics of each word: both strategies return the exhaustive
ranking's pages, totals, cursors and sampled facets; the bound is an upper bound; the choice
follows it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search import ranked
from harvester.search.engine import SearchRequest, search
from harvester.search.filters import Filters
from harvester.search.query import parse_query
from harvester.store.db import create_engine, session_factory
from tests.harvester.test_search_ranked import (
    PLANS,
    _all_pages,
    _best_described,
    _format_counts,
    _oracle,
    _seed,
)

QUERIES = ["données", "parc", "piste OR budget", "jeu -arbre", "parc budget", '"données parc"']


def test_match_bound_takes_the_rarest_group_and_adds_up_alternatives() -> None:
    rows = {"parc": 40.0, "budget": 10.0, "pist": 25.0, "cyclabl": 5.0, "bike": 7.0}
    assert ranked.match_bound(parse_query("parc budget"), rows) == 10
    assert ranked.match_bound(parse_query("parc OR budget"), rows) == 50
    assert ranked.match_bound(parse_query("parc -budget"), rows) == 40
    assert ranked.match_bound(parse_query("(parc OR budget) pistes"), rows) == 25
    phrase = parse_query('"pistes cyclables"')
    assert ranked.match_bound(phrase, rows) == 5  # a phrase: its rarest word
    assert ranked.stems(parse_query("parc budget parc")) == ["parc", "budget"]


def test_compound_queries_are_and_or_phrases() -> None:
    assert not ranked.compound(parse_query("parc"))
    assert not ranked.compound(parse_query("parc OR budget -arbre"))
    assert ranked.compound(parse_query("parc budget"))
    assert ranked.compound(parse_query('"pistes cyclables"'))


def test_materializes_within_the_bound_for_a_sample_a_compound_query_or_few_matches() -> None:
    cap = ranked.MATERIALIZE_MATCHES

    def choose(bound: float | None, **kwargs: bool) -> bool:
        flags = {"count": False, "sample": False, "compound": False, **kwargs}
        return ranked.materializes(bound, limit=10_000, **flags)

    assert choose(cap, sample=True) and choose(cap, compound=True)
    assert not choose(cap + 1, sample=True, compound=True, count=True)
    assert choose(10_001, count=True) and not choose(10_002, count=True)
    page = ranked.PAGE_MATERIALIZE  # a page alone: the walk stops early unless matches are few
    assert choose(page) and not choose(page + 1)
    assert not choose(None, sample=True)  # unknown: walk
    # an exhaustive total (CKAN action API) reads every match either way, within the bound
    uncapped: dict[str, Any] = {"count": True, "sample": False, "compound": False, "limit": 10**9}
    assert ranked.materializes(cap, **uncapped) and not ranked.materializes(cap + 1, **uncapped)


@pytest.fixture
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force reading every match once ("materialize"), walking each tier ("walk"), or
    reading every match with far fewer allowed than there are ("overflow": the search reads
    3, then walks)."""
    forced: str = request.param
    monkeypatch.setattr(ranked, "materializes", lambda *args, **kwargs: forced != "walk")
    if forced == "overflow":
        monkeypatch.setattr(ranked, "MATERIALIZE_MAX", 3)
    return forced


def _postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL strategies")


@pytest.mark.parametrize("strategy", ["materialize", "walk", "overflow"], indirect=True)
@pytest.mark.parametrize("plan", sorted(PLANS))
async def test_both_strategies_return_the_exhaustive_search(
    sessions: async_sessionmaker[AsyncSession], database_url: str, strategy: str, plan: str
) -> None:
    """Pages, cursors, totals (capped or not) and sampled facets are the exhaustive
    ranking's, whichever strategy runs and whichever plan PostgreSQL picks for its parts."""
    _postgres(database_url)
    await _seed(database_url)
    forced = create_engine(database_url, connect_args={"server_settings": PLANS[plan]})
    try:
        fast_sessions = session_factory(forced)
        for q in QUERIES:
            oracle = await _oracle(sessions, q)
            for limit in (1, 7, 50):
                fast, totals = await _all_pages(fast_sessions, SearchRequest(q=q, limit=limit))
                assert fast == oracle, (strategy, plan, q, limit)
                assert set(totals) == {len(oracle)}
            async with fast_sessions() as session:
                sampled = await search(
                    session, SearchRequest(q=q, facets=["format"], facet_sample=5, count_limit=9)
                )
                exact = await search(session, SearchRequest(q=q, facets=["format", "licence"]))
                uncounted = await search(session, SearchRequest(q=q, count=False, limit=3))
            first = await _best_described(sessions, oracle, 5)
            assert sampled.facets["format"] == await _format_counts(sessions, first), q
            capped = len(oracle) > 9
            assert (sampled.total, sampled.total_exact) == (
                (9, False) if capped else (len(oracle), True)
            )
            assert sampled.facets_exact == (len(oracle) <= 5)
            assert exact.facets["format"] == await _format_counts(sessions, set(oracle)), q
            assert exact.facets_exact and exact.total == len(oracle) and exact.total_exact
            assert (uncounted.total, uncounted.total_exact, uncounted.facets_exact) == (
                0,
                False,
                False,
            )
            assert [row.remote_id for row in uncounted.datasets] == oracle[:3]
    finally:
        await forced.dispose()


@pytest.mark.parametrize("strategy", ["materialize", "walk", "overflow"], indirect=True)
async def test_both_strategies_apply_facet_filters_and_cursors(
    sessions: async_sessionmaker[AsyncSession], database_url: str, strategy: str
) -> None:
    _postgres(database_url)
    await _seed(database_url)
    filters = Filters(facets={"format": ["CSV", "SHP"], "licence": ["CC-BY-4.0"]})
    for q in ("données", "parc budget", "jeu -arbre"):
        request = SearchRequest(q=q, limit=4, filters=filters, facets=["format"])
        fast, totals = await _all_pages(sessions, request)
        out: list[str] = []
        async with sessions() as session:
            while True:
                result = await search(
                    session, SearchRequest(q=q, limit=9, filters=filters, offset=len(out))
                )
                out += [row.remote_id for row in result.datasets]
                if len(result.datasets) < 9:
                    break
        assert fast == out, (strategy, q)
        assert set(totals) == {len(out)}


async def _analyzed(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("ANALYZE search_doc"))
    await engine.dispose()


async def test_estimate_is_an_upper_bound_of_the_matches(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """On current statistics, the bound is never below the real matches (an AND of words
    is bounded by its rarest word, not estimated as the product of their frequencies)."""
    _postgres(database_url)
    await _seed(database_url)
    await _analyzed(database_url)
    async with sessions() as session:
        for q in [*QUERIES, "piste budget arbre", '"parc budget"']:
            matches = len(await _oracle(sessions, q))
            bound = await ranked.estimated_bound(session, parse_query(q))
            assert bound is not None and bound >= matches, (q, bound, matches)
        one = await ranked.estimated_bound(session, parse_query("parc"))
    assert one == pytest.approx(len(await _oracle(sessions, "parc")), abs=1)  # its frequency


@pytest.fixture
def statements(engine: Any) -> Iterator[list[str]]:
    """The SQL of every statement run through ``engine``."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_few_matches_are_read_once_and_many_are_walked(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between the bound of a rare AND of words and that of a common word, the first search
    reads its matches once, the second walks its tiers; each is one statement beside the
    planner settings, the catalogue version its counts are cached under, the estimate and
    the page's rows."""
    _postgres(database_url)
    await _seed(database_url)
    await _analyzed(database_url)
    async with sessions() as session:
        rare = await ranked.estimated_bound(session, parse_query("parc budget"))
        common = await ranked.estimated_bound(session, parse_query("données"))
    assert rare is not None and common is not None and rare < common
    monkeypatch.setattr(ranked, "MATERIALIZE_MATCHES", (rare + common) / 2)
    for q, once in (("parc budget", True), ("données", False)):
        matches = len(await _oracle(sessions, q))
        statements.clear()
        async with sessions() as session:
            result = await search(session, SearchRequest(q=q, facets=["format"]))
        assert (result.total, result.total_exact) == (matches, True)
        kinds = [" ".join(s.split()[:2]) for s in statements]
        assert (
            kinds
            == [
                "SELECT set_config('plan_cache_mode',",
                "SELECT (SELECT",  # the catalogue version (with the transactions in flight)
                "EXPLAIN (FORMAT",
                *kinds[3:],
            ]
        )
        assert len(kinds) == 5 and kinds[4] == "SELECT dataset.pk,", kinds
        assert ("matches AS MATERIALIZED" in statements[3]) is once, q


async def test_a_page_alone_reads_a_rare_words_matches_once(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a total or facets, a word with few matches is read from its matches (a walk
    of the rank keys would pass every row it is not in); one with more is walked."""
    _postgres(database_url)
    await _seed(database_url)
    await _analyzed(database_url)
    async with sessions() as session:
        bound = await ranked.estimated_bound(session, parse_query("parc"))
    assert bound is not None
    expected = await _oracle(sessions, "parc")
    for limit, once in ((int(bound), True), (int(bound) - 1, False)):
        monkeypatch.setattr(ranked, "PAGE_MATERIALIZE", limit)
        statements.clear()
        async with sessions() as session:
            result = await search(session, SearchRequest(q="parc", count=False, limit=5))
        assert [row.remote_id for row in result.datasets] == expected[:5]
        pages = [s for s in statements if "search_doc" in s and not s.startswith("EXPLAIN")]
        assert len(pages) == 1 and ("matches AS MATERIALIZED" in pages[0]) is once


@pytest.fixture
def executed(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The SQL and parameters of every statement run through ``engine``."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.parametrize("strategy", ["walk"], indirect=True)
async def test_the_rest_tier_is_walked_only_when_titles_fall_short(
    engine: Any,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    strategy: str,
    executed: list[tuple[str, Any]],
) -> None:
    """A page that title matches fill does not run the walk of the other matches (which
    reads every rank key when titles hold all of a term's matches)."""
    _postgres(database_url)
    await _seed(database_url)
    oracle = await _oracle(sessions, "parc")
    plans = []
    for limit in (1, len(oracle)):
        executed.clear()
        async with sessions() as session:
            result = await search(session, SearchRequest(q="parc", limit=limit))
        assert [row.remote_id for row in result.datasets] == oracle[:limit]
        statement, parameters = next((s, p) for s, p in executed if "titles AS MATERIALIZED" in s)
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            rows = await raw.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + statement, *parameters)
        plans.append("\n".join(row[0] for row in rows))
    filled, short = plans
    assert "One-Time Filter" in filled and "(never executed)" in filled, filled
    assert "(never executed)" not in short, short
