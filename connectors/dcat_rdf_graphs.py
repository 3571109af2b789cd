"""Cutting one page's graph into one small graph per dataset, and keying the datasets.

A dataset's small graph is its description: every triple whose subject is the dataset,
then, recursively (depth-capped), those of the nodes it points to — blank nodes always, and
IRIs that are described on the page (distributions, contact points, publishers, locations,
periods, licences…) — but never another dataset or catalogue. Blank nodes are relabelled
``b0``, ``b1``… in visiting order, so a blank-node dataset is ``_:b0`` in its own graph and the
graph serializes the same way on every harvest.

The page and the small graphs are :class:`connectors.rdf_index.TripleIndex` (a subject index);
:func:`dataset_graphs` still takes and gives rdflib Graphs for the callers that want them.
The connector cuts most Turtle pages without rdflib terms (:mod:`connectors.dcat_rdf_lines`,
same payloads); this module cuts the others. A payload is replayed by :func:`load_payload`.

Remote id: ``dct:identifier``, else the dataset IRI, else a hash of the canonical form of the
blank node's description (stable across harvests while the description does not change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from connectors.dcat_rdf_values import DCAT, DCT, HYDRA, RDF, clean, sort_key
from connectors.errors import RecordInvalid
from connectors.rdf_index import (
    RdfGraph,
    TripleIndex,
    nt_index,
    nt_lines,
    oxigraph_index,
    read_iri,
)

DATASET_TYPES = frozenset({DCAT.Dataset, DCAT.DatasetSeries})
STOP_TYPES = frozenset(
    {
        DCAT.Dataset,
        DCAT.DatasetSeries,
        DCAT.Catalog,
        HYDRA.PagedCollection,
        HYDRA.PartialCollectionView,
        HYDRA.Collection,
    }
)
"""Nodes a dataset's description never swallows (other datasets, catalogues, paging)."""
MAX_DEPTH = 6
MAX_TRIPLES = 20_000
BNODE_PREFIX = "_:"


def dataset_subjects(graph: RdfGraph) -> list[Node]:
    """Every dataset of the page: typed ``dcat:Dataset``/``dcat:DatasetSeries`` or listed
    by a catalogue's ``dcat:dataset``, in a stable order (IRIs sorted, then blank nodes)."""
    found: set[Node] = set()
    for kind in DATASET_TYPES:
        found.update(graph.subjects(RDF.type, kind))
    for value in graph.objects(None, DCAT.dataset):
        if isinstance(value, URIRef | BNode) and (value, None, None) in graph:
            found.add(value)
    iris = sorted((n for n in found if isinstance(n, URIRef)), key=str)
    blanks = [n for n in found if isinstance(n, BNode)]
    blanks.sort(key=lambda n: sort_key(graph, n))
    return [*iris, *blanks]


def _stops(graph: RdfGraph, node: Node) -> bool:
    return not STOP_TYPES.isdisjoint(graph.objects(node, RDF.type))


def describe(graph: RdfGraph, subject: Node) -> TripleIndex:
    """The small graph of ``subject`` (see the module docstring), blank nodes relabelled."""
    small = TripleIndex()
    labels: dict[BNode, BNode] = {}

    def relabel(node: Node) -> Node:
        if type(node) is BNode or (type(node) is not URIRef and isinstance(node, BNode)):
            if node not in labels:
                labels[node] = BNode(f"b{len(labels)}")
            return labels[node]
        return node

    relabel(subject)
    frontier: list[Node] = [subject]
    seen: set[Node] = {subject}
    depth = 0
    while frontier and depth <= MAX_DEPTH:
        following: list[Node] = []
        for node in frontier:
            here = relabel(node)
            nodes: list[tuple[Node, Node]] = []
            for predicate, value in graph.predicate_objects(node):
                if isinstance(value, Literal):  # order does not matter: add them now
                    small.add((here, predicate, value))
                else:
                    nodes.append((predicate, value))
            # Nodes in a stable order: it decides the blank-node labels and the frontier.
            nodes.sort(key=lambda po: (str(po[0]), sort_key(graph, po[1])))
            for predicate, value in nodes:
                small.add((here, predicate, relabel(value)))
                if value in seen or predicate == RDF.type:
                    continue
                seen.add(value)
                if isinstance(value, BNode) or not _stops(graph, value):
                    following.append(value)
            if len(small) > MAX_TRIPLES:
                raise RecordInvalid(
                    f"dataset {subject} has a description over {MAX_TRIPLES} triples"
                )
        frontier = following
        depth += 1
    return small


def subject_key(node: Node) -> str:
    """The string naming a dataset node in its small graph: its IRI, or ``_:b0``."""
    return f"{BNODE_PREFIX}{node}" if isinstance(node, BNode) else str(node)


def subject_node(key: str | Node) -> Node:
    """The node named by :func:`subject_key` (nodes pass through)."""
    if not isinstance(key, str) or isinstance(key, URIRef | BNode | Literal):
        return key
    return BNode(key[len(BNODE_PREFIX) :]) if key.startswith(BNODE_PREFIX) else read_iri(key)


