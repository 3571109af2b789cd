"""rdflib namespaces, the one prefix table every writer uses, and rdflib versions of the
term builders of :mod:`catalog.rdf.terms` (which the graph modules use) for other callers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import cast

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

from catalog.rdf import terms

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


def iri(value: str | None) -> URIRef | None:
    """:func:`catalog.rdf.terms.iri` as an rdflib URIRef."""
    found = terms.iri(value)
    return None if found is None else URIRef(found)


clean_text = terms.clean_text
lang_tag = terms.lang_tag
has_text = terms.has_text


def _rdflib(term: terms.Term) -> Object:
    return terms.rdflib_term(term)


def text_literals(text: dict[str, str] | None) -> Iterator[Literal]:
    """One literal per language of a LocalizedText; ``""`` (or a bad tag) → plain literal."""
    for value, lang, _ in terms.text_literals(text):
        yield Literal(value, lang=lang)


def plain(value: str | None) -> Literal | None:
    """A plain literal, or ``None`` when ``value`` is blank."""
    found = terms.plain(value)
    return None if found is None else Literal(found[0])


def when(value: date | datetime) -> Literal:
    """xsd:dateTime for a datetime, xsd:date for a date."""
    return cast(Literal, _rdflib(terms.when(value)))


def node_id(*parts: str) -> BNode:
    """A blank node whose label is derived from ``parts`` (see :func:`catalog.rdf.terms.node_id`)."""
    return BNode(terms.node_id(*parts)[2:])


def code_uri(value: str, build: Callable[[str], str]) -> URIRef | None:
    """A controlled value: a URI kept as it is, else an authority code turned into its URI."""
    found = terms.code_uri(value, build)
    return None if found is None else URIRef(found)


def child(base: str, *parts: str) -> URIRef:
    """``{base}/part/…`` with each part percent-encoded as one path segment."""
    return URIRef(terms.child(base, *parts))


def mailto(email: str | None) -> URIRef | None:
    """A ``mailto:`` IRI, or ``None`` when ``email`` has no ``@``."""
    found = terms.mailto(email)
    return None if found is None else URIRef(found)


def typed(out: Out, s: Subject, p: URIRef, o: URIRef | BNode | None, cls: URIRef) -> None:
    """``s p o`` plus ``o a cls`` — the range class the DCAT-AP shapes check."""
    if o is not None:
        out.append((s, p, o))
        out.append((o, RDF.type, cls))


def texts(out: Out, s: Subject, p: URIRef, text: dict[str, str] | None) -> None:
    """``s p`` each language of a LocalizedText."""
    out.extend((s, p, lit) for lit in text_literals(text))


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
