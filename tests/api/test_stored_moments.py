"""A dataset's dates and date-times as harvested are what every API shows: a date-time at
midnight stays a date-time (``xsd:dateTime``) and a date stays a date, in the JSON API, the
search results, the CKAN API and the DCAT-AP feeds, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, XSD

from catalog.model import Distribution, PeriodOfTime
from harvester.store.datasets import dataset_id
from harvester.store.db import create_engine, session_factory
from tests.api import corpus

MIDNIGHT = datetime(2024, 3, 1, tzinfo=UTC)
EASTERN_MIDNIGHT = datetime(2024, 3, 2, tzinfo=timezone(timedelta(hours=-5)))
DAY = date(2024, 2, 1)


@pytest.fixture
async def client(database_url: str, api_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The API over one dataset whose times are midnights and dates."""
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    await engine.dispose()
    item = corpus.record("minuit", {"fr": "Minuit"}, formats=["CSV"])
    record = corpus.record_of(item)
    record.modified, record.issued = MIDNIGHT, DAY
    record.temporal = [PeriodOfTime(start=MIDNIGHT, end=DAY)]
    distribution: Distribution = record.distributions[0]
    distribution.modified, distribution.issued = EASTERN_MIDNIGHT, MIDNIGHT
    await corpus.write(database_url, "ville", [item])
    return api_client


ID = dataset_id("ville", "minuit")


async def test_the_json_api_shows_the_times_as_harvested(client: httpx.AsyncClient) -> None:
    detail = (await client.get(f"/api/v1/datasets/{ID}")).json()
    assert (detail["modified"], detail["issued"]) == ("2024-03-01T00:00:00Z", "2024-02-01")
    assert detail["temporal"] == [{"start": "2024-03-01T00:00:00Z", "end": "2024-02-01"}]
    shown = detail["distributions"][0]
    assert (shown["modified"], shown["issued"]) == (
        "2024-03-02T00:00:00-05:00",
        "2024-03-01T00:00:00Z",
    )
    found = (await client.get("/api/v1/datasets", params={"q": "minuit"})).json()["results"]
    assert [hit["modified"] for hit in found] == ["2024-03-01T00:00:00Z"]


async def test_the_ckan_api_shows_naive_utc_times(client: httpx.AsyncClient) -> None:
    package = (await client.get(f"/api/3/action/package_show?id={ID}")).json()["result"]
    assert package["metadata_modified"] == "2024-03-01T00:00:00"
    resource = package["resources"][0]
    assert resource["last_modified"] == "2024-03-02T05:00:00"  # midnight at -05:00, in UTC
    assert resource["created"] == "2024-03-01T00:00:00"


async def test_the_ckan_api_gives_a_date_its_midnight(
    database_url: str, api_client: httpx.AsyncClient
) -> None:
    """CKAN's times are timestamps: a date-only value is shown as a date-time, as CKAN
    clients parse it."""
    engine = create_engine(database_url)
    await corpus.add_sources(session_factory(engine))
    await engine.dispose()
    item = corpus.record("jour", {"fr": "Jour"}, formats=["CSV"])
    record = corpus.record_of(item)
    record.modified = DAY
    record.distributions[0].modified, record.distributions[0].issued = DAY, DAY
    await corpus.write(database_url, "ville", [item])
    found = dataset_id("ville", "jour")
    package = (await api_client.get(f"/api/3/action/package_show?id={found}")).json()["result"]
    assert package["metadata_modified"] == "2024-02-01T00:00:00"
    resource = package["resources"][0]
    assert (resource["created"], resource["last_modified"]) == ("2024-02-01T00:00:00",) * 2
    assert datetime.fromisoformat(package["metadata_modified"]) == datetime(2024, 2, 1)


async def test_the_dcat_feed_types_each_time(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/datasets/{ID}.ttl")
    assert response.status_code == 200, response.text
    graph = Graph().parse(data=response.text, format="turtle")
    dataset = URIRef(f"http://testserver/datasets/{ID}")
    assert set(graph.objects(dataset, DCTERMS.modified)) == {
        Literal("2024-03-01T00:00:00+00:00", datatype=XSD.dateTime)
    }
    assert set(graph.objects(dataset, DCTERMS.issued)) == {Literal("2024-02-01", datatype=XSD.date)}
    period = graph.value(dataset, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate) == Literal(
        "2024-03-01T00:00:00+00:00", datatype=XSD.dateTime
    )
    assert graph.value(period, DCAT.endDate) == Literal("2024-02-01", datatype=XSD.date)
    distribution = graph.value(dataset, DCAT.distribution)
    assert graph.value(distribution, DCTERMS.modified) == Literal(
        "2024-03-02T00:00:00-05:00", datatype=XSD.dateTime
    )
