"""Namespaces, the one prefix table every writer uses, and the small term builders
(IRIs, tagged and dated literals, deterministic blank nodes) the graph modules share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

ADMS = Namespace("http://www.w3.org/ns/adms#")
# rdflib's DCAT lacks DCAT 3 terms (dcat:version…) and warns on them: an open namespace.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
HVD_CATEGORY = Namespace("http://data.europa.eu/bna/")

Subject = URIRef | BNode
Object = URIRef | BNode | Literal
Triple = tuple[Subject, URIRef, Object]
Out = list[Triple]
"""The graph modules append to a plain list: cheaper than an rdflib Graph per dataset."""

PREFIXES: dict[str, str] = {
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dcatap": str(DCATAP),
    "dct": str(DCTERMS),
    "eli": str(ELI),
    "foaf": str(FOAF),
    "gsp": str(GSP),
    "hydra": str(HYDRA),
    "locn": str(LOCN),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "spdx": str(SPDX),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}
"""Prefix → namespace IRI. No prefix is a URI scheme (``http``, ``mailto``, ``tel``, ``urn``),
so a compact IRI can never be mistaken for an absolute one."""


def bind_prefixes(graph: Graph) -> Graph:
    """Bind :data:`PREFIXES` on ``graph`` (replacing rdflib's defaults) and return it."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_LANG = re.compile(r"^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$")


def iri(value: str | None) -> URIRef | None:
    """``value`` as an absolute IRI, with the characters IRIs forbid (spaces, ``<>"{}|\\^```)
    percent-encoded so every syntax can write it; ``None`` when it is not absolute."""
    if not value:
        return None
    value = value.strip()
    if not _SCHEME.match(value):
        return None
    return URIRef(_IRI_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", value))


def clean_text(value: str | None) -> str:
    """``value`` stripped, without the control characters XML 1.0 cannot carry."""
    return _CONTROL.sub("", value).strip() if value else ""


def lang_tag(tag: str) -> str | None:
    """A lower-case BCP 47 tag (``fr_CA`` → ``fr-ca``), or ``None`` (untagged) if invalid."""
    tag = tag.strip().replace("_", "-").lower()
    return tag if _LANG.match(tag) else None


def text_literals(text: dict[str, str] | None) -> Iterator[Literal]:
    """One literal per language of a LocalizedText; ``""`` (or a bad tag) → plain literal."""
    for tag, value in (text or {}).items():
        cleaned = clean_text(value)
        if cleaned:
            yield Literal(cleaned, lang=lang_tag(tag) if tag else None)


def plain(value: str | None) -> Literal | None:
    """A plain literal, or ``None`` when ``value`` is blank."""
    cleaned = clean_text(value)
    return Literal(cleaned) if cleaned else None


def when(value: date | datetime) -> Literal:
    """xsd:dateTime for a datetime, xsd:date for a date."""
    if isinstance(value, datetime):
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


def node_id(*parts: str) -> BNode:
    """A blank node whose label is derived from ``parts``: the same input gives the same
    output, so exports are byte-for-byte reproducible."""
    digest = hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()
    return BNode("b" + digest[:24])


def code_uri(value: str, build: Callable[[str], str]) -> URIRef | None:
    """A controlled value: a URI kept as it is, else an authority code turned into its URI."""
    return iri(value) or iri(build(value.strip()))


def child(base: str, *parts: str) -> URIRef:
    """``{base}/part/…`` with each part percent-encoded as one path segment."""
    return URIRef("/".join([base.rstrip("/"), *(quote(part, safe="") for part in parts)]))


def mailto(email: str | None) -> URIRef | None:
    """A ``mailto:`` IRI, or ``None`` when ``email`` has no ``@``."""
    email = (email or "").strip().removeprefix("mailto:")
    return iri(f"mailto:{email}") if "@" in email else None


def typed(out: Out, s: Subject, p: URIRef, o: URIRef | BNode | None, cls: URIRef) -> None:
    """``s p o`` plus ``o a cls`` — the range class the DCAT-AP shapes check."""
    if o is not None:
        out.append((s, p, o))
        out.append((o, RDF.type, cls))


def texts(out: Out, s: Subject, p: URIRef, text: dict[str, str] | None) -> None:
    """``s p`` each language of a LocalizedText."""
    out.extend((s, p, lit) for lit in text_literals(text))


def has_text(text: dict[str, str] | None) -> bool:
    """Whether a LocalizedText has any non-blank value."""
    return any(clean_text(value) for value in (text or {}).values())


__all__ = [
    "ADMS",
    "DCAT",
    "DCATAP",
    "DCTERMS",
    "ELI",
    "FOAF",
    "GSP",
    "HVD_CATEGORY",
    "HYDRA",
    "LOCN",
    "OWL",
    "PREFIXES",
    "PROV",
    "PUBLISHER_TYPE",
    "RDF",
    "RDFS",
    "SKOS",
    "SPDX",
    "VCARD",
    "XSD",
    "Object",
    "Out",
    "Subject",
    "Triple",
    "bind_prefixes",
    "child",
    "clean_text",
    "code_uri",
    "has_text",
    "iri",
    "lang_tag",
    "mailto",
    "node_id",
    "plain",
    "text_literals",
    "texts",
    "typed",
    "when",
]
