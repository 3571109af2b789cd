"""Streaming writers: every format parses back to the graph the records describe."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
import rdflib._networking
import rdflib.parser
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from catalog.model import DatasetRecord, Distribution
from catalog.rdf import (
    FORMAT_BY_MEDIA_TYPE,
    JSONLD_CONTEXT,
    MEDIA_TYPES,
    SUFFIXES,
    Format,
    catalog_closing,
    catalog_opening,
    catalog_triples,
    dataset_triples,
    iter_catalog,
    iter_dataset_chunks,
    paging_triples,
    serialize_dataset,
    serialize_triples,
    write_catalog,
)
from catalog.rdf.namespaces import Triple
from tests.catalog.test_rdf_dataset import rich_record

pytestmark = pytest.mark.filterwarnings(
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)

FORMATS: tuple[Format, ...] = ("turtle", "nt", "jsonld", "xml")
PARSERS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}
CATALOG = "https://moisson.example/catalogue"
BASE = "https://moisson.example/jeux/"


def tricky_record(n: int) -> DatasetRecord:
    """French text with quotes, backslashes, line breaks, markup and odd URLs."""
    return rich_record(
        identifier=f"jeu-{n}",
        title={"fr": f'Jeu n°{n} « été » "cité" \\ fin', "en": f"Dataset {n}", "fr-CA": "Ça"},
        description={"fr": "ligne 1\nligne 2\r\nligne 3\t<b>gras</b> & «»", "": "sans langue"},
        keywords={"fr": ["œuvre", "café"], "": ["x<y>&z"]},
        landing_page=f'https://exemple.qc.ca/jeu {n}?q="a"&b={{c}}|d^e`f\\g',
        distributions=[
            Distribution(
                identifier=f"fichier {n}/é",
                title={"fr": "Fichier « spécial »"},
                download_url=f"https://exemple.qc.ca/fichiers/données {n}.csv",
                file_type="CSV",
            ),
            *rich_record().distributions,
        ],
    )


def records(count: int = 3) -> list[tuple[str, DatasetRecord]]:
    return [(f"{BASE}jeu-{n}", tricky_record(n)) for n in range(count)]


def header() -> list[Triple]:
    triples = catalog_triples(
        catalog_uri=CATALOG,
        title={"fr": "Catalogue « Moisson »", "en": "Moisson catalogue"},
        description={"fr": "Jeux de données du partenariat"},
        publisher_name={"fr": "Données Québec"},
        homepage="https://moisson.example/",
    )
    return triples + paging_triples(
        page_uri=f"{CATALOG}.ttl?page=1",
        first=f"{CATALOG}.ttl?page=1",
        last=f"{CATALOG}.ttl?page=2",
        next=f"{CATALOG}.ttl?page=2",
        total_items=4,
        items_per_page=3,
        collection_uri=CATALOG,
    )


def expected_graph(items: list[tuple[str, DatasetRecord]], head: list[Triple]) -> Graph:
    """The union of the header and of each dataset's own graph."""
    graph = Graph()
    for t in head:
        graph.add(t)
    for uri, record in items:
        for t in dataset_triples(record, dataset_uri=uri, catalog_uri=CATALOG):
            graph.add(t)
    return graph


def parse(text: str, fmt: Format) -> Graph:
    return Graph().parse(data=text, format=PARSERS[fmt])


def assert_same(parsed: Graph, expected: Graph) -> None:
    if not isomorphic(parsed, expected):
        _, only_parsed, only_expected = graph_diff(to_isomorphic(parsed), to_isomorphic(expected))
        pytest.fail(
            f"only in output: {sorted(only_parsed)[:5]}\nonly expected: {sorted(only_expected)[:5]}"
        )


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt by rdflib to fetch something (a remote @context…) fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(rdflib.parser, "_urlopen", refuse)
    monkeypatch.setattr(rdflib._networking, "_urlopen", refuse)


