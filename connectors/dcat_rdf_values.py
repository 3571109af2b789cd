"""Small readers over an rdflib graph for the DCAT mapping: literals, language tags, URIs, dates.

Every reader returns a clean value or ``None`` / empty and never raises. Literal text is
stripped and repaired when it is double-encoded UTF-8 ("Ã©tÃ©" → "été", "Â " → " "), a
mojibake common in older catalogues. Language tags are lower-cased and ISO 639-2 codes
(``xml:lang="fre"``, as GeoNetwork writes them) become their BCP 47 equivalent (``fr``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.term import Node

from catalog.dates import parse_date
from catalog.model import LocalizedList, LocalizedText
from catalog.vocab import language_code, language_tag
from connectors.rdf_index import RdfGraph, TripleIndex, shared_iri


class Vocab(Namespace):
    """An open namespace whose terms are built once and then read as plain attributes
    (rdflib builds and checks a new URIRef on every access, which the mapping does
    thousands of times a page), each the very object payloads are read into
    (:func:`connectors.rdf_index.shared_iri`)."""

    def term(self, name: str) -> URIRef:
        found = self.__dict__.get(name)
        if found is None:
            found = shared_iri(super().term(name))
            # not a name that would hide one of str's methods (``format``, ``index``…)
            if name.isidentifier() and not callable(getattr(Namespace, name, None)):
                self.__dict__[name] = found
        return found

    @property
    def title(self) -> URIRef:  # type: ignore[override]
        """``dct:title`` and the like (rdflib's own property builds a new URIRef each time)."""
        return self.term("title")

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.term(name)


# Open namespaces: rdflib's closed DCAT/DCTERMS/FOAF warn on terms they lack
# (dcat:DatasetSeries, DCAT 3), and warnings are errors in the tests.
RDF = Vocab("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Vocab("http://www.w3.org/2000/01/rdf-schema#")
DCAT = Vocab("http://www.w3.org/ns/dcat#")
DCT = Vocab("http://purl.org/dc/terms/")
FOAF = Vocab("http://xmlns.com/foaf/0.1/")
SKOS = Vocab("http://www.w3.org/2004/02/skos/core#")
OWL = Vocab("http://www.w3.org/2002/07/owl#")
ADMS = Vocab("http://www.w3.org/ns/adms#")
DCATAP = Vocab("http://data.europa.eu/r5r/")
GSP = Vocab("http://www.opengis.net/ont/geosparql#")
HYDRA = Vocab("http://www.w3.org/ns/hydra/core#")
LOCN = Vocab("http://www.w3.org/ns/locn#")
SCHEMA = Vocab("http://schema.org/")
SDO = Vocab("https://schema.org/")
SPDX = Vocab("http://spdx.org/rdf/terms#")
TIME = Vocab("http://www.w3.org/2006/time#")
VCARD = Vocab("http://www.w3.org/2006/vcard/ns#")

LABELS = (SKOS.prefLabel, RDFS.label, DCT.title, FOAF.name, LOCN.geographicName)

_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)
_STRAY_A = re.compile("\u00c2(?=[ \u00a0])")
_URL = re.compile(r"^(?:https?|ftp)://\S+$", re.I)
_TAG = re.compile(r"^[a-z]{2,8}(?:-[a-z0-9]{1,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")
_YEAR = re.compile(r"\d{4}")


def repair_mojibake(text: str) -> str:
    """``text`` decoded once more when it is UTF-8 that was read as Windows-1252 / Latin-1."""
    # ASCII text holds no mojibake (CPython knows a string is ASCII without scanning it)
    if text.isascii() or not (_MOJIBAKE.search(text) or _STRAY_A.search(text)):
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    # A no-break space read as Latin-1 ("Â\xa0") whose second half was then turned into a
    # plain space cannot be decoded back; drop the stray "Â".
    return _STRAY_A.sub("", text)


def clean(value: str | None) -> str | None:
    """A stripped, repaired string, or ``None`` when blank."""
    if value is None:
        return None
    text = repair_mojibake(str(value)).strip()
    return text or None


def lang_of(literal: Literal, default: str = "") -> str:
    """The BCP 47 tag of ``literal`` (lower case, ``fre`` → ``fr``), else ``default``."""
    tag = (literal.language or "").strip().replace("_", "-").lower()
    if not tag:
        return default
    primary, _, rest = tag.partition("-")
    if len(primary) == 3:
        short = language_tag(language_code(primary) or "")
        if short and len(short) == 2:
            tag = short + (f"-{rest}" if rest else "")
    return tag if _TAG.match(tag) else default


def objects(graph: RdfGraph, node: Node, *predicates: URIRef) -> list[Node]:
    """The objects of ``node`` for each predicate, in that order (each predicate's values
    sorted by :func:`sort_key`, so the result never depends on parse order), no repeats."""
    table = graph.properties(node) if isinstance(graph, TripleIndex) else None
    found: list[Node] = []
    for predicate in predicates:
        if table is not None:
            got = table.get(predicate)
            if not got:
                continue
            values = list(got)
        else:
            values = list(graph.objects(node, predicate))
        if len(values) > 1:
            values.sort(key=lambda v: sort_key(graph, v))
        if not found and table is not None:
            found = values  # one predicate's objects in an index are distinct already
            continue
        for value in values:
            if value not in found:
                found.append(value)
    return found


def localized(
    graph: RdfGraph, node: Node, *predicates: URIRef, default_lang: str = ""
) -> LocalizedText:
    """Text per language from the first predicate that has literals (first one per tag)."""
    for predicate in predicates:
        found: LocalizedText = {}
        for value in objects(graph, node, predicate):
            if isinstance(value, Literal):
                text = clean(str(value))
                if text:
                    found.setdefault(lang_of(value, default_lang), text)
        if found:
            return found
    return {}


def localized_list(
    graph: RdfGraph, node: Node, predicate: URIRef, *, default_lang: str = ""
) -> LocalizedList:
    """All literals of ``predicate`` grouped by language (repeats dropped)."""
    found: LocalizedList = {}
    for value in objects(graph, node, predicate):
        if isinstance(value, Literal):
            text = clean(str(value))
            tag = lang_of(value, default_lang)
            if text and text not in found.get(tag, []):
                found.setdefault(tag, []).append(text)
    return found


def first_text(graph: RdfGraph, node: Node, *predicates: URIRef) -> str | None:
    """The first literal (or IRI) value among ``predicates``, as clean text."""
    for value in objects(graph, node, *predicates):
        if isinstance(value, Literal | URIRef):
            text = clean(str(value))
            if text:
                return text
    return None


def pick_label(text: LocalizedText, lang: str = "") -> str | None:
    """One string of a LocalizedText: ``lang``, then French, English, untagged, then any."""
    for tag in (lang, "fr", "en", ""):
        if text.get(tag):
            return text[tag]
    return next(iter(text.values()), None)


def label(graph: RdfGraph, node: Node, lang: str = "") -> str | None:
    """A human label of ``node`` (prefLabel, label, title, name, or the literal itself)."""
    if isinstance(node, Literal):
        return clean(str(node))
    return pick_label(localized(graph, node, *LABELS), lang)


def is_url(value: str | None) -> bool:
    """Whether ``value`` is an absolute http(s)/ftp URL."""
    return bool(value and _URL.match(value.strip()))


def iri(graph: RdfGraph, node: Node) -> str | None:
    """An absolute IRI for ``node``: the IRI itself, a literal holding a URL, or the
    ``rdf:value`` / ``foaf:homepage`` of a blank node that stands for a resource."""
    if isinstance(node, URIRef):
        value = str(node).strip()
        return value if _ABSOLUTE_IRI.match(value) else None
    if isinstance(node, Literal):
        text = clean(str(node))
        return text if text and is_url(text) else None
    if isinstance(node, BNode):
        for inner in objects(graph, node, RDF.value, FOAF.homepage, SCHEMA.url):
            found = iri(graph, inner)
            if found:
                return found
    return None


def url(graph: RdfGraph, node: Node) -> str | None:
    """Like :func:`iri` but only http(s)/ftp URLs."""
    found = iri(graph, node)
    return found if is_url(found) else None


def first_url(graph: RdfGraph, node: Node, *predicates: URIRef) -> str | None:
    """The first http(s) URL among the values of ``predicates``."""
    for value in objects(graph, node, *predicates):
        found = url(graph, value)
        if found:
            return found
    return None


def iris_or_labels(graph: RdfGraph, values: Iterable[Node]) -> list[str]:
    """Each value as its IRI, else its label (themes, conformsTo), repeats dropped."""
    found: list[str] = []
    for value in values:
        text = iri(graph, value) if not isinstance(value, Literal) else None
        text = text or label(graph, value)
        if text and text not in found:
            found.append(text)
    return found


def when(node: Node | None, *, end: bool = False) -> date | datetime | None:
    """A date or datetime from a literal's lexical form (a bare year is its first, or
    with ``end`` its last, day); a ``time:Instant`` node is read through ``inXSD*``."""
    if node is None or not isinstance(node, Literal):
        return None
    text = (clean(str(node)) or "").strip()
    if _YEAR.fullmatch(text):
        return date(int(text), 12, 31) if end else date(int(text), 1, 1)
    parsed = parse_date(text)
    return parsed if isinstance(parsed, date | datetime) else None


def first_date(
    graph: RdfGraph, node: Node, *predicates: URIRef, end: bool = False
) -> date | datetime | None:
    """The first parseable date among ``predicates`` (``time:Instant`` nodes followed)."""
    for value in objects(graph, node, *predicates):
        if isinstance(value, Literal):
            found = when(value, end=end)
        else:
            instants = objects(
                graph, value, TIME.inXSDDateTimeStamp, TIME.inXSDDateTime, TIME.inXSDDate
            )
            found = next((when(i, end=end) for i in instants if when(i, end=end)), None)
        if found is not None:
            return found
    return None


def email(graph: RdfGraph, node: Node) -> str | None:
    """An e-mail address from a ``mailto:`` IRI, a literal or a ``vcard:hasValue`` node."""
    if isinstance(node, BNode):
        return next(
            (e for v in objects(graph, node, VCARD.hasValue) if (e := email(graph, v))), None
        )
    text = clean(str(node)) or ""
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.split("?")[0].strip()
    return text if _EMAIL.match(text) else None


def phone(graph: RdfGraph, node: Node) -> str | None:
    """A telephone number from a ``tel:`` IRI, a literal or a ``vcard:hasValue`` node."""
    if isinstance(node, BNode):
        return next(
            (p for v in objects(graph, node, VCARD.hasValue) if (p := phone(graph, v))), None
        )
    text = clean(str(node)) or ""
    return text[4:].strip() if text.lower().startswith("tel:") else (text or None)


def types(graph: RdfGraph, node: Node) -> set[URIRef]:
    """The ``rdf:type`` IRIs of ``node``."""
    return {t for t in graph.objects(node, RDF.type) if isinstance(t, URIRef)}


def dedupe(items: list[str]) -> list[str]:
    """``items`` without repeats, order kept."""
    return list(dict.fromkeys(items))


def sort_key(graph: RdfGraph, node: Node) -> str:
    """A stable ordering key: IRIs and literals by their text, blank nodes (after them) by
    their own description, since their labels change on every parse."""
    if isinstance(node, Literal):
        return f"{node}\x00{node.language or ''}\x00{node.datatype or ''}"
    if not isinstance(node, BNode):
        return str(node)
    pairs = sorted(
        f"{p} {o!r}" for p, o in graph.predicate_objects(node) if not isinstance(o, BNode)
    )
    return "~" + "\n".join(pairs)
