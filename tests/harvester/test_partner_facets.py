"""Partner facets follow the partners: the sources.toml sync changing a partner's kind or
moving a source to another partner re-derives the ``partner`` and ``partner_kind`` facets
of their datasets (withdrawn ones stay invisible), SQLite's packed sets, and makes the
stored totals and cached counts recount."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import Agent, PartnerKind
from harvester.config import MoissonConfig
from harvester.search import facet_totals, partner_facets
from harvester.search.engine import SearchRequest, search
from harvester.search.facets import FacetCounts
from harvester.search.filters import Filters
from harvester.search.version import catalog_version
from harvester.sources import sync_config
from harvester.store.tables import Source
from tests.api import corpus
from tests.harvester.facet_support import assert_sets_follow_rows

Sessions = async_sessionmaker[AsyncSession]
NAMES = ["partner", "partner_kind"]
VILLE = len(corpus.VILLE) - 1  # visible: "bibli" is withdrawn
MIN = len(corpus.MINISTERE)
EVERYWHERE = "pistes OR réseau OR bibliothèques OR parc OR horaires OR consommation"
"""Words of every title of the synthetic catalogue (a search for them finds each dataset)."""


def _partner(partner_id: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "id": partner_id,
        "name": name,
        "kind": kind,
        "region": "Québec",
        "joined_at": "2016-04-05",
    }


def _config(ville_kind: str = "municipality", min_partner: str = "min") -> MoissonConfig:
    return MoissonConfig.model_validate(
        {
            "partners": [
                _partner("ville", "Ville de Québec", ville_kind),
                _partner("min", "Ministère", "ministry"),
            ],
            "sources": [
                {
                    "id": "ville",
                    "partner": "ville",
                    "platform": "ckan",
                    "url": "https://ville.example",
                },
                {
                    "id": "min",
                    "partner": min_partner,
                    "platform": "ckan",
                    "url": "https://min.example",
                },
            ],
        }
    )


async def _seed(sessions: Sessions, url: str) -> None:
    """The synthetic catalogue, "bibli" withdrawn; totals stored and counts cached."""
    await corpus.synthetic(url)
    await corpus.withdraw(url, "bibli")
    await _sync(sessions, _config())
    assert await facet_totals.refresh(sessions)
    assert await _counts(sessions) == {
        "partner": [("ville", VILLE), ("min", MIN)],
        "partner_kind": [("municipality", VILLE), ("ministry", MIN)],
    }
    assert await _filtered(sessions, "partner_kind", "municipality") == VILLE


async def _sync(sessions: Sessions, config: MoissonConfig) -> None:
    async with sessions() as session, session.begin():
        await sync_config(session, config)


async def _counts(sessions: Sessions) -> FacetCounts:
    """The empty query's facets (stored totals), which must be exact."""
    async with sessions() as session:
        result = await search(session, SearchRequest(limit=1, facets=NAMES))
    assert result.facets_exact
    return result.facets


async def _filtered(sessions: Sessions, facet: str, value: str) -> int:
    """Datasets found by a filter on ``facet``, checked against its (cached) facet counts
    and against the same filter with a word every dataset holds (SQLite: the facet tokens
    of the full-text index)."""
    filters = Filters(facets={facet: [value]})
    request = SearchRequest(limit=100, filters=filters, facets=NAMES)
    with_text = SearchRequest(q=EVERYWHERE, limit=100, filters=filters)
    async with sessions() as session:
        result = await search(session, request)
        found = await search(session, with_text)
    assert dict(result.facets[facet]) == ({value: result.total} if result.total else {})
    assert {row.pk for row in found.datasets} == {row.pk for row in result.datasets}
    return result.total


