"""Turtle and N-Triples pages cut into dataset payloads on N-Triples text, no rdflib terms.

The connector's common case. pyoxigraph parses the page and writes it back as N-Triples (both
in Rust); each line is split into its three terms, kept as strings in the form rdflib's
``nt`` writer gives the terms rdflib would have read (:func:`rdflib_form`), and indexed
subject → predicate → objects. :func:`describe_lines` follows
:func:`connectors.dcat_rdf_graphs.describe` step for step on those strings, so a payload is
byte-identical to the one the rdflib-term path builds, at a fraction of the cost: a dataset
is sliced, serialized and hashed without one rdflib term being built, and only the records
that need mapping are read back (:func:`connectors.dcat_rdf_graphs.load_payload`).

:func:`cut_lines` returns None for a page with a blank-node dataset (its remote id hashes its
canonical graph): the rdflib-term path takes those.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import _toPythonMapping  # what Literal() consults to normalize (bind() adds)

from connectors.dcat_rdf_graphs import DATASET_TYPES, MAX_DEPTH, MAX_TRIPLES, STOP_TYPES
from connectors.dcat_rdf_values import DCAT, DCT, HYDRA, RDF, clean
from connectors.errors import RecordInvalid
from connectors.rdf_index import KEPT_FORMS, OX_FORMATS, TripleIndex, nt_node, rdflib_nt

Lines = dict[str, dict[str, dict[str, None]]]
"""subject → predicate → objects, every term an N-Triples string in rdflib's form."""

Cut = tuple[str, str, str]
"""``(remote id, subject key, payload N-Triples)`` of one dataset."""


def _nt(iri: URIRef) -> str:
    return f"<{iri}>"


RDF_TYPE = _nt(RDF.type)
DCAT_DATASET = _nt(DCAT.dataset)
DCT_IDENTIFIER = _nt(DCT.identifier)
DATASET_TYPE_LINES = frozenset(map(_nt, DATASET_TYPES))
STOP_TYPE_LINES = frozenset(map(_nt, STOP_TYPES))
PAGING = frozenset(map(_nt, (HYDRA.next, HYDRA.nextPage, HYDRA.totalItems)))
"""The predicates :func:`connectors.dcat_rdf.hydra_next` and ``hydra_total`` read."""

_NO_PROPERTIES: dict[str, dict[str, None]] = {}


# -- literals: pyoxigraph's N-Triples → rdflib's --------------------------------------------

_ODD_ESCAPE = re.compile(r'\\[^\\"nr]')
"""An escape rdflib does not write (``\\t``, ``\\b``, ``\\f``, ``\\u…``); may also match
after an escaped backslash, which only costs the exact path."""
_XSD = "http://www.w3.org/2001/XMLSchema#"
_WHITESPACE_TYPES = frozenset({_XSD + "normalizedString", _XSD + "token"})


@lru_cache(maxsize=1024)
def _unconverted(datatype: str) -> bool:
    """Whether rdflib keeps every lexical form of ``datatype``: it maps it to no Python
    value (unknown datatype) or to the string itself, and does not rewrite its spaces."""
    return _toPythonMapping.get(URIRef(datatype)) is None and datatype not in _WHITESPACE_TYPES


def _kept(lexical: str, datatype: str) -> bool:
    form = KEPT_FORMS.get(datatype)
    if form is not None:
        return form.fullmatch(lexical) is not None
    return _unconverted(datatype)


@lru_cache(maxsize=1024)
def _exact(value: str) -> str:
    """The literal read back by pyoxigraph and written as the rdflib path writes it
    (cached: repeated dates and numbers in a form rdflib rewrites)."""
    line = f"<urn:x:s> <urn:x:p> {value} .".encode()
    [quad] = ox.parse(line, format=ox.RdfFormat.N_TRIPLES)
    return rdflib_nt(quad.object)


def rdflib_form(value: str) -> str:
    """A literal as pyoxigraph writes it (``value``), as rdflib writes the literal rdflib
    reads: its own escapes only, typed lexical forms normalized (``"01"^^xsd:integer`` →
    ``"1"``)."""
    if value[-1] == ">":
        cut = value.rindex('"^^<')
        if _kept(value[1:cut], value[cut + 4 : -1]) and not _ODD_ESCAPE.search(value):
            return value
    elif not _ODD_ESCAPE.search(value):
        return value
    return _exact(value) if len(value) <= 256 else _exact.__wrapped__(value)


# -- the page -------------------------------------------------------------------------------


def read_lines(data: bytes, fmt: str, base: str) -> Lines:
    """Parse ``data`` (``fmt`` a key of :data:`connectors.rdf_index.OX_FORMATS`) into
    :data:`Lines`. Raises SyntaxError (bad syntax, RDF-star terms) or ValueError (bad base),
    as :func:`connectors.rdf_index.oxigraph_index` does."""
    quads = ox.parse(data, format=OX_FORMATS[fmt], base_iri=base or None)
    written = ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES)
    text = written.decode() if written else ""
    if "<<" in text:
        _refuse_triple_terms(text)
    index: Lines = {}
    last = ""
    predicates: dict[str, dict[str, None]] = {}
    # Lines end with " .\n" (no literal holds a raw line feed); not splitlines(), which
    # would also cut at the U+2028 and friends literals keep raw.
    for line in text.split(" .\n"):
        if not line:
            continue
        subject, predicate, value = line.split(" ", 2)
        if value[0] == '"' and (value[-1] == ">" or "\\" in value):
            value = rdflib_form(value)
        if subject != last:  # a subject's triples mostly come together
            last = subject
            predicates = index.setdefault(subject, {})
        values = predicates.get(predicate)
        if values is None:
            predicates[predicate] = {value: None}
        else:
            values[value] = None
    return index


