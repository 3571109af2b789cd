"""DCAT-AP feeds: /catalog and /datasets/{id} in four formats, Hydra paging, filters, dumps."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from harvester.search.engine import SearchRequest, search_rows
from harvester.store.datasets import dataset_id
from tests.api import corpus

# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://testserver"
FORMATS = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
    "application/n-triples": ("nt", "nt"),
}


def _graph(response: httpx.Response) -> Graph:
    assert response.status_code == 200, response.text
    media = response.headers["content-type"].split(";")[0]
    return Graph().parse(data=response.content, format=FORMATS[media][1])


def _datasets(graph: Graph) -> set[str]:
    return {str(s) for s in graph.subjects(RDF.type, DCAT.Dataset)}


@pytest.mark.parametrize("media", list(FORMATS))
async def test_each_format_by_accept_and_by_suffix_gives_the_same_graph(
    client: httpx.AsyncClient, media: str
) -> None:
    by_accept = await client.get("/catalog", params={"limit": 5}, headers={"Accept": media})
    assert by_accept.headers["content-type"].startswith(media)
    by_suffix = await client.get(f"/catalog.{FORMATS[media][0]}", params={"limit": 5})
    assert by_suffix.headers["content-type"].startswith(media)
    one, other = _graph(by_accept), _graph(by_suffix)
    assert len(_datasets(one)) == 5
    assert _datasets(one) == _datasets(other)
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in one
    assert len(list(one.objects(catalog, DCAT.dataset))) == 5


async def test_q_values_choose_the_format(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/catalog",
        params={"limit": 1},
        headers={"Accept": "text/turtle;q=0.5, application/rdf+xml;q=0.9, */*;q=0.1"},
    )
    assert response.headers["content-type"].startswith("application/rdf+xml")
    browser = await client.get("/catalog", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/turtle")
    refused = await client.get("/catalog", headers={"Accept": "application/json"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get("/catalog.csv")).status_code == 404


async def test_literals_keep_their_language_tags(client: httpx.AsyncClient) -> None:
    uid = dataset_id("ville", "velo")
    graph = _graph(await client.get(f"/datasets/{uid}.jsonld"))
    titles = set(graph.objects(URIRef(f"{BASE}/datasets/{uid}"), DCTERMS.title))
    assert titles == {Literal("Pistes cyclables", lang="fr"), Literal("Bike paths", lang="en")}


async def test_hydra_paging_walks_the_whole_catalogue(client: httpx.AsyncClient) -> None:
    seen: set[str] = set()
    url: str | None = f"{BASE}/catalog.ttl?limit=10"
    pages = 0
    while url:
        graph = _graph(await client.get(url))
        pages += 1
        view = URIRef(url)
        assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
        assert (view, RDF.type, HYDRA.PagedCollection) in graph
        total, per_page = graph.value(view, HYDRA.totalItems), graph.value(view, HYDRA.itemsPerPage)
        assert isinstance(total, Literal) and int(total) == len(corpus.SYNTHETIC)
        assert isinstance(per_page, Literal) and int(per_page) == 10
        assert (URIRef(f"{BASE}/catalog"), HYDRA.view, view) in graph
        following = graph.value(view, HYDRA.next)
        legacy = graph.value(view, HYDRA.nextPage)
        assert (following is None) == (legacy is None)
        if following is not None:
            assert str(legacy) == str(following)
        page = _datasets(graph)
        assert not page & seen
        seen |= page
        url = str(following) if following else None
    assert pages == 3
    assert len(seen) == len(corpus.SYNTHETIC)


async def test_filters_apply_to_the_feed(client: httpx.AsyncClient) -> None:
    graph = _graph(
        await client.get("/catalog.nt", params={"publisher": "Ville de Québec", "q": "cyclable"})
    )
    assert _datasets(graph) == {
        f"{BASE}/datasets/{dataset_id('ville', r)}" for r in ("velo", "reseau")
    }
    since = _graph(await client.get("/catalog.nt", params={"modified_since": "2025-06-01"}))
    assert _datasets(since) == {
        f"{BASE}/datasets/{dataset_id('ville', 'velo')}",
        f"{BASE}/datasets/{dataset_id('min', 'bus')}",
    }


@pytest.mark.parametrize("media", list(FORMATS))
async def test_limit_all_streams_the_whole_catalogue(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, media: str
) -> None:
    monkeypatch.setattr("api.dcat.DUMP_PAGE", 4)
    pages: list[int] = []

    async def counted(session: Any, request: SearchRequest, load: Any) -> Any:
        pages.append(request.limit)
        return await search_rows(session, request, load)

    monkeypatch.setattr("api.routers.catalog.search_rows", counted)
    response = await client.get("/catalog", params={"limit": "all"}, headers={"Accept": media})
    graph = _graph(response)
    assert len(_datasets(graph)) == len(corpus.SYNTHETIC)
    assert pages == [4] * -(-len(corpus.SYNTHETIC) // 4), "fetched page by page, never all at once"
    assert not list(graph.subjects(RDF.type, HYDRA.PartialCollectionView))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "lots"}, "limit"),
        ({"cursor": "xyz"}, "cursor"),
        ({"bbox": "1"}, "bbox"),
    ],
)
async def test_bad_feed_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str], name: str
) -> None:
    response = await client.get("/catalog.ttl", params=params)
    assert response.status_code == 400
    assert f"query.{name}" in response.json()["detail"]


async def test_one_dataset_by_accept_or_suffix_and_json_by_default(
    client: httpx.AsyncClient,
) -> None:
    uid = dataset_id("min", "bus")
    for media, (suffix, _) in FORMATS.items():
        one = _graph(await client.get(f"/datasets/{uid}", headers={"Accept": media}))
        other = _graph(await client.get(f"/datasets/{uid}.{suffix}"))
        api = _graph(await client.get(f"/api/v1/datasets/{uid}", headers={"Accept": media}))
        assert _datasets(one) == _datasets(other) == _datasets(api) == {f"{BASE}/datasets/{uid}"}
    json = await client.get(f"/api/v1/datasets/{uid}")
    assert json.headers["content-type"] == "application/json"
    assert json.json()["links"]["dcat"]["turtle"] == f"{BASE}/datasets/{uid}.ttl"
    assert (await client.get("/datasets/nope.ttl")).status_code == 404
