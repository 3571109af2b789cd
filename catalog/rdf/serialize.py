"""Streaming DCAT-AP writers: Turtle, N-Triples, JSON-LD and RDF/XML with bounded memory.

rdflib's serializers work on one whole Graph, and its Turtle serializer is quadratic with
many URL namespaces (RDFLib#1752). These writers never hold more than one dataset: the
document opening (prefixes, ``@context``, ``rdf:RDF``) is written once, then each dataset's
triples as one self-contained block, then the closing. Blank-node labels come from
:func:`catalog.rdf.terms.node_id`, so they are unique across blocks.

The writers render the lightweight terms of :mod:`catalog.rdf.terms` (IRIs and blank nodes
as ``str``, literals as ``(lexical, lang, datatype)`` tuples) with plain string operations —
no rdflib term is built on the export path. Vocabulary terms get prefixed names (Turtle,
JSON-LD keys, XML tags) from caches as small as the vocabulary; any other IRI is written in
full. The rdflib-facing functions (:func:`iter_blocks`, :func:`serialize_triples`, the
``*_block`` helpers) convert rdflib triples first. Output is byte-for-byte what the earlier
rdflib-term implementation wrote (``tests/catalog/test_rdf_golden.py`` checks isomorphism,
``tests/catalog/test_rdf_bytes.py`` the exact bytes).

Speed: N-Triples writes the statements in order; the other writers group them
(:func:`_group`) and walk the groups once, appending to one flat list joined at the end. The
hot loops test characters with ``in`` (a constant cost), not regex character classes (~5 ns
per character of a long text or URL).

Every IRI reaching a writer has been through :func:`catalog.rdf.terms.iri` (no spaces,
``<>"{}|\\^```); literals are escaped per syntax. The JSON-LD ``@context`` is a local object
(prefixes only): no parser ever has to fetch a remote context.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring  # json.dumps of one str (ensure_ascii=False), in C
from typing import IO, Literal, cast
from xml.sax.saxutils import quoteattr

from catalog.model import DatasetRecord
from catalog.rdf.dataset_graph import dataset_statements
from catalog.rdf.namespaces import PREFIXES, Triple
from catalog.rdf.terms import (
    RDF_TYPE,
    VOCABULARY,
    Memo,
    Statement,
    Statements,
    Term,
    from_rdflib,
)

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

CHUNK_CHARS = 1 << 16
""":func:`iter_catalog` joins datasets into chunks of about this many characters: one
chunk per dataset would cost a thread hop per dataset in a streamed HTTP response."""

_NAMESPACES = {namespace: prefix for prefix, namespace in PREFIXES.items()}
_SPLIT = re.compile(r"^(.*[/#])([A-Za-z_][A-Za-z0-9_-]*)$")  # namespace + safe local name


# Escaping checks: a few `in` tests cost the same whatever the length, where a regex
# character-class search costs ~5 ns per character (long descriptions, URLs).


def _needs_escape(text: str) -> bool:
    """Whether a Turtle / N-Triples string needs escapes (``\\ " \\n \\r``)."""
    return '"' in text or "\\" in text or "\n" in text or "\r" in text


def _escape(text: str) -> str:
    """A Turtle / N-Triples string's escapes (``str.translate`` with a dict costs ~20 times
    as much: a GeoJSON literal took 17 µs). Backslashes first: the others add some."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("\n", "\\n").replace("\r", "\\r")


def _xml_attr_special(text: str) -> bool:
    """Whether an XML attribute value needs :func:`quoteattr`."""
    return (
        "&" in text or "<" in text or ">" in text or '"' in text
        or "\n" in text or "\r" in text or "\t" in text
    )  # fmt: skip


Grouped = dict[str, dict[str, list[Term]]]


def _split(uri: str) -> tuple[str, str] | None:
    match = _SPLIT.match(uri)
    return (match.group(1), match.group(2)) if match else None


def _group(statements: Iterable[Statement]) -> Grouped:
    """Subject → predicate → objects, first-seen order, duplicates dropped (the lists are
    short: a scan is cheaper than hashing every statement)."""
    grouped: Grouped = {}
    last_s = last_p = ""
    predicates: dict[str, list[Term]] = {}
    objects: list[Term] = []
    for s, p, o in statements:
        if s is not last_s:  # consecutive statements mostly share their subject
            last_s, last_p = s, ""
            found = grouped.get(s)
            if found is None:
                predicates = grouped[s] = {}
            else:
                predicates = found
        if p is not last_p:
            last_p = p
            known = predicates.get(p)
            if known is None:
                objects = predicates[p] = [o]
                continue
            objects = known
        if o not in objects:
            objects.append(o)
    return grouped


class _Names(dict[str, str]):
    """Vocabulary IRI → its rendering in one syntax, kept in step with
    :data:`~catalog.rdf.terms.VOCABULARY` (which only grows, and only with vocabulary terms:
    the dict stays as small as the vocabulary, whatever the catalogue). Writers read it with
    ``names.get(iri)``; ``None`` means "not a vocabulary term, write the IRI in full"."""

    def __init__(self, render: Callable[[str, str], str], fixed: dict[str, str] | None = None):
        super().__init__()
        self.render = render
        self.fixed = fixed or {}
        self.seen = -1

    def fresh(self) -> _Names:
        if self.seen != len(VOCABULARY):
            for uri, (prefix, local) in list(VOCABULARY.items()):
                if uri not in self and PREFIXES.get(prefix) == uri[: -len(local)]:
                    self[uri] = self.render(prefix, local)
            self.update(self.fixed)
            self.seen = len(VOCABULARY)
        return self


_PREFIXED = _Names(lambda prefix, local: f"{prefix}:{local}")


# --- N-Triples ----------------------------------------------------------------------------


def _nt_statements(statements: Iterable[Statement]) -> str:
    out = []
    last, subject = "", ""
    for s, p, o in dict.fromkeys(statements):
        if s is not last:
            last, subject = s, s if s[0] == "_" else f"<{s}>"
        if isinstance(o, str):
            if o[0] == "_":
                out.append(f"{subject} <{p}> {o} .\n")
            else:
                out.append(f"{subject} <{p}> <{o}> .\n")
            continue
        lexical, lang, datatype = o
        if _needs_escape(lexical):
            lexical = _escape(lexical)
        if lang:
            out.append(f'{subject} <{p}> "{lexical}"@{lang} .\n')
        elif datatype:
            out.append(f'{subject} <{p}> "{lexical}"^^<{datatype}> .\n')
        else:
            out.append(f'{subject} <{p}> "{lexical}" .\n')
    return "".join(out)


# --- Turtle -------------------------------------------------------------------------------


def turtle_prefixes() -> str:
    """The ``@prefix`` lines, written once at the top of a document."""
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n"


_TTL_SEPARATOR = " ;\n    "
_TTL_PREDICATES = _Names(lambda prefix, local: f"{prefix}:{local}", {RDF_TYPE: "a"})


def _ttl_object(o: Term, names: dict[str, str]) -> str:
    if isinstance(o, str):
        if o[0] == "_":
            return o
        name = names.get(o)
        return f"<{o}>" if name is None else name
    lexical, lang, datatype = o
    if _needs_escape(lexical):
        lexical = _escape(lexical)
    if lang:
        return f'"{lexical}"@{lang}'
    if datatype:
        return f'"{lexical}"^^{names.get(datatype) or f"<{datatype}>"}'
    return f'"{lexical}"'


def _ttl_statements(statements: Iterable[Statement]) -> str:
    names, predicate_names = _PREFIXED.fresh(), _TTL_PREDICATES.fresh()
    get, predicate_get = names.get, predicate_names.get
    out: list[str] = []  # one flat list: no list and join per subject
    append = out.append
    for s, predicates in _group(statements).items():
        append(s if s[0] == "_" else get(s) or f"<{s}>")
        separator = " "
        for p, objects in predicates.items():
            name = predicate_get(p) or f"<{p}>"
            if len(objects) > 1:
                append(f"{separator}{name} {', '.join([_ttl_object(o, names) for o in objects])}")
            elif isinstance(o := objects[0], str):  # mostly one object: _ttl_object inline
                append(f"{separator}{name} {o if o[0] == '_' else get(o) or f'<{o}>'}")
            else:
                lexical, lang, datatype = o
                if '"' in lexical or "\\" in lexical or "\n" in lexical or "\r" in lexical:
                    lexical = _escape(lexical)
                if lang:
                    append(f'{separator}{name} "{lexical}"@{lang}')
                elif datatype:
                    append(f'{separator}{name} "{lexical}"^^{get(datatype) or f"<{datatype}>"}')
                else:
                    append(f'{separator}{name} "{lexical}"')
            separator = _TTL_SEPARATOR
        append(" .\n\n")
    return "".join(out)


# --- JSON-LD ------------------------------------------------------------------------------

_JSON_NAMES = _Names(lambda prefix, local: encode_basestring(f"{prefix}:{local}"))


def _jsonld_value(o: Term, get: Callable[[str], str | None]) -> str:
    """One value object: ``{"@id": …}`` or ``{"@value": …}``; ``get`` gives compact names."""
    if isinstance(o, str):
        return f'{{"@id": {encode_basestring(o)}}}'
    lexical, lang, datatype = o
    if lang:
        return f'{{"@value": {encode_basestring(lexical)}, "@language": "{lang}"}}'
    if datatype:
        kind = get(datatype) or encode_basestring(datatype)
        return f'{{"@value": {encode_basestring(lexical)}, "@type": {kind}}}'
    return f'{{"@value": {encode_basestring(lexical)}}}'


def _jsonld_statements(statements: Iterable[Statement]) -> str:
    get = _JSON_NAMES.fresh().get
    enc = encode_basestring
    ids: dict[str, str] = {}  # IRI → JSON string: most are named twice (object, subject)
    out: list[str] = []  # one flat list: no list and join per node
    append = out.append
    for s, predicates in _group(statements).items():
        name = ids.get(s)
        if name is None:
            name = ids[s] = enc(s)
        append(f'{{"@id": {name}' if not out else f'}},\n{{"@id": {name}')
        for p, objects in predicates.items():
            if p == RDF_TYPE:  # IRI types only (a blank node or literal: a plain property)
                types = []
                for o in objects:
                    if not isinstance(o, str) or o[0] == "_":
                        break
                    types.append(get(o) or enc(o))
                else:
                    append(f', "@type": [{", ".join(types)}]')
                    continue
            if len(objects) == 1:  # mostly one object: _jsonld_value inline, no call
                o = objects[0]
                key = get(p) or enc(p)
                if isinstance(o, str):
                    name = ids.get(o)
                    if name is None:
                        name = ids[o] = enc(o)
                    append(f', {key}: [{{"@id": {name}}}]')
                    continue
                lexical, lang, datatype = o
                if lang:
                    append(f', {key}: [{{"@value": {enc(lexical)}, "@language": "{lang}"}}]')
                elif datatype:
                    kind = get(datatype) or enc(datatype)
                    append(f', {key}: [{{"@value": {enc(lexical)}, "@type": {kind}}}]')
                else:
                    append(f', {key}: [{{"@value": {enc(lexical)}}}]')
            else:
                values = ", ".join([_jsonld_value(o, get) for o in objects])
                append(f", {get(p) or enc(p)}: [{values}]")
    if out:
        append("}")
    return "".join(out)


def _jsonld_head() -> str:
    return '{"@context": ' + json.dumps(JSONLD_CONTEXT) + ',\n"@graph": [\n'


# --- RDF/XML ------------------------------------------------------------------------------


def _xml_head() -> str:
    declarations = "".join(f"\n   xmlns:{p}={quoteattr(ns)}" for p, ns in PREFIXES.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{declarations}>\n'


def _xml_attr(value: str) -> str:
    return quoteattr(value) if _xml_attr_special(value) else '"' + value + '"'


_XML_TAGS = _Names(lambda prefix, local: f"{prefix}:{local}")


_XML_PAIRS: dict[str, tuple[str, str]] = {}


def _xml_tag(p: str) -> tuple[str, str]:
    """``    <tag`` (with a namespace declaration outside the prefix table) and ``</tag>``."""
    pair = _XML_PAIRS.get(p)
    if pair is not None:
        return pair
    tag = _XML_TAGS.get(p)
    if tag is not None:  # a vocabulary term: cached (bounded by the vocabulary)
        pair = _XML_PAIRS[p] = ("    <" + tag, "</" + tag + ">\n")
        return pair
    parts = _split(p)
    if parts is None:
        raise ValueError(f"predicate {p} has no XML-safe local name (RDF/XML needs one)")
    namespace, local = parts
    if namespace in _NAMESPACES:
        return f"    <{_NAMESPACES[namespace]}:{local}", f"</{_NAMESPACES[namespace]}:{local}>\n"
    return f"    <ns0:{local} xmlns:ns0={quoteattr(namespace)}", f"</ns0:{local}>\n"


_XML_DATATYPES: Memo[str, str] = Memo(256)
"""Datatype IRI → `` rdf:datatype="…">`` (datatypes are few: xsd, gsp)."""


def _xml_statements(statements: Iterable[Statement]) -> str:
    _XML_TAGS.fresh()
    pairs, datatypes = _XML_PAIRS, _XML_DATATYPES
    out: list[str] = []
    append = out.append
    for s, predicates in _group(statements).items():
        if s[0] == "_":
            append(f'  <rdf:Description rdf:nodeID="{s[2:]}">\n')
        elif not _xml_attr_special(s):
            append(f'  <rdf:Description rdf:about="{s}">\n')
        else:
            append(f"  <rdf:Description rdf:about={quoteattr(s)}>\n")
        for p, objects in predicates.items():
            opening, closing = pairs.get(p) or _xml_tag(p)
            for o in objects:
                if isinstance(o, str):
                    if o[0] == "_":
                        append(f'{opening} rdf:nodeID="{o[2:]}"/>\n')
                    elif not (  # _xml_attr_special, inline: ~100 objects a dataset
                        "&" in o or "<" in o or ">" in o or '"' in o
                        or "\n" in o or "\r" in o or "\t" in o
                    ):  # fmt: skip
                        append(f'{opening} rdf:resource="{o}"/>\n')
                    else:
                        append(f"{opening} rdf:resource={quoteattr(o)}/>\n")
                    continue
                lexical, lang, datatype = o
                if "&" in lexical or "<" in lexical or ">" in lexical or "\r" in lexical:
                    lexical = lexical.replace("&", "&amp;").replace("<", "&lt;")
                    lexical = lexical.replace(">", "&gt;").replace("\r", "&#13;")
                if lang:
                    append(f'{opening} xml:lang="{lang}">{lexical}{closing}')
                elif datatype:
                    kind = datatypes.get(datatype)
                    if kind is None:
                        kind = datatypes.keep(datatype, f" rdf:datatype={_xml_attr(datatype)}>")
                    append(f"{opening}{kind}{lexical}{closing}")
                else:
                    append(f"{opening}>{lexical}{closing}")
        append("  </rdf:Description>\n")
    return "".join(out)


def _statements(triples: Iterable[Triple]) -> list[Statement]:
    """rdflib triples as deduplicated lightweight statements."""
    return list(dict.fromkeys(from_rdflib(triples)))


# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Writer:
    head: Callable[[], str]
    block: Callable[[Iterable[Statement]], str]
    tail: str
    separator: str = ""


_WRITERS: dict[str, _Writer] = {
    "turtle": _Writer(turtle_prefixes, _ttl_statements, ""),
    "nt": _Writer(lambda: "", _nt_statements, ""),
    "jsonld": _Writer(_jsonld_head, _jsonld_statements, "\n]}\n", ",\n"),
    "xml": _Writer(_xml_head, _xml_statements, "</rdf:RDF>\n"),
}


def _writer(format: str) -> _Writer:
    try:
        return _WRITERS[format]
    except KeyError:
        raise ValueError(f"unknown RDF format {format!r}; use one of {sorted(_WRITERS)}") from None


def iter_statement_blocks(
    blocks: Iterable[Iterable[Statement]], *, format: Format, chunk_chars: int = 0
) -> Iterator[str]:
    """One document from groups of lightweight statements (duplicates are dropped): the
    opening, the groups, the closing. With ``chunk_chars``, groups are joined into chunks of at least
    that many characters (the last may be shorter); without, one chunk per group."""
    writer = _writer(format)
    yield writer.head()
    yield from _chunks(writer, blocks, chunk_chars, first=True)
    yield writer.tail


def _chunks(
    writer: _Writer, blocks: Iterable[Iterable[Statement]], chunk_chars: int, *, first: bool
) -> Iterator[str]:
    """The groups' text, with the format's separator before each but the document's first."""
    separator = writer.separator
    pending: list[str] = []
    size = 0
    for statements in blocks:
        text = writer.block(statements)
        if not text:
            continue
        if chunk_chars <= 0:
            yield text if first else separator + text
            first = False
            continue
        if not first and separator:  # not separator + text: a copy of the whole block
            pending.append(separator)
            size += len(separator)
        first = False
        pending.append(text)
        size += len(text)
        if size >= chunk_chars:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def iter_blocks(blocks: Iterable[Iterable[Triple]], *, format: Format) -> Iterator[str]:
    """One document from groups of rdflib triples: the opening, one chunk per group, the
    closing."""
    return iter_statement_blocks((_statements(triples) for triples in blocks), format=format)


def iter_catalog(
    records: Iterable[tuple[str, DatasetRecord]],
    *,
    format: Format,
    header: Iterable[Triple] = (),
    catalog_uri: str | None = None,
    chunk_chars: int = CHUNK_CHARS,
) -> Iterator[str]:
    """A whole catalogue as text chunks: ``header`` (catalogue and paging triples) first,
    then each ``(dataset_uri, record)``. Memory stays at one dataset plus one chunk (of about
    ``chunk_chars`` characters; ``0``: one chunk per dataset)."""
    datasets = _dataset_blocks(records, catalog_uri)
    return iter_statement_blocks(
        _chain(_statements(header), datasets), format=format, chunk_chars=chunk_chars
    )


def _dataset_blocks(
    records: Iterable[tuple[str, DatasetRecord]], catalog_uri: str | None
) -> Iterator[Statements]:
    for uri, record in records:  # duplicates are dropped by each writer
        yield dataset_statements(record, dataset_uri=uri, catalog_uri=catalog_uri, unique=False)


# A document in parts, for writers working side by side: ``catalog_opening`` (the document's
# opening and its header block), then each part's ``iter_dataset_chunks``, in order, then
# ``catalog_closing``. Joined, they are what ``iter_catalog`` writes for all the records.


def catalog_opening(format: Format, header: Iterable[Triple]) -> str:
    """The document's opening and the ``header`` block (which must not be empty: the
    datasets' chunks are written to follow a block)."""
    writer = _writer(format)
    block = writer.block(_statements(header))
    if not block:
        raise ValueError("a document in parts needs a header block before its datasets")
    return writer.head() + block


def iter_dataset_chunks(
    records: Iterable[tuple[str, DatasetRecord]],
    *,
    format: Format,
    catalog_uri: str | None = None,
    chunk_chars: int = CHUNK_CHARS,
) -> Iterator[str]:
    """The datasets' blocks as chunks, each block preceded by the format's separator: the
    text that follows a :func:`catalog_opening` or an earlier part."""
    writer = _writer(format)
    return _chunks(writer, _dataset_blocks(records, catalog_uri), chunk_chars, first=False)


def catalog_closing(format: Format) -> str:
    """The document's closing."""
    return _writer(format).tail


def _chain(header: list[Statement], rest: Iterable[list[Statement]]) -> Iterator[list[Statement]]:
    yield header
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
    """One complete document holding rdflib ``triples``."""
    return "".join(iter_blocks([list(triples)], format=format))


def serialize_dataset(
    record: DatasetRecord, dataset_uri: str, format: Format, *, catalog_uri: str | None = None
) -> str:
    """One dataset as a complete document."""
    statements = dataset_statements(
        record, dataset_uri=dataset_uri, catalog_uri=catalog_uri, unique=False
    )
    return "".join(iter_statement_blocks([statements], format=format))
