"""Safe parsing of harvested RDF: Turtle, N-Triples, RDF/XML (also inside CSW envelopes), JSON-LD.

The format comes from the ``Content-Type`` when it names an RDF syntax and the body agrees,
else from sniffing the first bytes. Turtle and N-Triples are read by pyoxigraph (Rust, ~20×
rdflib) straight into a :class:`connectors.rdf_index.TripleIndex`; a document it refuses
(undeclared prefixes, IRIs with spaces, other non-standard habits rdflib tolerates) is read by
rdflib as before. RDF/XML and JSON-LD stay on rdflib: pyoxigraph's RDF/XML parser expands
internal DTD entities (a billion-laughs document makes it abort the process on allocation),
and its JSON-LD reader's context loading is not the one controlled here. Defences
(DESIGN §9)::

    size               bodies over ``max_bytes`` are refused (SourceForbidden)
    RDF/XML, CSW       checked by defusedxml first: any DOCTYPE / ENTITY is refused
                       (SourceForbidden) before rdflib sees a byte — a 770-byte
                       billion-laughs payload fails in microseconds
    JSON-LD            remote ``@context`` documents are never loaded: see
                       :mod:`connectors.rdf_jsonld`
    encoding           a body that declares or assumes UTF-8 but is not valid UTF-8 is
                       decoded as Windows-1252 (what such bytes nearly always are), with a
                       warning in the log: lossy at worst, never a crash

XML whose root is not ``rdf:RDF`` but contains ``rdf:RDF`` elements (a CSW
``GetRecordsResponse`` with ``outputSchema`` DCAT, an OAI-PMH answer) has each of those parsed;
the CSW ``SearchResults`` counters are returned for paging.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from rdflib import Graph

from connectors.errors import SourceForbidden, SourceProtocolError
from connectors.rdf_index import RdfGraph, TripleIndex, oxigraph_index
from connectors.rdf_jsonld import parse_jsonld

log = logging.getLogger(__name__)

RdfFormat = Literal["turtle", "xml", "json-ld", "nt"]
FormatOption = Literal["auto", "turtle", "xml", "json-ld", "nt"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_UNBOUND_PREFIXES = 16

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
CSW_NS = "http://www.opengis.net/cat/csw/2.0.2"

CONTENT_TYPES: dict[str, RdfFormat] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
"""Media type → syntax; anything else (``text/plain``, ``application/octet-stream``) sniffs."""

ACCEPT = (
    "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, "
    "application/n-triples;q=0.8, application/xml;q=0.5, */*;q=0.1"
)
"""The ``Accept`` header of RDF requests."""

PREFIX_FALLBACKS = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "healthdcatap": "http://healthdataportal.eu/ns/health#",
    "locn": "http://www.w3.org/ns/locn#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": RDF_NS,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
"""Namespaces supplied when a Turtle document uses a prefix it never declared (seen in
ckanext-dcat's own example); unknown prefixes get ``urn:x-undeclared-prefix:<p>:``."""

_UNBOUND = re.compile(r'Prefix "([A-Za-z][\w.-]*)?:" not bound')
_XML_START = re.compile(rb"^<(?:\?xml|!--|!DOCTYPE|[A-Za-z_][\w.-]*(?::[\w.-]+)?[\s>/])", re.I)
_HTML_START = re.compile(rb"^<(?:!doctype\s+html|html[\s>])", re.I)
_XML_ENCODING = re.compile(rb"^<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass(frozen=True, slots=True)
class CswResults:
    """The counters of a CSW ``SearchResults`` element (``next_record`` 0 = last page)."""

    matched: int | None
    returned: int | None
    next_record: int | None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """One parsed page: its triples (a TripleIndex from pyoxigraph, an rdflib Graph from the
    rdflib parsers), syntax, and the CSW counters when it was a CSW answer."""

    triples: RdfGraph
    format: RdfFormat
    csw: CswResults | None = None

    @property
    def graph(self) -> Graph:
        """The triples as an rdflib Graph (built on demand from a TripleIndex)."""
        found = self.triples
        return found.to_graph() if isinstance(found, TripleIndex) else found

    @property
    def index(self) -> TripleIndex:
        """The triples as a TripleIndex (built on demand from an rdflib Graph)."""
        return TripleIndex.of(self.triples)


# -- format choice -------------------------------------------------------------------------


def _head(data: bytes) -> bytes:
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")


def sniff(data: bytes) -> RdfFormat | None:
    """The syntax a body looks like: JSON → JSON-LD, tags → RDF/XML, else Turtle (which
    also reads N-Triples); ``None`` for an empty body."""
    head = _head(data)
    if not head:
        return None
    if head[:1] in (b"{", b"["):
        return "json-ld"
    if _XML_START.match(head):
        return "xml"
    return "turtle"


def _declared(content_type: str | None) -> RdfFormat | None:
    media = (content_type or "").split(";")[0].strip().lower()
    return CONTENT_TYPES.get(media)


def _agrees(fmt: RdfFormat, sniffed: RdfFormat) -> bool:
    return fmt == sniffed or {fmt, sniffed} == {"nt", "turtle"}


def choose_format(
    data: bytes, content_type: str | None, forced: FormatOption = "auto"
) -> RdfFormat:
    """The syntax to parse ``data`` with: ``forced`` unless ``"auto"``, else the
    ``Content-Type`` when the body agrees with it, else what the body looks like."""
    if forced != "auto":
        return forced
    sniffed = sniff(data)
    declared = _declared(content_type)
    if sniffed is None:
        return declared or "turtle"
    if declared and _agrees(declared, sniffed):
        return declared
    return sniffed


# -- text ----------------------------------------------------------------------------------


def utf8(data: bytes, *, what: str) -> tuple[bytes, bool]:
    """``data`` as valid UTF-8 and whether it had to be repaired.

    Bytes that are not UTF-8 are decoded as Windows-1252 (undefined bytes replaced), the
    usual culprit behind "declared UTF-8, is not" documents, and a warning is logged."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        log.warning(
            "%s is not valid UTF-8 (byte 0x%02x at %d): decoded as Windows-1252",
            what,
            data[error.start],
            error.start,
        )
        return data.decode("cp1252", "replace").encode("utf-8"), True
    return data, False


def _xml_utf8(data: bytes, *, what: str) -> bytes:
    declared = _XML_ENCODING.match(_head(data))
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    if encoding.replace("_", "-") not in ("utf-8", "utf8"):
        return data  # expat decodes Latin-1, UTF-16… itself
    fixed, _ = utf8(data, what=what)
    return fixed


# -- RDF/XML -------------------------------------------------------------------------------


def _xml_root(data: bytes, what: str) -> ElementTree.Element:
    try:
        return defused_fromstring(data, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException as error:
        raise SourceForbidden(
            f"{what} declares a DOCTYPE or ENTITY, which Moisson refuses to parse "
            "(entity-expansion attacks)",
            detail=repr(error),
        ) from None
    except ElementTree.ParseError as error:
        raise SourceProtocolError(
            f"{what} is not well-formed XML: {error}", detail=repr(error)
        ) from None


def _int_attr(element: ElementTree.Element, name: str) -> int | None:
    value = (element.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _csw(root: ElementTree.Element) -> CswResults | None:
    results = root.find(f"{{{CSW_NS}}}SearchResults")
    if results is None:
        return None
    return CswResults(
        matched=_int_attr(results, "numberOfRecordsMatched"),
        returned=_int_attr(results, "numberOfRecordsReturned"),
        next_record=_int_attr(results, "nextRecord"),
    )


def _parse_rdfxml(data: bytes, graph: Graph, base: str, what: str) -> CswResults | None:
    data = _xml_utf8(data, what=what)
    root = _xml_root(data, what)
    if root.tag == f"{{{RDF_NS}}}RDF":
        parts = [data]
    else:
        found = list(root.iter(f"{{{RDF_NS}}}RDF"))
        if not found and root.tag.startswith("{") and root.tag != f"{{{CSW_NS}}}GetRecordsResponse":
            parts = [data]  # RDF/XML may have one typed node element as root
        else:
            parts = [ElementTree.tostring(part, encoding="utf-8") for part in found]
        if not found and not root.tag.startswith("{"):
            raise SourceProtocolError(
                f"{what} is XML but not RDF/XML (root element <{root.tag}>)",
                detail=f"root element {root.tag!r}",
            )
    for part in parts:
        try:
            graph.parse(data=part, format="xml", publicID=base)
        except Exception as error:  # rdflib raises many kinds on bad RDF/XML
            raise SourceProtocolError(
                f"{what} is not valid RDF/XML: {error}", detail=repr(error)
            ) from None
    return _csw(root)


# -- Turtle / N-Triples --------------------------------------------------------------------


def _parse_turtle(data: bytes, base: str, what: str, fmt: RdfFormat) -> RdfGraph:
    """Turtle / N-Triples with pyoxigraph; what it refuses (undeclared prefixes, IRIs with
    spaces…) is read by rdflib's more lenient parser, as before."""
    data, _ = utf8(data, what=what)
    try:
        return oxigraph_index(data, fmt, base)
    except (SyntaxError, ValueError) as error:
        log.debug("%s: pyoxigraph refused it (%s), trying rdflib", what, error)
    return _parse_turtle_rdflib(data, base, what, fmt)


def _parse_turtle_rdflib(data: bytes, base: str, what: str, fmt: RdfFormat) -> Graph:
    declared: list[str] = []
    while True:
        prologue = "".join(
            f"@prefix {p}: <{PREFIX_FALLBACKS.get(p, f'urn:x-undeclared-prefix:{p}:')}> .\n"
            for p in declared
        ).encode()
        graph = Graph()
        try:
            graph.parse(data=prologue + data, format=fmt, publicID=base)
        except Exception as error:  # rdflib's BadSyntax and friends
            unbound = _UNBOUND.search(str(error))
            prefix = unbound.group(1) if unbound else None
            retry = fmt == "turtle" and prefix and prefix not in declared
            if retry and len(declared) < MAX_UNBOUND_PREFIXES:
                log.warning("%s uses undeclared prefix %r: supplied", what, prefix)
                declared.append(str(prefix))
                continue
            name = "N-Triples" if fmt == "nt" else "Turtle"
            message = " ".join(str(error).split())[:300]
            raise SourceProtocolError(
                f"{what} is not valid {name}: {message}", detail=repr(error)[:2000]
            ) from None
        return graph


# -- entry points --------------------------------------------------------------------------


def checked_format(
    data: bytes,
    *,
    content_type: str | None,
    format: FormatOption = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    what: str,
) -> RdfFormat:
    """The syntax to parse ``data`` with (:func:`choose_format`), after the checks every
    page passes: the size cap (SourceForbidden), not empty, not HTML (SourceProtocolError)."""
    if len(data) > max_bytes:
        raise SourceForbidden(f"{what} exceeds {max_bytes} bytes", detail=f"{len(data)} bytes")
    head = _head(data)
    if not head:
        raise SourceProtocolError(f"{what} returned an empty body instead of RDF")
    if _HTML_START.match(head):
        raise SourceProtocolError(f"{what} returned HTML instead of RDF")
    return choose_format(data, content_type, format)


def parse_document(
    data: bytes,
    *,
    content_type: str | None,
    base: str,
    format: FormatOption = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    contexts: Mapping[str, Any] | None = None,
    what: str | None = None,
) -> ParsedDocument:
    """Parse one RDF page safely (see the module docstring); ``what`` names it in errors
    (default: ``base``)."""
    what = what or base
    fmt = checked_format(
        data, content_type=content_type, format=format, max_bytes=max_bytes, what=what
    )
    csw = None
    triples: RdfGraph
    if fmt == "xml":
        triples = Graph()
        csw = _parse_rdfxml(data, triples, base, what)
    elif fmt == "json-ld":
        data, _ = utf8(data, what=what)
        triples = Graph()
        parse_jsonld(data, triples, base, what, contexts)
    else:
        triples = _parse_turtle(data, base, what, fmt)
    return ParsedDocument(triples=triples, format=fmt, csw=csw)


def parse_rdf(
    data: bytes,
    *,
    content_type: str | None,
    base: str,
    format: FormatOption = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    contexts: Mapping[str, Any] | None = None,
) -> Graph:
    """The triples of one RDF document (any syntax, chosen safely); raises
    SourceProtocolError on bad syntax and SourceForbidden on refused content."""
    return parse_document(
        data,
        content_type=content_type,
        base=base,
        format=format,
        max_bytes=max_bytes,
        contexts=contexts,
    ).graph