@pytest.mark.parametrize("fmt", FORMATS)
def test_catalog_round_trips(fmt: Format) -> None:
    items, head = records(), header()
    text = "".join(iter_catalog(items, format=fmt, header=head, catalog_uri=CATALOG))
    parsed = parse(text, fmt)
    expected = expected_graph(items, head)
    assert len(expected) > 200
    assert_same(parsed, expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_single_dataset_round_trips(fmt: Format) -> None:
    uri, record = records(1)[0]
    text = serialize_dataset(record, uri, fmt)
    expected = Graph()
    for t in dataset_triples(record, dataset_uri=uri):
        expected.add(t)
    assert_same(parse(text, fmt), expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_catalog_to_text_and_binary_streams(fmt: Format) -> None:
    items = records(2)
    text_out, binary_out = io.StringIO(), io.BytesIO()
    assert write_catalog(items, format=fmt, out=text_out, catalog_uri=CATALOG) == 2
    assert write_catalog(items, format=fmt, out=binary_out, catalog_uri=CATALOG) == 2
    assert binary_out.getvalue() == text_out.getvalue().encode("utf-8")
    assert_same(parse(text_out.getvalue(), fmt), expected_graph(items, []))


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_catalog_is_a_valid_document(fmt: Format) -> None:
    assert len(parse("".join(iter_catalog([], format=fmt)), fmt)) == 0
    assert_same(parse(serialize_triples(header(), fmt), fmt), expected_graph([], header()))


@pytest.mark.parametrize("fmt", FORMATS)
def test_writer_pulls_one_record_at_a_time(fmt: Format) -> None:
    pulled = 0

    def lazy() -> Iterator[tuple[str, DatasetRecord]]:
        nonlocal pulled
        for item in records(5):
            pulled += 1
            yield item

    chunks = iter_catalog(lazy(), format=fmt, header=header(), chunk_chars=0)
    next(chunks)  # document opening
    next(chunks)  # header block
    assert pulled == 0
    next(chunks)
    assert pulled == 1  # one chunk per dataset, nothing read ahead
    assert len(list(chunks)) == 5  # four more datasets and the closing


@pytest.mark.parametrize("fmt", FORMATS)
def test_writer_reads_ahead_one_chunk_at_most(fmt: Format) -> None:
    pulled = 0

    def lazy() -> Iterator[tuple[str, DatasetRecord]]:
        nonlocal pulled
        for item in records(12):
            pulled += 1
            yield item

    one = len(serialize_dataset(records(1)[0][1], f"{BASE}jeu-0", fmt))
    chunks = iter_catalog(lazy(), format=fmt, header=header(), chunk_chars=3 * one)
    assert next(chunks) + next(chunks)  # document opening, then the header with 2–3 datasets
    assert 2 <= pulled <= 4
    sizes = [len(chunk) for chunk in chunks]
    assert pulled == 12
    assert len(sizes) >= 3  # the other datasets in chunks of about three, then the closing
    assert max(sizes) < 5 * one
    whole = "".join(iter_catalog(records(12), format=fmt, header=header(), chunk_chars=0))
    batched = "".join(iter_catalog(records(12), format=fmt, header=header()))
    assert batched == whole


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cuts", [(), (0,), (4,), (1, 1, 5), (0, 2, 7, 7)])
def test_a_document_written_in_parts_is_the_whole_document(
    fmt: Format, cuts: tuple[int, ...]
) -> None:
    """Parts written apart (some empty) and joined in order give iter_catalog's bytes."""
    items = records(7)
    bounds = [0, *cuts, len(items)]
    parts = [
        "".join(iter_dataset_chunks(items[lo:hi], format=fmt, catalog_uri=CATALOG, chunk_chars=k))
        for k, (lo, hi) in enumerate(pairwise(bounds))
    ]
    joined = catalog_opening(fmt, header()) + "".join(parts) + catalog_closing(fmt)
    whole = "".join(iter_catalog(items, format=fmt, header=header(), catalog_uri=CATALOG))
    assert joined == whole


def test_a_document_in_parts_needs_a_header_block() -> None:
    with pytest.raises(ValueError, match="header block"):
        catalog_opening("jsonld", [])


def test_turtle_prefixes_written_once() -> None:
    text = "".join(iter_catalog(records(3), format="turtle"))
    assert text.count("@prefix dcat:") == 1
    assert "@prefix" not in text.split("\n\n", 1)[1]


def test_jsonld_context_is_local() -> None:
    text = "".join(iter_catalog(records(2), format="jsonld", header=header()))
    document = json.loads(text)
    assert document["@context"] == JSONLD_CONTEXT
    assert all(value.startswith("http") and value[-1] in "/#" for value in JSONLD_CONTEXT.values())

    def contexts(node: Any) -> Iterator[Any]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    yield value
                yield from contexts(value)
        elif isinstance(node, list):
            for item in node:
                yield from contexts(item)

    found = list(contexts(document))
    assert found == [JSONLD_CONTEXT]  # one context, an object: nothing a parser would fetch
    assert "@import" not in text
    assert len(document["@graph"]) > 20
    assert len(parse(text, "jsonld")) > 200  # and it parses with the network refused


def test_media_types_and_suffixes() -> None:
    assert MEDIA_TYPES == {
        "turtle": "text/turtle",
        "nt": "application/n-triples",
        "jsonld": "application/ld+json",
        "xml": "application/rdf+xml",
    }
    assert FORMAT_BY_MEDIA_TYPE["application/ld+json"] == "jsonld"
    assert SUFFIXES["rdf"] == "xml"
    with pytest.raises(ValueError, match="unknown RDF format"):
        list(iter_catalog([], format="n3"))  # type: ignore[arg-type]
