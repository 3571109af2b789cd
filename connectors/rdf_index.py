"""A light, read-mostly triple store for harvested RDF: subject → predicate → objects.

rdflib's ``Graph`` keeps three indices and goes through its store's ``triples()`` machinery on
every lookup; the DCAT connector only ever asks "what does this node say" (a page cut into
datasets, a dataset mapped field by field), so :class:`TripleIndex` keeps one dict per
subject and answers the few ``Graph`` reads the mapping uses (``objects``,
``predicate_objects``, ``subjects``, ``subject_objects``, ``in``) with rdflib terms, so the
mapping code runs unchanged on either. Triples are a set (a repeated triple is kept once)
and keep their insertion (document) order.

:func:`oxigraph_index` fills one from pyoxigraph's Rust parser (Turtle, N-Triples), turning
its terms into rdflib terms; typed literals go through rdflib's ``Literal`` constructor so
their lexical form is normalized exactly as rdflib's own parsers do (``"01"^^xsd:integer`` →
``"1"``). :func:`nt_lines` writes N-Triples exactly as rdflib's ``nt`` serializer does, and
:func:`nt_index` reads that form back in Python (a payload of ~65 triples costs less to read
this way than through pyoxigraph, whose per-document term conversion cannot be shared).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}

_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_INTEGER = re.compile(r"0|-?[1-9]\d*")
KEPT_FORMS: dict[str, re.Pattern[str]] = {
    _XSD + "dateTime": re.compile(_DATE + r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"),
    _XSD + "date": re.compile(_DATE),
    _XSD + "integer": _INTEGER,
    _XSD + "nonNegativeInteger": _INTEGER,
    _XSD + "long": _INTEGER,
    _XSD + "boolean": re.compile(r"true|false"),
}
"""Lexical forms rdflib's normalization leaves as they are, for the datatypes it rewrites
that DCAT pages use most (others take the exact path, cached)."""


def _date_value(lexical: str) -> date:
    return date(int(lexical[:4]), int(lexical[5:7]), int(lexical[8:10]))


def _datetime_value(lexical: str) -> datetime:
    return datetime(
        int(lexical[:4]),
        int(lexical[5:7]),
        int(lexical[8:10]),
        int(lexical[11:13]),
        int(lexical[14:16]),
        int(lexical[17:19]),
    )


def _non_negative(lexical: str) -> int:
    value = int(lexical)
    if value < 0:
        raise ValueError("negative")  # rdflib keeps it, marked ill-typed
    return value


KEPT_VALUES: dict[str, Callable[[str], object]] = {
    _XSD + "dateTime": _datetime_value,
    _XSD + "date": _date_value,
    _XSD + "integer": int,
    _XSD + "nonNegativeInteger": _non_negative,
    _XSD + "long": int,
    _XSD + "boolean": lambda lexical: lexical == "true",
}
"""The Python value rdflib gives a literal of each :data:`KEPT_FORMS` datatype whose
lexical form matches, read in a line (ValueError when rdflib would call it ill-typed)."""

Triple = tuple[Node, Node, Node]
_NO_PROPERTIES: dict[Node, dict[Node, None]] = {}


class TripleIndex:
    """A set of triples indexed by subject (see the module docstring)."""

    __slots__ = ("_by_subject", "_size")

    def __init__(self, triples: Iterable[Triple] = ()) -> None:
        self._by_subject: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._size = 0
        for triple in triples:
            self.add(triple)

    @classmethod
    def of(cls, graph: Graph | TripleIndex) -> TripleIndex:
        """``graph`` as a TripleIndex (itself when it already is one)."""
        if isinstance(graph, TripleIndex):
            return graph
        return cls(graph.triples((None, None, None)))

    def add(self, triple: Triple) -> None:
        subject, predicate, value = triple
        predicates = self._by_subject.get(subject)
        if predicates is None:
            predicates = self._by_subject[subject] = {}
        values = predicates.get(predicate)
        if values is None:
            values = predicates[predicate] = {}
        if value not in values:
            values[value] = None
            self._size += 1

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Triple]:
        for subject, predicates in self._by_subject.items():
            for predicate, values in predicates.items():
                for value in values:
                    yield subject, predicate, value

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        subject, predicate, value = triple
        if subject is None:
            return any(True for _ in self.triples(triple))
        predicates = self._by_subject.get(subject)
        if predicates is None:
            return False
        if predicate is None:
            if value is None:
                return bool(predicates)
            return any(value in values for values in predicates.values())
        values = predicates.get(predicate)
        if values is None:
            return False
        return value is None or value in values

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[Triple]:
        """The triples matching ``(s, p, o)``, ``None`` matching anything."""
        subject, predicate, value = pattern
        if subject is not None:
            found = self._by_subject.get(subject)
            candidates = [(subject, found)] if found is not None else []
        else:
            candidates = list(self._by_subject.items())
        for node, predicates in candidates:
            pairs = (
                predicates.items()
                if predicate is None
                else ([(predicate, predicates[predicate])] if predicate in predicates else [])
            )
            for p, values in pairs:
                if value is None:
                    for v in values:
                        yield node, p, v
                elif value in values:
                    yield node, p, value

    def properties(self, subject: Node) -> dict[Node, dict[Node, None]]:
        """``predicate → objects`` of ``subject`` (empty when it has none); do not modify."""
        return self._by_subject.get(subject, _NO_PROPERTIES)

    def objects(self, subject: Node | None = None, predicate: Node | None = None) -> Iterator[Node]:
        if subject is not None and predicate is not None:
            predicates = self._by_subject.get(subject)
            if predicates is not None:
                values = predicates.get(predicate)
                if values:
                    yield from values
            return
        for _, _, value in self.triples((subject, predicate, None)):
            yield value

    def predicate_objects(self, subject: Node | None = None) -> Iterator[tuple[Node, Node]]:
        for _, predicate, value in self.triples((subject, None, None)):
            yield predicate, value

    def subjects(self, predicate: Node | None = None, value: Node | None = None) -> Iterator[Node]:
        for subject, _, _ in self.triples((None, predicate, value)):
            yield subject

    def subject_objects(self, predicate: Node | None = None) -> Iterator[tuple[Node, Node]]:
        for subject, _, value in self.triples((None, predicate, None)):
            yield subject, value

    def to_graph(self) -> Graph:
        """The same triples in an rdflib ``Graph`` (for callers that need one)."""
        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in self)
        return graph


RdfGraph = Graph | TripleIndex
"""What the DCAT mapping reads: an rdflib Graph or a TripleIndex."""


# -- pyoxigraph → rdflib terms --------------------------------------------------------------


def plain_literal(text: str, language: str | None = None) -> Literal:
    """``Literal(text, lang=language)`` without its constructor's checks and casts: what
    rdflib builds for a string or language-tagged string (its value is the text itself),
    for a tag pyoxigraph has already validated. Typed literals take the real constructor."""
    literal = str.__new__(Literal, text)
    literal._language = language or None
    literal._datatype = None
    literal._value = text
    literal._ill_typed = None
    return literal


def _literal(term: ox.Literal) -> Literal:
    language = term.language
    if language:
        return plain_literal(term.value, language)
    datatype = term.datatype.value
    if datatype == XSD_STRING:
        return plain_literal(term.value)
    found = kept_literal(term.value, datatype)
    return Literal(term.value, datatype=datatype) if found is None else found


def _node(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    if isinstance(term, ox.NamedNode):
        # pyoxigraph has validated the IRI: skip URIRef's own (warning-only) check
        return str.__new__(URIRef, term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        return _literal(term)
    raise SyntaxError(f"RDF-star triple terms are not supported: {term}")


def oxigraph_index(data: bytes, fmt: str, base: str) -> TripleIndex:
    """Parse ``data`` (``fmt`` a key of :data:`OX_FORMATS`) with pyoxigraph into a
    TripleIndex of rdflib terms. Raises SyntaxError (bad syntax) or ValueError (bad base)."""
    index = TripleIndex()
    by_subject = index._by_subject
    terms: dict[object, Node] = {}  # pyoxigraph term → rdflib term, for this document
    size = 0
    for quad in ox.parse(data, format=OX_FORMATS[fmt], base_iri=base or None):
        term = quad.subject
        subject = terms.get(term)
        if subject is None:
            subject = terms[term] = _node(term)
        term = quad.predicate
        predicate = terms.get(term)
        if predicate is None:
            predicate = terms[term] = _node(term)
        term = quad.object
        value = terms.get(term)
        if value is None:
            value = terms[term] = _node(term)
        predicates = by_subject.get(subject)
        if predicates is None:
            predicates = by_subject[subject] = {}
        values = predicates.get(predicate)
        if values is None:
            values = predicates[predicate] = {}
        if value not in values:
            values[value] = None
            size += 1
    index._size = size
    return index


# -- N-Triples out --------------------------------------------------------------------------


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return '"' + escaped.replace("\r", "\\r") + '"'


def nt_term(node: Node) -> str:
    """``node`` as rdflib's ``nt`` serializer writes it."""
    if type(node) is URIRef:  # the common case first; Node is an ABC, isinstance is slow
        return _iri_n3(node)
    if isinstance(node, Literal):
        quoted = _quote(node)
        if node.language:
            return f"{quoted}@{node.language}"
        if node.datatype:
            return f"{quoted}^^<{node.datatype}>"
        return quoted
    if isinstance(node, URIRef):
        return _iri_n3(node)
    return f"_:{node}"