async def _rows(sessions: Sessions, source_id: str) -> dict[str, set[tuple[str, str, bool]]]:
    """The partner facet rows (facet, value, visible) of each dataset of the source."""
    async with sessions() as session:
        rows = await session.execute(
            sa.text(
                "SELECT d.remote_id, f.facet, f.value, f.visible FROM dataset_facet f"
                " JOIN dataset d ON d.pk = f.dataset_pk"
                " WHERE d.source_id = :source AND f.facet IN ('partner', 'partner_kind')"
            ),
            {"source": source_id},
        )
        found: defaultdict[str, set[tuple[str, str, bool]]] = defaultdict(set)
        for remote_id, facet, value, visible in rows:
            found[remote_id].add((facet, value, bool(visible)))
    return dict(found)


def _expected(items: list[Any], partner: str, kind: str) -> dict[str, set[Any]]:
    return {
        item.raw.remote_id: {
            ("partner", partner, item.raw.remote_id != "bibli"),
            ("partner_kind", kind, item.raw.remote_id != "bibli"),
        }
        for item in items
    }


async def _assert_sets_follow_rows(sessions: Sessions, url: str) -> None:
    """SQLite: each packed set holds exactly its dataset's ``dataset_facet`` rows."""
    if url.startswith("sqlite"):
        await assert_sets_follow_rows(sessions)


async def test_a_changed_partner_kind_reaches_the_facets(
    sessions: Sessions, database_url: str
) -> None:
    await _seed(sessions, database_url)
    async with sessions() as session:
        before = await catalog_version(session)
    await _sync(sessions, _config(ville_kind="public_body"))
    assert await _rows(sessions, "ville") == _expected(corpus.VILLE, "ville", "public_body")
    assert await _rows(sessions, "min") == _expected(corpus.MINISTERE, "min", "ministry")
    await _assert_sets_follow_rows(sessions, database_url)
    async with sessions() as session:
        assert await catalog_version(session) != before, "cached counts must be recounted"
    assert await _filtered(sessions, "partner_kind", "public_body") == VILLE
    assert await _filtered(sessions, "partner_kind", "municipality") == 0
    assert await facet_totals.refresh(sessions), "the stored totals were stale"
    assert (await _counts(sessions))["partner_kind"] == [("public_body", VILLE), ("ministry", MIN)]


async def test_a_source_moved_to_another_partner_takes_its_facets(
    sessions: Sessions, database_url: str
) -> None:
    await _seed(sessions, database_url)
    await _sync(sessions, _config(min_partner="ville"))
    assert await _rows(sessions, "min") == _expected(corpus.MINISTERE, "ville", "municipality")
    assert await _rows(sessions, "ville") == _expected(corpus.VILLE, "ville", "municipality")
    await _assert_sets_follow_rows(sessions, database_url)
    assert await _filtered(sessions, "partner", "ville") == VILLE + MIN
    assert await _filtered(sessions, "partner", "min") == 0
    assert await facet_totals.refresh(sessions)
    assert await _counts(sessions) == {
        "partner": [("ville", VILLE + MIN)],
        "partner_kind": [("municipality", VILLE + MIN)],
    }


async def test_an_unchanged_config_rewrites_nothing(sessions: Sessions, database_url: str) -> None:
    await _seed(sessions, database_url)
    async with sessions() as session:
        before = await catalog_version(session)
    await _sync(sessions, _config())
    async with sessions() as session:
        assert await catalog_version(session) == before
    assert not await facet_totals.refresh(sessions)


async def test_a_partner_without_kind_falls_back_on_the_publisher_kind(
    sessions: Sessions, database_url: str
) -> None:
    await corpus.add_sources(sessions)
    items = [corpus.record(name, {"fr": name}, publisher="Ville") for name in ("a", "b")]
    assert items[0].record is not None
    items[0].record.publisher = Agent(name={"fr": "Ville"}, kind=PartnerKind.civil_society)
    await corpus.write(database_url, "ville", items)
    async with sessions() as session, session.begin():
        await session.execute(
            sa.update(Source).where(col(Source.id) == "ville").values(partner_id=None)
        )
        assert await partner_facets.refresh(session, ["ville"]) == 2
    assert await _rows(sessions, "ville") == {"a": {("partner_kind", "civil_society", True)}}
    await _assert_sets_follow_rows(sessions, database_url)
