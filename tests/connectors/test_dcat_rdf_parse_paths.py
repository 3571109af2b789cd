"""The fast DCAT RDF path (pyoxigraph, pages cut on N-Triples text or a subject index, payloads
read back in Python) gives exactly what the rdflib path gives, on every recorded DCAT fixture
and on a simulated Turtle page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from catalog.model import PartnerKind
from connectors import dcat_rdf_graphs
from connectors.base import SourceSpec
from connectors.dcat_rdf import DcatRdfConnector
from connectors.dcat_rdf_graphs import (
    dataset_graphs,
    dataset_indexes,
    from_payload,
    graph_hash,
    load_payload,
    payload_of,
    remote_id,
    to_payload,
)
from connectors.dcat_rdf_mapping import normalize_dataset_graph
from connectors.dcat_rdf_pages import cut_page
from connectors.dcat_rdf_values import DCAT, DCT, RDF
from connectors.errors import HarvestError, RecordInvalid
from connectors.rdf_index import TripleIndex, nt_lines, oxigraph_index, plain_literal
from connectors.rdf_parse import _parse_turtle_rdflib, parse_document
from simulator.corpus import CorpusSpec
from simulator.platforms.dcat_turtle import PREFIXES, dataset_turtle, lit, paging_turtle
from simulator.state import SimConfig, SimState
from tests.paths import FIXTURES

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE = "https://catalog.example.org/catalog"
SOURCE = SourceSpec(
    id="src",
    url=BASE,
    platform="dcat_rdf",
    partner_name="Ville de Vanves",
    partner_kind=PartnerKind("municipality"),
)
SITE = "http://127.0.0.1:9/sim"


def simulated_page(page: int = 1, size: int = 20) -> bytes:
    """A page exactly as the portal simulator serves it to the benchmark."""
    corpus = SimState(SimConfig(spec=CorpusSpec(n=3 * size))).corpus
    datasets = [corpus.dataset(i) for i in corpus.indices[(page - 1) * size : page * size]]
    members = ", ".join(f"<{SITE}/dataset/{d.uid}>" for d in datasets)
    return "".join(
        [
            PREFIXES,
            f"<{SITE}/catalog> a dcat:Catalog ; dct:title {lit('Cat', 'fr')} ;"
            f" dcat:dataset {members} .\n\n",
            paging_turtle(SITE, page, 3, 3 * size, size, "legacy"),
            *(dataset_turtle(d, SITE) for d in datasets),
        ]
    ).encode()


def documents() -> list[tuple[str, bytes]]:
    found = [
        (path.name, path.read_bytes())
        for folder in ("dcat-rdf", "opendatasoft")
        for path in sorted((FIXTURES / folder).iterdir())
        if path.suffix in (".ttl", ".rdf", ".xml", ".jsonld")
    ]
    return [*found, ("simulated_page.ttl", simulated_page())]


DOCUMENTS = documents()
TURTLE = [(name, data) for name, data in DOCUMENTS if name.endswith(".ttl")]


def same_graph(first: str, second: str) -> bool:
    """Equal payloads, or the same graph (blank nodes with equal descriptions may be
    visited in either order: rdflib's store iterates sets)."""
    if first == second:
        return True
    graphs = [Graph().parse(data=text, format="nt") for text in (first, second)]
    return graph_hash(graphs[0]) == graph_hash(graphs[1])


def mapped(small: Any, key: str | Node) -> dict[str, Any] | str:
    try:
        record = normalize_dataset_graph(small, key, SOURCE, fetched_at=AT)
    except HarvestError as error:
        return f"{type(error).__name__}: {error}"
    return json.loads(record.model_dump_json())


def old_path(data: bytes) -> list[tuple[str, str, dict[str, Any], Any]]:
    """What the connector did before: rdflib page graph, rdflib small graphs, payload
    re-parsed by rdflib before mapping."""
    graph = parse_document(data, content_type=None, base=BASE).graph
    out = []
    for key, small in dataset_graphs(graph):
        payload = to_payload(key, small, page=BASE)
        replayed, node, _ = from_payload(payload)
        out.append((key, remote_id(small, key), payload, mapped(replayed, node)))
    return out


def new_path(data: bytes) -> list[tuple[str, str, dict[str, Any], Any]]:
    """What the connector does now: the page cut by ``cut_page``, each payload read back by
    ``load_payload`` and mapped."""
    out = []
    for ident, key, ntriples in cut_page(data, content_type=None, base=BASE, what="page").datasets:
        payload = payload_of(key, ntriples, BASE)
        small, node, _ = load_payload(payload)
        out.append((key, ident, payload, mapped(small, node)))
    return out


def index_path(data: bytes) -> list[tuple[str, str, dict[str, Any], Any]]:
    """The subject-index path (RDF/XML, JSON-LD, blank-node datasets): small indexes
    mapped directly."""
    index = parse_document(data, content_type=None, base=BASE).index
    return [
        (key, remote_id(small, key), to_payload(key, small, page=BASE), mapped(small, key))
        for key, small in dataset_indexes(index)
    ]


@pytest.mark.parametrize(("name", "data"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_new_path_maps_every_fixture_as_the_rdflib_path(name: str, data: bytes) -> None:
    try:
        before = old_path(data)
    except HarvestError as error:
        with pytest.raises(type(error)):
            new_path(data)
        return
    after = new_path(data)
    assert [b[:2] for b in before] == [a[:2] for a in after]  # keys and remote ids
    for (key, _, old_payload, old_record), (_, _, new_payload, new_record) in zip(
        before, after, strict=True
    ):
        assert old_record == new_record, key
        assert old_payload["subject"] == new_payload["subject"]
        assert same_graph(old_payload["ntriples"], new_payload["ntriples"]), key
        replayed, node, _ = load_payload(new_payload)  # the replay reads the same graph
        assert mapped(replayed, str(node) if isinstance(node, URIRef) else key) == new_record


@pytest.mark.parametrize(("name", "data"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_payloads_read_back_map_as_the_small_indexes(name: str, data: bytes) -> None:
    """Mapping a payload read back (what ``normalize`` does) gives the record mapping the
    small index that built it gives, and ``cut_page`` builds the same payloads."""
    try:
        direct = index_path(data)
    except HarvestError as error:
        with pytest.raises(type(error)):
            new_path(data)
        return
    after = new_path(data)
    assert [d[:2] for d in direct] == [a[:2] for a in after]
    for (key, _, direct_payload, direct_record), (_, _, payload, record) in zip(
        direct, after, strict=True
    ):
        assert direct_record == record, key
        assert same_graph(direct_payload["ntriples"], payload["ntriples"]), key


@pytest.mark.parametrize(("name", "data"), TURTLE, ids=[n for n, _ in TURTLE])
def test_pyoxigraph_reads_turtle_as_rdflib_does(name: str, data: bytes) -> None:
    try:
        fast = oxigraph_index(data, "turtle", BASE)
    except SyntaxError:
        pytest.skip("pyoxigraph refuses it: rdflib reads it, as before")
    slow = TripleIndex.of(_parse_turtle_rdflib(data, BASE, name, "turtle"))
    assert len(fast) == len(slow)
    assert sorted(nt_lines(TripleIndex.of(fast.to_graph()))) != []
    fast_hash, slow_hash = graph_hash(fast), graph_hash(slow)
    assert fast_hash == slow_hash


def test_simulated_page_key_values() -> None:
    """Values checked by hand on the simulator's Turtle (no old run needed)."""
    after = new_path(simulated_page())
    assert len(after) == 20
    key, ident, payload, record = after[0]
    assert key.startswith(f"{SITE}/dataset/") and ident == record["identifier"]
    assert set(record["title"]) == {"fr", "en"}
    assert record["provenance"]["remote_id"] == ident
    assert record["distributions"] and all(d["access_url"] for d in record["distributions"])
    assert record["temporal"][0]["start"] and record["spatial"][0]["bbox"]
    lines = payload["ntriples"].splitlines()
    assert lines == sorted(lines) and all(line.endswith(" .") for line in lines)


# -- the pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"), [("été", "fr"), ("x", "fr-ca"), ("", None), ("a\nb", None), ("1", None)]
)
def test_plain_literal_is_rdflibs_literal(text: str, lang: str | None) -> None:
    fast, slow = plain_literal(text, lang), Literal(text, lang=lang)
    assert fast == slow and hash(fast) == hash(slow) and fast.n3() == slow.n3()
    assert (fast.language, fast.datatype, fast.value, fast.ill_typed) == (
        slow.language,
        slow.datatype,
        slow.value,
        slow.ill_typed,
    )


def test_typed_literals_are_normalized_as_rdflib_does() -> None:
    data = b'<http://a/s> <http://a/p> "01"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    [(_, _, value)] = list(oxigraph_index(data, "nt", ""))
    assert value == Literal("01", datatype="http://www.w3.org/2001/XMLSchema#integer")
    assert str(value) == "1"


def test_triple_index_is_a_set_with_graph_reads() -> None:
    s, p, q, b = URIRef("http://a/s"), URIRef("http://a/p"), URIRef("http://a/q"), BNode()
    index = TripleIndex([(s, p, Literal("x")), (s, p, Literal("x")), (s, q, b), (b, p, s)])
    assert len(index) == 3 and len(list(index)) == 3
    assert (s, None, None) in index and (s, p, None) in index and (None, p, s) in index
    assert (s, q, b) in index and (s, p, s) not in index and (p, None, None) not in index
    assert list(index.objects(s, p)) == [Literal("x")]
    assert set(index.subjects(p, None)) == {s, b}
    assert set(index.subject_objects(q)) == {(s, b)}
    assert sorted(index.predicate_objects(b)) == [(p, s)]
    assert len(index.to_graph()) == 3 and TripleIndex.of(index) is index


def test_payload_lines_keep_unusual_line_breaks_inside_literals() -> None:
    s, p = URIRef("http://a/s"), URIRef("http://a/p")
    payload = to_payload(str(s), TripleIndex([(s, p, Literal("a\u2028b"))]))
    index, node, _ = load_payload(payload)
    assert list(index.objects(node, p)) == [Literal("a\u2028b")]


def test_load_payload_falls_back_to_rdflib_and_checks_the_subject() -> None:
    odd = '<http://a/s> <http://a/p> "x"^^<<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    index, node, _ = load_payload({"subject": "http://a/s", "ntriples": odd})
    assert node == URIRef("http://a/s") and len(index) == 1
    with pytest.raises(RecordInvalid):
        load_payload({"subject": "_:b0", "ntriples": '<http://a/s> <http://a/p> "x" .\n'})


def test_a_payloads_terms_are_the_vocabularys_own_objects() -> None:
    """The mapping's vocabulary terms and dataset node are the very objects a payload's index
    holds, so its ~100 lookups a dataset match by identity (rdflib's ``__eq__`` is Python);
    values and results are unchanged either way."""
    key, small = next(
        dataset_indexes(
            parse_document(simulated_page(), content_type="text/turtle", base=BASE).index
        )
    )
    index, node, _ = load_payload(to_payload(key, small))
    [own_node] = [subject for subject in index._by_subject if subject == node]
    assert own_node is node
    predicates = {p: p for p in index.properties(node)}
    for term in (DCT.title, DCT.description, DCAT.distribution, DCAT.keyword, RDF.type):
        assert predicates[term] is term, term
    distribution = next(index.objects(node, DCAT.distribution))
    assert next(p for p in index.properties(distribution) if p == DCT["format"]) is DCT["format"]
    assert DCT.title is DCT.title and DCT["format"] is DCT["format"]
    assert DCT.format != DCT["format"]  # str's method, as on any rdflib namespace


# -- normalize() is a pure function of the source and the payload ------------------------


async def test_normalize_reads_the_payload_only() -> None:
    """What a mapping worker does (a connector of its own, no fetch) gives what the
    connector that fetched gives, and what mapping the page's small indexes gives."""
    body = simulated_page()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "text/turtle"})

    url = f"{SITE}/catalog.ttl?page=1"
    source = SourceSpec(id="src", url=url, platform="dcat_rdf")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        conn = DcatRdfConnector(source, client)
        raws = [raw async for raw in conn.fetch()]
    assert DcatRdfConnector.portable_mapping
    fresh = [conn.normalize(raw) for raw in raws]
    worker = DcatRdfConnector(source, httpx.AsyncClient())
    copied = [replace(raw, payload=json.loads(json.dumps(raw.payload))) for raw in raws]
    assert [worker.normalize(raw) for raw in copied] == fresh
    index = parse_document(body, content_type="text/turtle", base=url).index
    expected = [
        normalize_dataset_graph(small, key, source, fetched_at=raw.fetched_at, api_url=url)
        for (key, small), raw in zip(dataset_indexes(index), raws, strict=True)
    ]
    assert len(fresh) == 20 and fresh == expected


def test_old_graph_api_still_works() -> None:
    """``dataset_graphs`` / ``from_payload`` keep giving rdflib Graphs (bench, SHACL tests)."""
    graph = parse_document(simulated_page(), content_type="text/turtle", base=BASE).graph
    key, small = next(dataset_graphs(graph))
    assert isinstance(small, Graph)
    replayed, _, page = from_payload(to_payload(key, small, page=BASE))
    assert isinstance(replayed, Graph) and page == BASE and len(replayed) == len(small)
    assert dcat_rdf_graphs.TripleIndex is TripleIndex


def test_xml_and_json_ld_never_reach_pyoxigraph(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyoxigraph's RDF/XML parser expands internal DTD entities (a billion-laughs document
    makes it allocate gigabytes and abort the process), and its JSON-LD reader is not the
    one whose context loading we control: both stay on defusedxml / rdflib."""
    from connectors import rdf_index

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("pyoxigraph was handed XML or JSON-LD")

    monkeypatch.setattr(rdf_index.ox, "parse", refuse)
    for name, data in DOCUMENTS:
        if name.endswith((".rdf", ".xml", ".jsonld")) and not name.startswith("bad_cp1252"):
            assert len(parse_document(data, content_type=None, base=BASE).graph) > 0, name