@lru_cache(maxsize=16_384)
def _iri_n3(node: URIRef) -> str:
    return node.n3()  # refuses what rdflib refuses


def rdflib_nt(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """A pyoxigraph term as :func:`nt_term` writes the rdflib term :func:`oxigraph_index`
    makes of it."""
    return nt_term(_node(term))


def nt_lines(triples: Iterable[Triple]) -> list[str]:
    """Every triple as one N-Triples line (no newline), as rdflib writes them."""
    return [f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ." for s, p, o in triples]


# -- N-Triples in (the form nt_lines writes) ------------------------------------------------

_ESCAPED = re.compile(r"\\(.)")
_UNESCAPES = {"\\": "\\", "n": "\n", '"': '"', "r": "\r"}
_LANGUAGE = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`]')
"""What rdflib refuses to write in an IRI (and pyoxigraph to read), control characters."""


def _unescape(match: re.Match[str]) -> str:
    found = _UNESCAPES.get(match.group(1))
    if found is None:
        raise ValueError(f"escape \\{match.group(1)} is not one rdflib writes")
    return found


def _iri(text: str) -> URIRef:
    found = _SHARED.get(text)
    if found is not None:
        return found
    return _short_iri(text) if len(text) <= 256 else _iri_of(text)


def _iri_of(text: str) -> URIRef:
    if not (text[:1] == "<" and text[-1:] == ">") or _NOT_IN_IRI.search(text, 1, len(text) - 1):
        raise ValueError(f"not an IRI: {text[:80]!r}")
    return str.__new__(URIRef, text[1:-1])


_short_iri = lru_cache(maxsize=16_384)(_iri_of)
"""Vocabulary, predicate and publisher IRIs repeat across payloads."""


@lru_cache(maxsize=256)
def _language(tag: str) -> str:
    if not _LANGUAGE.fullmatch(tag):
        raise ValueError(f"not a language tag: {tag[:80]!r}")
    return tag.lower()  # as pyoxigraph gives it


def _typed(lexical: str, datatype: str) -> Literal:
    # dates, sizes and codes repeat; long values (WKT geometries) would only bloat the cache
    return (
        _short_typed(lexical, datatype) if len(lexical) <= 64 else _typed_literal(lexical, datatype)
    )


def kept_literal(lexical: str, datatype: str) -> Literal | None:
    """The Literal rdflib's constructor builds for ``lexical`` of ``datatype``, built
    directly when the form is one rdflib keeps (:data:`KEPT_FORMS`), and well typed (its
    parsers take ~11 µs a date or number; this ~1 µs); None otherwise."""
    form = KEPT_FORMS.get(datatype)
    if form is None or not form.fullmatch(lexical):
        return None
    try:
        value = KEPT_VALUES[datatype](lexical)
    except ValueError:  # a 31st of February, a negative count: the constructor's business
        return None
    literal = str.__new__(Literal, lexical)
    literal._language = None
    literal._datatype = _iri(f"<{datatype}>")
    literal._value = value
    literal._ill_typed = False
    return literal


def _typed_literal(lexical: str, datatype: str) -> Literal:
    if datatype == XSD_STRING:
        return plain_literal(lexical)
    if datatype == LANG_STRING:
        raise ValueError("rdf:langString without a language tag")
    found = kept_literal(lexical, datatype)  # not `or`: a Literal's truth is its value's
    return Literal(lexical, datatype=_iri(f"<{datatype}>")) if found is None else found


_short_typed = lru_cache(maxsize=16_384)(_typed_literal)


def nt_node(text: str) -> Node:
    """The rdflib term of one N-Triples term as :func:`nt_term` writes it (the term
    pyoxigraph's reader, through :func:`oxigraph_index`, would give). Raises ValueError on
    anything else."""
    first = text[:1]
    if first == "<":
        return _iri(text)
    if first == "_":
        if text[1:2] != ":" or len(text) < 3:
            raise ValueError(f"not a blank node: {text[:80]!r}")
        return BNode(text[2:])
    if first != '"':
        raise ValueError(f"not an N-Triples term: {text[:80]!r}")
    end = text.rindex('"')
    if end == 0:
        raise ValueError(f"unterminated literal: {text[:80]!r}")
    lexical = text[1:end]
    if "\\" in lexical:
        lexical = _ESCAPED.sub(_unescape, lexical)
    tail = text[end + 1 :]
    if not tail:
        return plain_literal(lexical)
    if tail[0] == "@":
        return plain_literal(lexical, _language(tail[1:]))
    if tail[:3] == "^^<" and tail[-1] == ">":
        return _typed(lexical, tail[3:-1])
    raise ValueError(f"not an N-Triples literal: {text[:80]!r}")


TERM_CHARS = 256
"""The longest N-Triples term :data:`_TERMS` keeps (titles, descriptions and geometries
rarely repeat; bounding them bounds the cache's memory)."""
MAX_TERMS = 16_384
"""The most terms :data:`_TERMS` holds: reaching it empties it (~12 MB at worst, a few MB
with a catalogue's usual IRIs and short literals)."""

_TERMS: dict[str, Node] = {}
"""N-Triples term → rdflib term, shared by every payload this process reads: vocabulary,
licence, format, theme, publisher and contact terms repeat from one dataset to the next, and
rdflib terms are immutable (a 1,000-dataset Turtle harvest: 2.5 % fewer instructions)."""


_SHARED: dict[str, URIRef] = {}
"""N-Triples IRI → the one URIRef the mapping's vocabulary and every payload read share."""


def shared_iri(iri: URIRef) -> URIRef:
    """The URIRef :func:`nt_index` gives for ``iri`` from now on: ``iri`` itself, or the
    equal term payloads read so far hold. A vocabulary term the mapping looks up and the
    term in an index are then one object, and a dict finds it by identity, without
    calling rdflib's ``__eq__`` (written in Python) on every hit."""
    text = f"<{iri}>"
    found = _SHARED.get(text)
    if found is None:
        cached = _TERMS.get(text)
        found = _SHARED[text] = cached if type(cached) is URIRef else iri
    return found


def read_iri(iri: str) -> URIRef:
    """``URIRef(iri)``: the object the payloads read last hold for it when it is still
    cached (a dataset's node, looked up ~100 times by its mapping, then matches by
    identity; see :func:`shared_iri`)."""
    found = _TERMS.get(f"<{iri}>")
    return found if type(found) is URIRef else URIRef(iri)


def _remembered(text: str, node: Node) -> Node:
    """``node`` (the term of ``text``), kept in :data:`_TERMS` when ``text`` is short enough."""
    if len(text) <= TERM_CHARS:
        if len(_TERMS) >= MAX_TERMS:
            _TERMS.clear()
        _TERMS[text] = node
    return node


def nt_index(text: str) -> TripleIndex:
    """The triples of N-Triples ``text`` written as :func:`nt_lines` writes them (one triple
    a line, single spaces, rdflib's escapes), read without pyoxigraph. Raises ValueError on
    any other form: callers fall back to a real parser."""
    index = TripleIndex()
    by_subject = index._by_subject
    terms = _TERMS
    size = 0
    # a payload's lines are sorted: a line's subject and predicate are mostly the last one's
    last_subject: str | None = None
    last_predicate: str | None = None
    predicates: dict[Node, dict[Node, None]] = {}
    values: dict[Node, None] = {}
    for line in text.split("\n"):
        if not line:
            continue
        subject_text, predicate_text, rest = line.split(" ", 2)
        if rest[-2:] != " .":
            raise ValueError(f"not an N-Triples line: {line[:80]!r}")
        if subject_text != last_subject:
            subject = terms.get(subject_text)
            if subject is None:
                subject = _remembered(subject_text, nt_node(subject_text))
            if type(subject) is Literal:  # a cached term may have been read as an object
                raise ValueError(f"literal subject: {line[:80]!r}")
            found = by_subject.get(subject)
            if found is None:
                found = by_subject[subject] = {}
            predicates, last_subject, last_predicate = found, subject_text, None
        if predicate_text != last_predicate:
            predicate = terms.get(predicate_text)
            if type(predicate) is not URIRef:  # not cached, or cached as a non-IRI object
                predicate = _remembered(predicate_text, _iri(predicate_text))
            known_values = predicates.get(predicate)
            if known_values is None:
                known_values = predicates[predicate] = {}
            values, last_predicate = known_values, predicate_text
        value_text = rest[:-2]
        value = terms.get(value_text)
        if value is None:
            value = _remembered(value_text, nt_node(value_text))
        # one hash of the value (a Literal's is computed in Python): setting a key already
        # there keeps it, and its place
        known = len(values)
        values[value] = None
        size += len(values) - known
    index._size = size
    return index
