"""The served feeds validate against the DCAT-AP 3.0.1 SHACL shapes (pyshacl, offline).

A sample of real CKAN packages is harvested into the database and served by ``/catalog``
(catalogue node, Hydra paging and datasets together) and ``/datasets/{id}``. The shapes and
the stubs for external concepts come from ``tests.catalog.test_rdf_shacl`` (see its module
doc for why those stubs are needed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

from tests.api import corpus
from tests.catalog import test_rdf_shacl

SH = Namespace("http://www.w3.org/ns/shacl#")
BASE = "http://testserver"
SAMPLE = 12

no_network = test_rdf_shacl.no_network  # autouse: pyshacl and rdflib fetch nothing
shapes = test_rdf_shacl.shapes


@pytest.fixture
async def client(
    database_url: str, api_client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await corpus.real(database_url)
    yield api_client


def _violations(data: Graph, shape_graph: Graph) -> set[tuple[str, str]]:
    for p in (DCAT.theme, DCTERMS.type):
        for concept in set(data.objects(None, p)):
            if not str(concept).startswith(f"{BASE}/datasets/"):  # external concept: stub it
                data.add((concept, RDF.type, SKOS.Concept))
                data.add((concept, SKOS.prefLabel, Literal(str(concept).rsplit("/", 1)[-1])))
    _, report, _ = validate(data, shacl_graph=shape_graph, inference="none", allow_warnings=True)
    return {
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultMessage)))
        for r in report.subjects(SH.resultSeverity, SH.Violation)
    }


async def test_a_catalogue_page_of_real_ckan_datasets_conforms(
    client: httpx.AsyncClient, shapes: Graph
) -> None:
    response = await client.get("/catalog.ttl", params={"limit": SAMPLE})
    data = Graph().parse(data=response.content, format="turtle")
    assert len(set(data.subjects(RDF.type, DCAT.Dataset))) == SAMPLE
    assert _violations(data, shapes) == set()


async def test_single_dataset_documents_conform(client: httpx.AsyncClient, shapes: Graph) -> None:
    listing = (await client.get("/api/v1/datasets", params={"limit": 6, "sort": "title"})).json()
    for hit in listing["results"]:
        response = await client.get(hit["links"]["dcat"]["rdf_xml"])
        data = Graph().parse(data=response.content, format="xml")
        assert _violations(data, shapes) == set(), hit["id"]