def _refuse_triple_terms(text: str) -> None:
    for line in text.split(" .\n"):
        if line.startswith("<<") or line.split(" ", 2)[-1].startswith("<<"):
            raise SyntaxError(f"RDF-star triple terms are not supported: {line[:200]}")


def paging(index: Lines) -> TripleIndex:
    """The page's Hydra paging triples as rdflib terms (for ``hydra_next``/``hydra_total``)."""
    found = TripleIndex()
    for subject, predicates in index.items():
        for predicate in [p for p in PAGING if p in predicates]:
            node, term = nt_node(subject), nt_node(predicate)
            for value in predicates[predicate]:
                found.add((node, term, nt_node(value)))
    return found


# -- cutting ---------------------------------------------------------------------------------


def dataset_subjects(index: Lines) -> list[str] | None:
    """:func:`connectors.dcat_rdf_graphs.dataset_subjects` on :data:`Lines` (IRIs sorted by
    their text), or None when a dataset is a blank node."""
    found = {
        subject
        for subject, predicates in index.items()
        if not DATASET_TYPE_LINES.isdisjoint(predicates.get(RDF_TYPE, ()))
    }
    for predicates in index.values():
        for value in predicates.get(DCAT_DATASET, ()):
            if value[0] in "<_" and value in index:
                found.add(value)
    if any(node[0] == "_" for node in found):
        return None
    return sorted(found, key=lambda node: node[1:-1])


def _blank_key(index: Lines, node: str) -> str:
    """:func:`connectors.dcat_rdf_values.sort_key` of a blank node, on its rdflib terms."""
    pairs = sorted(
        f"{predicate[1:-1]} {nt_node(value)!r}"
        for predicate, values in index.get(node, _NO_PROPERTIES).items()
        for value in values
        if value[0] != "_"
    )
    return "~" + "\n".join(pairs)


def _iri_first(pair: tuple[str, str]) -> tuple[str, str]:
    predicate, node = pair
    return predicate[1:-1], node[1:-1] if node[0] == "<" else "~"


def _ordered(index: Lines, nodes: list[tuple[str, str]]) -> None:
    """Sort ``(predicate, node)`` pairs as ``describe`` does: by predicate, then IRIs by
    their text, then blank nodes by their description. pyoxigraph's IRIs are absolute (they
    start with a letter, below ``~``), so a blank node's key only needs computing against
    another blank node of the same predicate."""
    blanks = [predicate for predicate, node in nodes if node[0] == "_"]
    if len(set(blanks)) == len(blanks):
        nodes.sort(key=_iri_first)
        return

    def exact(pair: tuple[str, str]) -> tuple[str, str]:
        predicate, node = pair
        return predicate[1:-1], node[1:-1] if node[0] == "<" else _blank_key(index, node)

    nodes.sort(key=exact)


def describe_lines(index: Lines, subject: str, labels: dict[str, str]) -> list[str]:
    """The N-Triples lines of ``subject``'s small graph, unsorted: what
    :func:`connectors.dcat_rdf_graphs.describe` then ``nt_lines`` give, for an IRI
    ``subject``. ``labels`` (empty) receives the blank nodes' new labels."""
    lines: list[str] = []
    frontier = [subject]
    seen = {subject}
    depth = 0
    while frontier and depth <= MAX_DEPTH:
        following: list[str] = []
        for node in frontier:
            here = labels[node] if node[0] == "_" else node
            nodes: list[tuple[str, str]] = []
            for predicate, values in index.get(node, _NO_PROPERTIES).items():
                for value in values:
                    if value[0] == '"':
                        lines.append(f"{here} {predicate} {value} .")
                    else:
                        nodes.append((predicate, value))
            if len(nodes) > 1:
                _ordered(index, nodes)
            for predicate, value in nodes:
                if value[0] == "_":
                    label = labels.get(value)
                    if label is None:
                        label = labels[value] = f"_:b{len(labels)}"
                    lines.append(f"{here} {predicate} {label} .")
                else:
                    lines.append(f"{here} {predicate} {value} .")
                if predicate == RDF_TYPE or value in seen:
                    continue
                properties = index.get(value)
                if properties is None:
                    continue  # not described on the page: visiting it would add nothing
                seen.add(value)
                if value[0] == "_" or STOP_TYPE_LINES.isdisjoint(properties.get(RDF_TYPE, ())):
                    following.append(value)
            if len(lines) > MAX_TRIPLES:
                raise RecordInvalid(
                    f"dataset {subject[1:-1]} has a description over {MAX_TRIPLES} triples"
                )
        frontier = following
        depth += 1
    return lines


def remote_id(index: Lines, subject: str, labels: dict[str, str]) -> str:
    """:func:`connectors.dcat_rdf_graphs.remote_id` of an IRI dataset, read in its small
    graph (``labels``: its blank nodes' labels there)."""
    texts = (
        clean(str(nt_node(labels.get(value, value))))
        for value in index[subject].get(DCT_IDENTIFIER, ())
    )
    identifiers = sorted(text for text in texts if text)
    return identifiers[0] if identifiers else subject[1:-1]


def cut_lines(index: Lines) -> list[Cut] | None:
    """Every dataset of the page with its remote id and payload N-Triples (sorted lines), in
    :func:`connectors.dcat_rdf_graphs.dataset_subjects` order; None when a dataset is a
    blank node."""
    subjects = dataset_subjects(index)
    if subjects is None:
        return None
    cuts: list[Cut] = []
    for subject in subjects:
        labels: dict[str, str] = {}
        lines = describe_lines(index, subject, labels)
        lines.sort()
        key = remote_id(index, subject, labels)
        cuts.append((key, subject[1:-1], "\n".join(lines) + "\n"))
    return cuts
