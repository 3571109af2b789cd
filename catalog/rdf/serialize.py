"""Streaming DCAT-AP writers: Turtle, N-Triples, JSON-LD and RDF/XML with bounded memory.

rdflib's serializers work on one whole Graph, and its Turtle serializer is quadratic with
many URL namespaces (RDFLib#1752). These writers never hold more than one dataset: the
document opening (prefixes, ``@context``, ``rdf:RDF``) is written once, then each dataset's
triples as one self-contained block, then the closing. Blank-node labels come from
:func:`catalog.rdf.namespaces.node_id`, so they are unique across blocks.

Every IRI reaching a writer has been through :func:`catalog.rdf.namespaces.iri` (no spaces,
``<>"{}|\\^```); literals are escaped per syntax. The JSON-LD ``@context`` is a local object
(prefixes only): no parser ever has to fetch a remote context.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Literal, cast
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral

from catalog.model import DatasetRecord
from catalog.rdf.dataset_graph import dataset_triples
from catalog.rdf.namespaces import PREFIXES, RDF, Object, Subject, Triple

Format = Literal["turtle", "nt", "jsonld", "xml"]

MEDIA_TYPES: dict[Format, str] = {
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "xml": "application/rdf+xml",
}
"""Writer format → media type (for Content-Type and content negotiation)."""

FORMAT_BY_MEDIA_TYPE: dict[str, Format] = {media: fmt for fmt, media in MEDIA_TYPES.items()}
SUFFIXES: dict[str, Format] = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld", "rdf": "xml"}
"""URL suffix (``/catalog.ttl``) → writer format."""

JSONLD_CONTEXT: dict[str, str] = dict(PREFIXES)
"""The JSON-LD ``@context``: the prefix table, inline — never a URL to fetch."""

_NAMESPACES = {namespace: prefix for prefix, namespace in PREFIXES.items()}
_SPLIT = re.compile(r"^(.*[/#])([A-Za-z_][A-Za-z0-9_-]*)$")  # namespace + safe local name
_BNODE_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _split(uri: str) -> tuple[str, str] | None:
    match = _SPLIT.match(uri)
    return (match.group(1), match.group(2)) if match else None


def _group(triples: Iterable[Triple]) -> dict[Subject, dict[URIRef, list[Object]]]:
    """Subject → predicate → objects, first-seen order, duplicates dropped."""
    grouped: dict[Subject, dict[URIRef, list[Object]]] = {}
    for s, p, o in dict.fromkeys(triples):
        grouped.setdefault(s, {}).setdefault(p, []).append(o)
    return grouped


def _bnode_label(node: BNode) -> str:
    return _BNODE_UNSAFE.sub("_", str(node))


# --- N-Triples ----------------------------------------------------------------------------


def _nt_term(term: Object) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{_bnode_label(term)}"
    quoted = f'"{str(term).translate(_LITERAL_ESCAPES)}"'
    if term.language:
        return f"{quoted}@{term.language}"
    return f"{quoted}^^<{term.datatype}>" if term.datatype else quoted


def nt_block(triples: Iterable[Triple]) -> str:
    """N-Triples lines of ``triples``."""
    return "".join(f"{_nt_term(s)} <{p}> {_nt_term(o)} .\n" for s, p, o in dict.fromkeys(triples))


# --- Turtle -------------------------------------------------------------------------------


def turtle_prefixes() -> str:
    """The ``@prefix`` lines, written once at the top of a document."""
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n"


def _ttl_iri(uri: str) -> str:
    parts = _split(uri)
    if parts is not None and parts[0] in _NAMESPACES:
        return f"{_NAMESPACES[parts[0]]}:{parts[1]}"
    return f"<{uri}>"


def _ttl_term(term: Object) -> str:
    if isinstance(term, URIRef):
        return _ttl_iri(term)
    if isinstance(term, BNode):
        return f"_:{_bnode_label(term)}"
    quoted = f'"{str(term).translate(_LITERAL_ESCAPES)}"'
    if term.language:
        return f"{quoted}@{term.language}"
    return f"{quoted}^^{_ttl_iri(term.datatype)}" if term.datatype else quoted


def turtle_block(triples: Iterable[Triple]) -> str:
    """Turtle statements of ``triples``, one per subject, using :func:`turtle_prefixes`."""
    blocks = []
    for s, predicates in _group(triples).items():
        lines = [
            ("a" if p == RDF.type else _ttl_iri(p)) + " " + ", ".join(map(_ttl_term, objects))
            for p, objects in predicates.items()
        ]
        blocks.append(f"{_ttl_term(s)} " + " ;\n    ".join(lines) + " .\n\n")
    return "".join(blocks)


# --- JSON-LD ------------------------------------------------------------------------------


def _compact(uri: str) -> str:
    parts = _split(uri)
    return f"{_NAMESPACES[parts[0]]}:{parts[1]}" if parts and parts[0] in _NAMESPACES else uri


def _jsonld_id(term: Subject) -> str:
    return f"_:{_bnode_label(term)}" if isinstance(term, BNode) else str(term)


def _jsonld_value(term: Object) -> dict[str, str]:
    if not isinstance(term, RdfLiteral):
        return {"@id": _jsonld_id(term)}
    if term.language:
        return {"@value": str(term), "@language": term.language}
    if term.datatype:
        return {"@value": str(term), "@type": _compact(term.datatype)}
    return {"@value": str(term)}


def jsonld_nodes(triples: Iterable[Triple]) -> list[dict[str, object]]:
    """JSON-LD node objects of ``triples`` (compact IRIs under :data:`JSONLD_CONTEXT`)."""
    nodes: list[dict[str, object]] = []
    for s, predicates in _group(triples).items():
        node: dict[str, object] = {"@id": _jsonld_id(s)}
        for p, objects in predicates.items():
            if p == RDF.type and all(isinstance(o, URIRef) for o in objects):
                node["@type"] = [_compact(o) for o in objects]
            else:
                node[_compact(p)] = [_jsonld_value(o) for o in objects]
        nodes.append(node)
    return nodes


def jsonld_block(triples: Iterable[Triple]) -> str:
    """The node objects of ``triples``, comma-separated, for the ``@graph`` array."""
    return ",\n".join(json.dumps(node, ensure_ascii=False) for node in jsonld_nodes(triples))


def _jsonld_head() -> str:
    return '{"@context": ' + json.dumps(JSONLD_CONTEXT) + ',\n"@graph": [\n'


# --- RDF/XML ------------------------------------------------------------------------------


def _xml_head() -> str:
    declarations = "".join(f"\n   xmlns:{p}={quoteattr(ns)}" for p, ns in PREFIXES.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{declarations}>\n'


def _xml_node_attr(term: Subject, about: str = "rdf:about") -> str:
    if isinstance(term, BNode):
        return f'rdf:nodeID="{_bnode_label(term)}"'
    return f"{about}={quoteattr(str(term))}"


def _xml_property(p: URIRef, o: Object) -> str:
    parts = _split(p)
    if parts is None:
        raise ValueError(f"predicate {p} has no XML-safe local name (RDF/XML needs one)")
    namespace, local = parts
    if namespace in _NAMESPACES:
        tag, declare = f"{_NAMESPACES[namespace]}:{local}", ""
    else:
        tag, declare = f"ns0:{local}", f" xmlns:ns0={quoteattr(namespace)}"
    if not isinstance(o, RdfLiteral):
        return f"    <{tag}{declare} {_xml_node_attr(o, 'rdf:resource')}/>\n"
    if o.language:
        attr = f' xml:lang="{o.language}"'
    else:
        attr = f" rdf:datatype={quoteattr(str(o.datatype))}" if o.datatype else ""
    text = escape(str(o), {"\r": "&#13;"})
    return f"    <{tag}{declare}{attr}>{text}</{tag}>\n"


def xml_block(triples: Iterable[Triple]) -> str:
    """``rdf:Description`` elements of ``triples``, for inside ``rdf:RDF``."""
    out = []
    for s, predicates in _group(triples).items():
        out.append(f"  <rdf:Description {_xml_node_attr(s)}>\n")
        out.extend(_xml_property(p, o) for p, objects in predicates.items() for o in objects)
        out.append("  </rdf:Description>\n")
    return "".join(out)


# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Writer:
    head: Callable[[], str]
    block: Callable[[Iterable[Triple]], str]
    tail: str
    separator: str = ""


_WRITERS: dict[str, _Writer] = {
    "turtle": _Writer(turtle_prefixes, turtle_block, ""),
    "nt": _Writer(lambda: "", nt_block, ""),
    "jsonld": _Writer(_jsonld_head, jsonld_block, "\n]}\n", ",\n"),
    "xml": _Writer(_xml_head, xml_block, "</rdf:RDF>\n"),
}


def _writer(format: str) -> _Writer:
    try:
        return _WRITERS[format]
    except KeyError:
        raise ValueError(f"unknown RDF format {format!r}; use one of {sorted(_WRITERS)}") from None


def iter_blocks(blocks: Iterable[Iterable[Triple]], *, format: Format) -> Iterator[str]:
    """One document from groups of triples: the opening, one chunk per group, the closing."""
    writer = _writer(format)
    yield writer.head()
    first = True
    for triples in blocks:
        text = writer.block(triples)
        if text:
            yield text if first else writer.separator + text
            first = False
    yield writer.tail


def iter_catalog(
    records: Iterable[tuple[str, DatasetRecord]],
    *,
    format: Format,
    header: Iterable[Triple] = (),
    catalog_uri: str | None = None,
) -> Iterator[str]:
    """A whole catalogue as text chunks (one per dataset): ``header`` (catalogue and paging
    triples) first, then each ``(dataset_uri, record)``. Memory stays at one dataset."""
    datasets = (
        dataset_triples(record, dataset_uri=uri, catalog_uri=catalog_uri) for uri, record in records
    )
    return iter_blocks(_chain(header, datasets), format=format)


def _chain(header: Iterable[Triple], rest: Iterable[list[Triple]]) -> Iterator[Iterable[Triple]]:
    yield list(header)
    yield from rest


def _is_binary(out: IO[str] | IO[bytes]) -> bool:
    return isinstance(out, io.RawIOBase | io.BufferedIOBase) or "b" in getattr(out, "mode", "")


def write_catalog(
    records: Iterable[tuple[str, DatasetRecord]],
    *,
    format: Format,
    out: IO[str] | IO[bytes],
    header: Iterable[Triple] = (),
    catalog_uri: str | None = None,
) -> int:
    """Write :func:`iter_catalog` to a text or binary (UTF-8) stream; the number of datasets."""
    count = 0

    def counted() -> Iterator[tuple[str, DatasetRecord]]:
        nonlocal count
        for item in records:
            count += 1
            yield item

    binary = _is_binary(out)
    for chunk in iter_catalog(counted(), format=format, header=header, catalog_uri=catalog_uri):
        if binary:
            cast(IO[bytes], out).write(chunk.encode())
        else:
            cast(IO[str], out).write(chunk)
    return count


def serialize_triples(triples: Iterable[Triple], format: Format) -> str:
    """One complete document holding ``triples``."""
    return "".join(iter_blocks([list(triples)], format=format))


def serialize_dataset(
    record: DatasetRecord, dataset_uri: str, format: Format, *, catalog_uri: str | None = None
) -> str:
    """One dataset as a complete document."""
    triples = dataset_triples(record, dataset_uri=dataset_uri, catalog_uri=catalog_uri)
    return serialize_triples(triples, format)
