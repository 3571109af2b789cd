"""Cutting one page's graph into one small graph per dataset, and keying the datasets.

A dataset's small graph is its description: every triple whose subject is the dataset,
then, recursively (depth-capped), those of the nodes it points to — blank nodes always, and
IRIs that are described on the page (distributions, contact points, publishers, locations,
periods, licences…) — but never another dataset or catalogue. Blank nodes are relabelled
``b0``, ``b1``… in visiting order, so a blank-node dataset is ``_:b0`` in its own graph and the
graph serializes the same way on every harvest.

Remote id: ``dct:identifier``, else the dataset IRI, else a hash of the canonical form of the
blank node's description (stable across harvests while the description does not change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF
from rdflib.term import Node

from connectors.dcat_rdf_values import DCAT, DCT, HYDRA, clean, sort_key
from connectors.errors import RecordInvalid

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


def dataset_subjects(graph: Graph) -> list[Node]:
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


def _stops(graph: Graph, node: Node) -> bool:
    return any((node, RDF.type, kind) in graph for kind in STOP_TYPES)


def describe(graph: Graph, subject: Node) -> Graph:
    """The small graph of ``subject`` (see the module docstring), blank nodes relabelled."""
    small = Graph()
    labels: dict[BNode, BNode] = {}

    def relabel(node: Node) -> Node:
        if isinstance(node, BNode):
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
            triples = sorted(
                graph.predicate_objects(node), key=lambda po: (str(po[0]), sort_key(graph, po[1]))
            )
            for predicate, value in triples:
                small.add((relabel(node), predicate, relabel(value)))
                if len(small) > MAX_TRIPLES:
                    raise RecordInvalid(
                        f"dataset {subject} has a description over {MAX_TRIPLES} triples"
                    )
                if isinstance(value, Literal) or value in seen or predicate == RDF.type:
                    continue
                seen.add(value)
                if isinstance(value, BNode) or not _stops(graph, value):
                    following.append(value)
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
    return BNode(key[len(BNODE_PREFIX) :]) if key.startswith(BNODE_PREFIX) else URIRef(key)


def dataset_graphs(graph: Graph) -> Iterator[tuple[str, Graph]]:
    """``(subject key, small graph)`` for every dataset of a page (see the module docstring).

    The key is the dataset IRI, or ``"_:b0"`` for a blank-node dataset (its node in the small
    graph); pass both to :func:`connectors.dcat_rdf_mapping.normalize_dataset_graph`."""
    for subject in dataset_subjects(graph):
        small = describe(graph, subject)
        yield subject_key(BNode("b0") if isinstance(subject, BNode) else subject), small


def graph_hash(graph: Graph) -> str:
    """A digest of the canonical form of ``graph`` (blank-node labels do not matter)."""
    canonical = to_canonical_graph(graph)
    lines = sorted(canonical.serialize(format="nt").splitlines())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def remote_id(graph: Graph, subject: str | Node) -> str:
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


def to_payload(key: str, graph: Graph, *, page: str | None = None) -> dict[str, Any]:
    """A JSON-able payload for a RawRecord: the subject key, sorted N-Triples, the page URL."""
    lines = sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())
    return {"subject": key, "ntriples": "\n".join(lines) + "\n", "page": page}


def from_payload(payload: Any) -> tuple[Graph, Node, str | None]:
    """The small graph, the dataset node and the page URL of a :func:`to_payload` payload."""
    if not isinstance(payload, dict) or not isinstance(payload.get("ntriples"), str):
        raise RecordInvalid("DCAT RDF record payload has no N-Triples")
    key = payload.get("subject")
    if not isinstance(key, str) or not key:
        raise RecordInvalid("DCAT RDF record payload names no dataset")
    contexts: dict[str, BNode] = {}
    graph = Graph()
    try:
        graph.parse(data=payload["ntriples"], format="nt", bnode_context=contexts)
    except Exception as error:  # rdflib's BadSyntax
        raise RecordInvalid(f"DCAT RDF record payload is not N-Triples: {error}") from None
    if key.startswith(BNODE_PREFIX):
        label = key[len(BNODE_PREFIX) :]
        if label not in contexts:
            raise RecordInvalid(f"DCAT RDF record payload does not describe {key}")
        node: Node = contexts[label]
    else:
        node = URIRef(key)
    page = payload.get("page")
    return graph, node, page if isinstance(page, str) else None
