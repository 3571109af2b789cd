"""The served feeds validate against the DCAT-AP 3.0.1 SHACL shapes (pyshacl, offline).

A sample of real CKAN packages is harvested into the database and served by ``/catalog``
(catalogue node, Hydra paging and datasets together) and ``/datasets/{id}``. The shapes, the
stubs for external concepts and the network guard come from :mod:`tests.catalog.shacl_support`
(see its module doc for why those stubs are needed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from tests.api import corpus
from tests.catalog import shacl_support
from tests.catalog.shacl_support import no_network, shapes

__all__ = ["no_network", "shapes"]  # pytest fixtures, used by name (no_network is autouse)
BASE = "http://testserver"
SAMPLE = 12


@pytest.fixture
async def client(
    database_url: str, api_client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await corpus.real(database_url)
    yield api_client


def _violations(data: Graph, shape_graph: Graph) -> list[str]:
    found = shacl_support.violations(data, shape_graph, minted=f"{BASE}/datasets/")
    return [str(v) for v in found]


async def test_a_catalogue_page_of_real_ckan_datasets_conforms(
    client: httpx.AsyncClient, shapes: Graph
) -> None:
    response = await client.get("/catalog.ttl", params={"limit": SAMPLE})
    data = Graph().parse(data=response.content, format="turtle")
    assert len(set(data.subjects(RDF.type, DCAT.Dataset))) == SAMPLE
    assert _violations(data, shapes) == []


async def test_single_dataset_documents_conform(client: httpx.AsyncClient, shapes: Graph) -> None:
    listing = (await client.get("/api/v1/datasets", params={"limit": 6, "sort": "title"})).json()
    for hit in listing["results"]:
        response = await client.get(hit["links"]["dcat"]["rdf_xml"])
        data = Graph().parse(data=response.content, format="xml")
        assert _violations(data, shapes) == [], hit["id"]