def dataset_indexes(page: RdfGraph) -> Iterator[tuple[str, TripleIndex]]:
    """``(subject key, small graph)`` for every dataset of a page (see the module docstring).

    The key is the dataset IRI, or ``"_:b0"`` for a blank-node dataset (its node in the small
    graph); pass both to :func:`connectors.dcat_rdf_mapping.normalize_dataset_graph`."""
    index = TripleIndex.of(page)
    for subject in dataset_subjects(index):
        small = describe(index, subject)
        yield subject_key(BNode("b0") if isinstance(subject, BNode) else subject), small


def dataset_graphs(graph: RdfGraph) -> Iterator[tuple[str, Graph]]:
    """:func:`dataset_indexes` with each small graph as an rdflib Graph."""
    for key, small in dataset_indexes(graph):
        yield key, small.to_graph()


def graph_hash(graph: RdfGraph) -> str:
    """A digest of the canonical form of ``graph`` (blank-node labels do not matter)."""
    canonical = to_canonical_graph(graph.to_graph() if isinstance(graph, TripleIndex) else graph)
    lines = sorted(canonical.serialize(format="nt").splitlines())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def remote_id(graph: RdfGraph, subject: str | Node) -> str:
    """``dct:identifier``, else the dataset IRI, else ``bnode:<hash of its description>``."""
    node = subject_node(subject)
    identifiers = sorted(
        text for value in graph.objects(node, DCT.identifier) if (text := clean(str(value)))
    )
    if identifiers:
        return identifiers[0]
    if isinstance(node, URIRef):
        return str(node)
    return f"bnode:{graph_hash(graph)[:32]}"


def payload_text(graph: RdfGraph) -> str:
    """A small graph as a payload holds it: its N-Triples lines, sorted."""
    return "\n".join(sorted(nt_lines(TripleIndex.of(graph)))) + "\n"


def payload_of(key: str, ntriples: str, page: str | None = None) -> dict[str, Any]:
    """A JSON-able payload for a RawRecord: the subject key, sorted N-Triples, the page URL."""
    return {"subject": key, "ntriples": ntriples, "page": page}


def to_payload(key: str, graph: RdfGraph, *, page: str | None = None) -> dict[str, Any]:
    """:func:`payload_of` a small graph."""
    return payload_of(key, payload_text(graph), page)


def _payload_parts(payload: Any) -> tuple[str, str, str | None]:
    if not isinstance(payload, dict) or not isinstance(payload.get("ntriples"), str):
        raise RecordInvalid("DCAT RDF record payload has no N-Triples")
    key = payload.get("subject")
    if not isinstance(key, str) or not key:
        raise RecordInvalid("DCAT RDF record payload names no dataset")
    page = payload.get("page")
    return key, payload["ntriples"], page if isinstance(page, str) else None


def _rdflib_payload(text: str, key: str) -> tuple[Graph, Node]:
    contexts: dict[str, BNode] = {}
    graph = Graph()
    try:
        graph.parse(data=text, format="nt", bnode_context=contexts)
    except Exception as error:  # rdflib's BadSyntax
        raise RecordInvalid(f"DCAT RDF record payload is not N-Triples: {error}") from None
    if key.startswith(BNODE_PREFIX):
        label = key[len(BNODE_PREFIX) :]
        if label not in contexts:
            raise RecordInvalid(f"DCAT RDF record payload does not describe {key}")
        return graph, contexts[label]
    return graph, URIRef(key)


def from_payload(payload: Any) -> tuple[Graph, Node, str | None]:
    """The small graph (rdflib), the dataset node and the page URL of a :func:`to_payload`
    payload."""
    key, text, page = _payload_parts(payload)
    graph, node = _rdflib_payload(text, key)
    return graph, node, page


def load_payload(payload: Any) -> tuple[TripleIndex, Node, str | None]:
    """Like :func:`from_payload`, as a TripleIndex keeping the payload's ``_:bN`` labels:
    read in Python when it has the form :func:`to_payload` writes (the cheapest way), else
    by pyoxigraph, else by rdflib."""
    key, text, page = _payload_parts(payload)
    try:
        index = nt_index(text)
    except ValueError:
        try:
            index = oxigraph_index(text.encode(), "nt", "")
        except (SyntaxError, ValueError):
            graph, node = _rdflib_payload(text, key)
            return TripleIndex.of(graph), node, page
    node = subject_node(key)
    if isinstance(node, BNode) and (node, None, None) not in index:
        raise RecordInvalid(f"DCAT RDF record payload does not describe {key}")
    return index, node, page


__all__ = [
    "TripleIndex",
    "dataset_graphs",
    "dataset_indexes",
    "from_payload",
    "load_payload",
    "payload_of",
    "payload_text",
    "remote_id",
    "to_payload",
]
