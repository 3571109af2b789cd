"""The JSON API over a real database: search, dataset pages, problem details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from catalog.model import DatasetRecord, Distribution, Provenance
from connectors.base import RawRecord
from harvester.store.datasets import Harvested, dataset_id, write_batch
from harvester.store.db import create_engine, session_factory
from harvester.store.tables import Partner, Source

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _record(remote_id: str, title: dict[str, str], formats: list[str]) -> Harvested:
    record = DatasetRecord(
        identifier=remote_id,
        title=title,
        description={"fr": "Données ouvertes de la ville"},
        distributions=[
            Distribution(format=f, access_url=f"https://ex.org/{remote_id}.{f}") for f in formats
        ],
        provenance=Provenance(
            source_id="ville",
            remote_id=remote_id,
            platform="ckan",
            original_url=f"https://ex.org/dataset/{remote_id}",
        ),
    )
    return Harvested(raw=RawRecord(remote_id, {"id": remote_id}, NOW), record=record)


RECORDS = [
    _record("velo", {"fr": "Pistes cyclables", "en": "Bike paths"}, ["CSV", "GeoJSON"]),
    _record("energie", {"fr": "Consommation d'énergie"}, ["CSV"]),
    *[_record(f"parc-{n}", {"fr": f"Parc numéro {n}"}, ["JSON"]) for n in range(25)],
]


async def _seed(url: str) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(Partner(id="ville", name="Ville", kind="municipality"))
        session.add(Source(id="ville", partner_id="ville", url="https://ex.org", platform="ckan"))
    async with sessions() as session, session.begin():
        await write_batch(session, "ville", RECORDS, now=NOW)
    await engine.dispose()


@pytest.fixture
async def client(
    database_url: str, api_client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await _seed(database_url)
    yield api_client


async def test_health_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_search_finds_french_and_english_titles(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/datasets", params={"q": "cyclable"})).json()
    assert body["total"] == 1
    hit = body["results"][0]
    assert hit["title"] == {"fr": "Pistes cyclables", "en": "Bike paths"}
    assert hit["formats"] == ["CSV", "GeoJSON"]
    assert (await client.get("/api/v1/datasets", params={"q": "bike"})).json()["total"] == 1
    assert (await client.get("/api/v1/datasets", params={"q": "ENERGIE"})).json()["results"][0][
        "id"
    ] == (dataset_id("ville", "energie"))


async def test_search_pages_through_everything(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/datasets?limit=10"
    while url:
        body = (await client.get(url)).json()
        assert body["total"] == len(RECORDS)
        seen += [hit["id"] for hit in body["results"]]
        url = body["next"]
    assert len(seen) == len(RECORDS) == len(set(seen))


async def test_dataset_page_has_provenance_and_distributions(client: httpx.AsyncClient) -> None:
    uid = dataset_id("ville", "velo")
    body = (await client.get(f"/api/v1/datasets/{uid}")).json()
    assert body["id"] == uid
    assert body["provenance"]["status"] == "active"
    assert body["provenance"]["original_url"] == "https://ex.org/dataset/velo"
    assert body["provenance"]["source"] == "ville"
    assert [d["format"] for d in body["distributions"]] == ["CSV", "GeoJSON"]


async def test_errors_are_problem_details(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/datasets/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["status"] == 404 and "nope" in missing.json()["detail"]

    too_many = await client.get("/api/v1/datasets", params={"limit": 5000})
    assert too_many.status_code == 400
    assert too_many.headers["content-type"] == "application/problem+json"
    assert "limit" in too_many.json()["detail"]

    assert (await client.get("/nowhere")).headers["content-type"] == "application/problem+json"
