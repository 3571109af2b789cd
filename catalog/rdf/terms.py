"""Lightweight RDF terms: what the graph modules build and the writers render.

Building rdflib terms dominated whole-catalogue exports (``Literal.__new__`` casts every
lexical form to a Python value and back), so the graph modules build plain values instead:

* an **IRI** is a ``str``, already made safe for every syntax by :func:`iri`;
* a **blank node** is a ``str`` starting with ``_:`` (``_:b`` + 24 hex digits, from
  :func:`node_id`) — an IRI never starts with ``_``, as :func:`iri` requires a scheme;
* a **literal** is a tuple ``(lexical form, language tag or None, datatype IRI or None)``.

A :data:`Statement` is ``(subject, predicate, object)`` of those. Each writer renders them
with plain string operations; the vocabulary terms (``DCAT.Dataset``…) are interned once, so
a writer caches their rendering (prefixed name, XML tag) — and only theirs: the cache is
bounded by the vocabulary, never by the catalogue. :func:`to_rdflib` gives the equivalent
rdflib triple, lexical forms unchanged (they are the ones rdflib itself would normalise to,
see ``tests/catalog/test_rdf_terms.py``).

What recurs from dataset to dataset (URLs, dates, licences, media types) is computed once and
kept in a :class:`Memo`, a dict that empties itself when full: memory stays bounded whatever
the catalogue.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import TypeVar, cast
from urllib.parse import quote

from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

_K = TypeVar("_K")
_V = TypeVar("_V")

Lit = tuple[str, str | None, str | None]
"""A literal: (lexical form, lower-case language tag or None, datatype IRI or None)."""
Term = str | Lit
"""An IRI (``str``), a blank node (``str`` starting with ``_:``) or a :data:`Lit`."""
Statement = tuple[str, str, Term]
"""(subject IRI or blank node, predicate IRI, object)."""
Statements = list[Statement]
"""The graph modules append to a plain list."""

VOCABULARY: dict[str, tuple[str, str]] = {}
"""IRI → (prefix, local name) of every vocabulary term used: the writers render these with
prefixed names and may cache them. Filled at import with :data:`TERMS`, then by
:class:`Vocab` as other terms are first used (none, while TERMS lists them all)."""


class Vocab:
    """A namespace whose attributes are its terms as plain ``str`` IRIs, interned on first
    use (``DCAT.Dataset`` → ``"http://www.w3.org/ns/dcat#Dataset"``) and registered in
    :data:`VOCABULARY` under ``prefix``. (Not a ``str`` subclass: ``DCTERMS.title`` or
    ``DCTERMS.format`` would be string methods.) ``namespace``, ``prefix`` and ``term`` are
    taken: use ``.term(name)`` for a term so named, or one that is not a Python name."""

    def __init__(self, namespace: str, prefix: str) -> None:
        self.namespace = namespace
        self.prefix = prefix

    def __str__(self) -> str:
        return self.namespace

    def __add__(self, name: str) -> str:
        return self.namespace + name

    def term(self, name: str) -> str:
        value = self.namespace + name
        if _LOCAL.match(name):
            VOCABULARY[value] = (self.prefix, name)
        return value

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        value = self.term(name)
        setattr(self, name, value)  # next time an instance attribute: a dict lookup
        return value


_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")  # a local name safe in Turtle and XML

ADMS = Vocab("http://www.w3.org/ns/adms#", "adms")
DCAT = Vocab("http://www.w3.org/ns/dcat#", "dcat")
DCATAP = Vocab("http://data.europa.eu/r5r/", "dcatap")
DCTERMS = Vocab("http://purl.org/dc/terms/", "dct")
ELI = Vocab("http://data.europa.eu/eli/ontology#", "eli")
FOAF = Vocab("http://xmlns.com/foaf/0.1/", "foaf")
GSP = Vocab("http://www.opengis.net/ont/geosparql#", "gsp")
HYDRA = Vocab("http://www.w3.org/ns/hydra/core#", "hydra")
LOCN = Vocab("http://www.w3.org/ns/locn#", "locn")
OWL = Vocab("http://www.w3.org/2002/07/owl#", "owl")
PROV = Vocab("http://www.w3.org/ns/prov#", "prov")
RDF = Vocab("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf")
RDFS = Vocab("http://www.w3.org/2000/01/rdf-schema#", "rdfs")
SKOS = Vocab("http://www.w3.org/2004/02/skos/core#", "skos")
SPDX = Vocab("http://spdx.org/rdf/terms#", "spdx")
VCARD = Vocab("http://www.w3.org/2006/vcard/ns#", "vcard")
XSD = Vocab("http://www.w3.org/2001/XMLSchema#", "xsd")
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"  # no prefix: full IRIs
HVD_CATEGORY = "http://data.europa.eu/bna/"

TERMS: dict[Vocab, str] = {
    ADMS: "Identifier identifier",
    DCAT: "Catalog DataService Dataset DatasetSeries Distribution accessService accessURL bbox "
    "byteSize contactPoint dataset distribution downloadURL endDate endpointURL keyword "
    "landingPage mediaType servesDataset startDate theme version",
    DCATAP: "applicableLegislation hvdCategory",
    DCTERMS: "Frequency LicenseDocument LinguisticSystem Location MediaType MediaTypeOrExtent "
    "PeriodOfTime RightsStatement Standard accessRights accrualPeriodicity conformsTo creator "
    "description format identifier issued language license modified publisher rights spatial "
    "temporal title type",
    ELI: "LegalResource",
    FOAF: "Agent Document homepage mbox name page",
    GSP: "asGeoJSON asWKT geoJSONLiteral wktLiteral",
    HYDRA: "Collection PagedCollection PartialCollectionView first firstPage itemsPerPage last "
    "lastPage next nextPage previous previousPage totalItems view",
    LOCN: "Geometry geometry",
    OWL: "versionInfo",
    PROV: "wasDerivedFrom",
    RDF: "type",
    RDFS: "Resource label",
    SKOS: "Concept notation prefLabel",
    SPDX: "Checksum ChecksumAlgorithm algorithm checksum checksumValue checksumAlgorithm_md5 "
    "checksumAlgorithm_sha1 checksumAlgorithm_sha224 checksumAlgorithm_sha256 "
    "checksumAlgorithm_sha384 checksumAlgorithm_sha512",
    VCARD: "Kind fn hasEmail hasTelephone hasURL",
    XSD: "anyURI date dateTime hexBinary integer nonNegativeInteger",
}
"""Every vocabulary term the graph modules write, registered at import: which IRIs get
prefixed names then does not depend on what a process has built before, so writers in
several processes (``moisson export``) write the same bytes as one."""
for _vocab, _names in TERMS.items():
    for _name in _names.split():
        _vocab.term(_name)

RDF_TYPE = RDF.type
XSD_DATE = XSD.date
XSD_DATETIME = XSD.dateTime

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+\Z")  # what quote(part, safe="") keeps as is
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_LANG = re.compile(r"^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$")


class Memo(dict[_K, _V]):
    """A cache for values that repeat from dataset to dataset (licences, formats, dates,
    publishers' URLs): it forgets everything once it holds ``limit`` entries, so its size is
    bounded whatever the catalogue. Read it with ``get``, fill it with :meth:`keep`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: _K, value: _V) -> _V:
        """Remember ``key`` → ``value`` and return ``value``."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


def _percent(match: re.Match[str]) -> str:
    return f"%{ord(match.group()):02X}"


_IRIS: Memo[str, str | None] = Memo(1024)
_NOT_CACHED = "?"  # never a cached value: an IRI, a lower-case BCP 47 tag or None


def iri(value: str | None) -> str | None:
    """``value`` as an absolute IRI, with the characters IRIs forbid (spaces, ``<>"{}|\\^```)
    percent-encoded so every syntax can write it; ``None`` when it is not absolute."""
    if not value:
        return None
    # A dataset repeats its own URLs (landing page, access = download URL) and shares many
    # with others (licences, publishers): matching a long URL costs ~20 dict look-ups.
    found = _IRIS.get(value, _NOT_CACHED)
    if found is not _NOT_CACHED:
        return found
    return _IRIS.keep(value, _absolute_iri(value))


def _absolute_iri(value: str) -> str | None:
    value = value.strip()
    if not _SCHEME.match(value):
        return None
    if value.isprintable() and not _unsafe_printable(value):  # nothing to encode
        return value
    return _IRI_UNSAFE.sub(_percent, value)


def _unsafe_printable(value: str) -> bool:
    """Whether ``value`` holds one of the printable characters IRIs forbid. (Ten ``in``
    tests and ``isprintable()`` cost half a regex search, ~5 ns per character of a URL.)"""
    return (
        " " in value or "<" in value or ">" in value or '"' in value or "{" in value
        or "}" in value or "|" in value or "\\" in value or "^" in value or "`" in value
    )  # fmt: skip


def clean_text(value: str | None) -> str:
    """``value`` stripped, without the control characters XML 1.0 cannot carry."""
    if not value:
        return ""
    # isprintable() is twice as quick as the regex, and every control character is
    # unprintable: the regex only runs on text with line breaks, tabs…
    if value.isprintable() or _CONTROL.search(value) is None:
        return value.strip()
    return _CONTROL.sub("", value).strip()


_LANG_TAGS: dict[str, str | None] = {"": None}


def lang_tag(tag: str) -> str | None:
    """A lower-case BCP 47 tag (``fr_CA`` → ``fr-ca``), or ``None`` (untagged) if invalid."""
    found = _LANG_TAGS.get(tag, _NOT_CACHED)
    if found is not _NOT_CACHED:
        return found
    clean = tag.strip().replace("_", "-").lower()
    result = clean if _LANG.match(clean) else None
    if len(_LANG_TAGS) < 1000:  # the tags a catalogue uses are few; bounded all the same
        _LANG_TAGS[tag] = result
    return result


def text_literals(text: dict[str, str] | None) -> Iterator[Lit]:
    """One literal per language of a LocalizedText; ``""`` (or a bad tag) → plain literal."""
    if not text:
        return
    for tag, value in text.items():
        cleaned = clean_text(value)
        if cleaned:
            yield (cleaned, lang_tag(tag) if tag else None, None)


def plain(value: str | None) -> Lit | None:
    """A plain literal, or ``None`` when ``value`` is blank."""
    cleaned = clean_text(value)
    return (cleaned, None, None) if cleaned else None


_MOMENTS: Memo[object, Lit] = Memo(1024)


def when(value: date | datetime) -> Lit:
    """xsd:dateTime for a datetime, xsd:date for a date."""
    # Distributions mostly repeat their dataset's dates. Equal aware datetimes may differ in
    # offset (the same instant in two zones): with the same tzinfo they are the same wall
    # time, whose offset only ``fold`` may change. (Not ``utcoffset()`` in the key: a call
    # into pydantic's TzInfo costs twice the rest of a hit.)
    if isinstance(value, datetime):
        key: object = (value, value.tzinfo, value.fold)
        found = _MOMENTS.get(key)
        if found is None:
            found = _MOMENTS.keep(key, (value.isoformat(), None, XSD_DATETIME))
        return found
    found = _MOMENTS.get(value)
    if found is None:
        found = _MOMENTS.keep(value, (value.isoformat(), None, XSD_DATE))
    return found


def node_id(*parts: str) -> str:
    """A blank node whose label is derived from ``parts``: the same input gives the same
    output, so exports are byte-for-byte reproducible."""
    digest = hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()
    return "_:b" + digest[:24]


_CODES: dict[tuple[str, Callable[[str], str]], str | None] = {}


def code_uri(value: str, build: Callable[[str], str]) -> str | None:
    """A controlled value: a URI kept as it is, else an authority code turned into its URI."""
    key = (value, build)
    found = _CODES.get(key, "")
    if found != "":
        return found
    found = iri(value) or iri(build(value.strip()))
    if len(_CODES) < 4096:  # codes repeat from dataset to dataset; URIs may not: bounded
        _CODES[key] = found
    return found


def child(base: str, *parts: str) -> str:
    """``{base}/part/…`` with each part percent-encoded as one path segment."""
    path = base.rstrip("/")
    for part in parts:
        path += "/" + (part if _SAFE_SEGMENT.match(part) is not None else quote(part, safe=""))
    return path


def mailto(email: str | None) -> str | None:
    """A ``mailto:`` IRI, or ``None`` when ``email`` has no ``@``."""
    email = (email or "").strip().removeprefix("mailto:")
    return iri(f"mailto:{email}") if "@" in email else None


def typed(out: Statements, s: str, p: str, o: str | None, cls: str) -> None:
    """``s p o`` plus ``o a cls`` — the range class the DCAT-AP shapes check."""
    if o is not None:
        out.append((s, p, o))
        out.append((o, RDF_TYPE, cls))


def texts(out: Statements, s: str, p: str, text: dict[str, str] | None) -> None:
    """``s p`` each language of a LocalizedText."""
    if text:
        for tag, value in text.items():  # clean_text and lang_tag's hits, inline
            cleaned = value.strip() if value.isprintable() else clean_text(value)
            if cleaned:
                lang = _LANG_TAGS.get(tag, _NOT_CACHED)
                if lang is _NOT_CACHED:
                    lang = lang_tag(tag)
                out.append((s, p, (cleaned, lang, None)))


def tagged(out: Statements, s: str, p: str, tag: str, values: list[str]) -> None:
    """``s p`` each of ``values``, all in language ``tag`` (keywords)."""
    lang = lang_tag(tag)
    for value in values:
        cleaned = value.strip() if value.isprintable() else clean_text(value)
        if cleaned:
            out.append((s, p, (cleaned, lang, None)))


def has_text(text: dict[str, str] | None) -> bool:
    """Whether a LocalizedText has any non-blank value."""
    if text:
        for value in text.values():
            if value and clean_text(value):
                return True
    return False


# --- rdflib interchange -------------------------------------------------------------------


def rdflib_term(term: Term) -> URIRef | BNode | RdfLiteral:
    """The rdflib term of a lightweight one."""
    if isinstance(term, str):
        return BNode(term[2:]) if term[0] == "_" else URIRef(term)
    lexical, lang, datatype = term
    return RdfLiteral(lexical, lang=lang, datatype=URIRef(datatype) if datatype else None)


RdflibTriple = tuple[URIRef | BNode, URIRef, URIRef | BNode | RdfLiteral]


def to_rdflib(statements: Iterable[Statement]) -> list[RdflibTriple]:
    """rdflib triples of ``statements`` (same order)."""
    return [
        (cast(URIRef | BNode, rdflib_term(s)), URIRef(p), rdflib_term(o)) for s, p, o in statements
    ]


def from_rdflib_term(term: Node) -> Term:
    """The lightweight term of an rdflib one (lexical form as rdflib normalised it)."""
    if isinstance(term, RdfLiteral):
        datatype = str(term.datatype) if term.datatype else None
        return (str(term), term.language, datatype)
    if isinstance(term, BNode):
        return "_:" + re.sub(r"[^A-Za-z0-9_]", "_", str(term))
    return str(term)


def from_rdflib(triples: Iterable[tuple[Node, Node, Node]]) -> Statements:
    """Lightweight statements of rdflib triples (same order)."""
    return [
        (from_rdflib_term(s), str(p), from_rdflib_term(o))  # type: ignore[misc]
        for s, p, o in triples
    ]
