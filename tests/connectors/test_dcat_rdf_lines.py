"""Pages cut on N-Triples text (``connectors.dcat_rdf_lines``) give byte for byte the remote
ids and payloads the rdflib-term path gives (``describe`` on a subject index), and payloads
read back in Python (``nt_index``) are the graphs pyoxigraph reads."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from connectors import rdf_index
from connectors.dcat_rdf_graphs import (
    MAX_DEPTH,
    dataset_indexes,
    load_payload,
    payload_text,
    remote_id,
)
from connectors.dcat_rdf_lines import (
    KEPT_FORMS,
    _unconverted,
    cut_lines,
    paging,
    rdflib_form,
    read_lines,
)
from connectors.dcat_rdf_pages import cut_page
from connectors.errors import SourceProtocolError
from connectors.rdf_index import kept_literal, nt_index, nt_lines, oxigraph_index, rdflib_nt
from connectors.rdf_parse import parse_document
from tests.connectors.test_dcat_rdf_parse_paths import BASE, DOCUMENTS, simulated_page

XSD = "http://www.w3.org/2001/XMLSchema#"

Cuts = list[tuple[str, str, str]]


def term_path(data: bytes, fmt: str = "turtle") -> Cuts:
    """What the rdflib-term path cuts from the same triples (pyoxigraph into a subject index)."""
    index = oxigraph_index(data, fmt, BASE)
    return [
        (remote_id(small, key), key, payload_text(small)) for key, small in dataset_indexes(index)
    ]


def text_path(data: bytes, fmt: str = "turtle") -> Cuts | None:
    return cut_lines(read_lines(data, fmt, BASE))


def as_ntriples(data: bytes) -> bytes:
    """Any fixture's triples as N-Triples (what the text path can read)."""
    graph = parse_document(data, content_type=None, base=BASE).graph
    return graph.serialize(format="nt", encoding="utf-8")


def cases() -> list[tuple[str, bytes, str]]:
    found = []
    for name, data in DOCUMENTS:
        if name.endswith(".ttl"):
            found.append((name, data, "turtle"))
            continue
        try:
            found.append((name + ".nt", as_ntriples(data), "nt"))
        except SourceProtocolError:
            continue  # the fixture of a refused document
    return found


CASES = cases()


@pytest.mark.parametrize(("name", "data", "fmt"), CASES, ids=[c[0] for c in CASES])
def test_text_path_cuts_every_fixture_as_the_term_path(name: str, data: bytes, fmt: str) -> None:
    try:
        expected = term_path(data, fmt)
    except SyntaxError:
        with pytest.raises(SyntaxError):
            read_lines(data, fmt, BASE)
        return
    found = text_path(data, fmt)
    if found is None:  # left to the term path: a blank-node dataset
        assert any(key.startswith("_:") for _, key, _ in expected), name
        return
    assert found == expected


def test_the_text_path_reads_most_fixtures() -> None:
    cut = 0
    for _, data, fmt in CASES:
        try:
            cut += len(text_path(data, fmt) or [])
        except SyntaxError:
            continue
    assert cut >= 250


ODD = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .

<http://example.org/catalog> a dcat:Catalog ; dcat:dataset ex:d1, ex:d2, ex:gone .
ex:d2 a dcat:Dataset ;
    dct:identifier "  b\\tc\\u0001 ", <http://example.org/id/2> ;
    dct:title "tab\\there"@EN-gb, "form\\ffeed", "a\\u2028b", "quote \\" and \\\\ slash" ;
    dct:issued "2020-01-01T00:00:00Z"^^xsd:dateTime, "2020-01-01T00:00:00"^^xsd:dateTime ;
    dct:modified "2020-02-30"^^xsd:date, "2021-13-01"^^xsd:date, "0000-01-01"^^xsd:date ;
    dcat:byteSize "01"^^xsd:integer, "1"^^xsd:integer, "-0"^^xsd:integer, "1e3"^^xsd:double ;
    ex:flag "1"^^xsd:boolean, "true"^^xsd:boolean, "  spaced  out "^^xsd:token ;
    ex:custom "x  y"^^<http://example.org/type>, "p"^^xsd:string, "tab\\tin"^^xsd:anyURI ;
    dcat:contactPoint [ a <http://www.w3.org/2006/vcard#Kind> ; foaf:name "same" ] ,
                      [ a <http://www.w3.org/2006/vcard#Kind> ; foaf:name "same" ;
                        ex:has [ ex:deep "one" ] ] ,
                      [ foaf:name "other" ; ex:has [ ex:deep "two" ] ] ;
    dct:spatial [ ex:next [ ex:next [ ex:next [ ex:next [ ex:next [ ex:next [ ex:next
        [ ex:next [ ex:leaf "too deep" ] ] ] ] ] ] ] ] ] ;
    dct:publisher ex:org ; dct:relation ex:d1, <http://example.org/catalog> ;
    dct:isPartOf ex:d2 ;
    a [ ex:odd "blank type" ] .
ex:d1 a dcat:Dataset ; dct:title "one" ; dct:publisher ex:org ; dct:identifier "d1" .
ex:org a foaf:Organization ; foaf:name "Org" ; ex:back ex:d2 ; ex:loop ex:org ;
    ex:rel ex:a-b, ex:a .
ex:a ex:x [ ex:label "under a" ] .
ex:a-b ex:x [ ex:label "under a-b" ] .
<relative/thing> ex:x "resolved against the base" .
ex:d1 dct:relation <relative/thing> .
"""


def test_odd_page_is_cut_as_the_term_path_cuts_it() -> None:
    data = ODD.encode()
    expected = term_path(data)
    found = text_path(data)
    assert found == expected
    assert [ident for ident, _, _ in expected] == ["d1", "b\tc\x01"]
    d2 = expected[1][2]
    assert "_:b9" in d2  # labels assigned in the sorted visiting order
    assert "too deep" not in d2 and "under a-b" in d2
    assert '"1"^^<http://www.w3.org/2001/XMLSchema#integer>' in d2
    assert '"2020-01-01T00:00:00+00:00"' in d2  # rdflib's normal form, not pyoxigraph's
    assert "tab\there" in d2 and "\\t" not in d2


def test_simulated_page_is_cut_as_the_term_path_cuts_it() -> None:
    for page in (1, 2):
        data = simulated_page(page)
        assert text_path(data) == term_path(data)


def test_blank_node_datasets_are_left_to_the_term_path() -> None:
    data = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
    [] a dcat:Dataset ; <http://purl.org/dc/terms/title> "blank" ."""
    assert text_path(data) is None
    [(ident, key, _)] = cut_page(data, content_type="text/turtle", base=BASE, what="p").datasets
    assert key == "_:b0" and ident.startswith("bnode:")


def test_paging_triples_are_read_as_rdflib_terms() -> None:
    lines = read_lines(simulated_page(1), "turtle", BASE)
    found = paging(lines)
    hydra = "http://www.w3.org/ns/hydra/core#"
    [total] = found.objects(None, URIRef(hydra + "totalItems"))
    assert total == Literal(60) and isinstance(total, Literal)
    [next_page] = found.objects(None, URIRef(hydra + "nextPage"))
    assert str(next_page).endswith("page=2")


def test_triple_terms_are_refused_as_before() -> None:
    data = b"<http://a/s> <http://a/p> <<( <http://a/s> <http://a/p> <http://a/o> )>> ."
    with pytest.raises(SyntaxError):
        read_lines(data, "turtle", BASE)
    with pytest.raises(SourceProtocolError):
        cut_page(data, content_type="text/turtle", base=BASE, what="p")
    quoted = b'<http://a/s> a <http://www.w3.org/ns/dcat#Dataset> ; <http://a/p> "<<( x )>>" .'
    assert text_path(quoted) == term_path(quoted)


# -- literals -------------------------------------------------------------------------------


def _lexicals(form: str, rng: random.Random) -> list[str]:
    digits = "0123456789"
    if form.endswith(("dateTime", "date")):
        out = [
            f"{rng.choice(['0000', '0001', '0999', '1970', '2000', '2023', '2024', '9999'])}"
            f"-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            for _ in range(300)
        ]
        if form.endswith("dateTime"):
            out = [f"{d}T{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:59" for d in out]
        return out
    if form.endswith("boolean"):
        return ["true", "false", "1", "0", "True"]
    return ["0", "-0", "00", "7", "-7", "+7", "007"] + [
        rng.choice(["", "-"]) + rng.choice(digits[1:]) + "".join(rng.choices(digits, k=30))
        for _ in range(100)
    ]


@pytest.mark.parametrize("datatype", sorted(KEPT_FORMS))
def test_kept_forms_are_kept_by_rdflib(datatype: str) -> None:
    rng = random.Random(7)
    matched = 0
    for lexical in _lexicals(datatype, rng):
        if KEPT_FORMS[datatype].fullmatch(lexical):
            matched += 1
            assert str(Literal(lexical, datatype=URIRef(datatype))) == lexical
    assert matched > 0


def _slots(literal: Literal) -> tuple[object, ...]:
    value = literal._value
    return (
        type(literal),
        str(literal),
        literal._language,
        type(literal._datatype),
        literal._datatype,
        type(value),
        value,
        getattr(value, "tzinfo", None),
        literal._ill_typed,
    )


@pytest.mark.parametrize("datatype", sorted(KEPT_FORMS))
def test_kept_literals_are_rdflibs(datatype: str) -> None:
    """A literal of a kept form built directly is the one rdflib's constructor builds, slot
    for slot (value, its type, ill-typed flag); forms it would call ill-typed are left to
    the constructor."""
    rng = random.Random(11)
    built = left = 0
    for lexical in _lexicals(datatype, rng):
        quick = kept_literal(lexical, datatype)
        if quick is None:
            left += 1
            continue
        built += 1
        assert _slots(quick) == _slots(Literal(lexical, datatype=URIRef(datatype))), lexical
        assert _slots(rdf_index._typed_literal(lexical, datatype)) == _slots(quick)
    assert built > 0 and left > 0


def test_unconverted_datatypes() -> None:
    assert _unconverted("http://www.opengis.net/ont/geosparql#wktLiteral")
    assert _unconverted(XSD + "anyURI") and _unconverted("http://example.org/type")
    assert not _unconverted(XSD + "token") and not _unconverted(XSD + "normalizedString")
    assert not _unconverted(XSD + "dateTime") and not _unconverted(XSD + "decimal")
    for text in ("  a  b ", "x\ty", "<p>"):
        for datatype in ("http://example.org/type", XSD + "anyURI", XSD + "language"):
            assert str(Literal(text, datatype=URIRef(datatype))) == text


def test_rdflib_form_is_the_term_paths_form() -> None:
    values = [
        '"plain"',
        '"t\\tb\\bf\\fc\\u0001d\\u007F"@fr',
        '"\\\\t is not a tab"',
        '"01"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>',
        '"1e3"^^<http://www.w3.org/2001/XMLSchema#double>',
        '"2024-02-29T23:59:59"^^<http://www.w3.org/2001/XMLSchema#dateTime>',
        '"2023-02-29"^^<http://www.w3.org/2001/XMLSchema#date>',
        '" a\\tb "^^<http://www.w3.org/2001/XMLSchema#token>',
        '"POINT(1 2)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>',
    ]
    for value in values:
        [quad] = ox.parse(f"<urn:s> <urn:p> {value} .".encode(), format=ox.RdfFormat.N_TRIPLES)
        written = ox.serialize([quad], format=ox.RdfFormat.N_TRIPLES)
        assert written is not None
        pyoxigraph_form = written.decode().split(" ", 2)[2][:-3]
        assert rdflib_form(pyoxigraph_form) == rdflib_nt(quad.object), value


# -- payloads read back ---------------------------------------------------------------------


def _typed_terms(index: object) -> list[tuple[object, ...]]:
    return [
        tuple((type(t), t, getattr(t, "language", None), getattr(t, "datatype", None)) for t in tr)
        for tr in index  # type: ignore[attr-defined]
    ]


def test_nt_index_reads_payloads_as_pyoxigraph_does() -> None:
    payloads = [text for _, data, fmt in CASES for _, _, text in _cuts(data, fmt)]
    payloads += [text for _, _, text in term_path(ODD.encode())]
    assert len(payloads) > 30
    for text in payloads:
        assert _typed_terms(nt_index(text)) == _typed_terms(oxigraph_index(text.encode(), "nt", ""))


def _cuts(data: bytes, fmt: str) -> Cuts:
    try:
        return term_path(data, fmt)
    except SyntaxError:
        return []


@pytest.mark.parametrize(
    "text",
    [
        '<http://a/s> <http://a/p> "tab\\there" .\n',  # an escape rdflib does not write
        "<http://a/s> <http://a/p> <http://a/o> \n",
        "<http://a/s> <http://a/p o> <http://a/o> .\n",
        '<http://a/s> <http://a/p> "x"^^<<http://a/t> .\n',
        '"lit" <http://a/p> <http://a/o> .\n',
        '<http://a/s> <http://a/p> "x"@ .\n',
        "<http://a/s> <http://a/p> _: .\n",
        "<http://a/s> <http://a/p> o .\n",
        " <http://a/p> <http://a/o> .\n",
        # after a good line: a missing subject or predicate is not the previous line's
        "<http://a/s> <http://a/p> <http://a/o> .\n <http://a/p> <http://a/o> .\n",
        "<http://a/s> <http://a/p> <http://a/o> .\n<http://a/s>  <http://a/o> .\n",
    ],
)
def test_nt_index_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError):
        nt_index(text)


def test_load_payload_falls_back_to_a_parser_for_other_forms() -> None:
    text = '<http://a/s> <http://a/p> "tab\\there" .\n'
    index, node, _ = load_payload({"subject": "http://a/s", "ntriples": text})
    assert list(index.objects(node, URIRef("http://a/p"))) == [Literal("tab\there")]


def test_nt_index_round_trips_nt_lines() -> None:
    s, p, b = URIRef("http://a/s"), URIRef("http://a/p"), BNode("b0")
    wkt = "http://www.opengis.net/ont/geosparql#wktLiteral"
    values = {
        Literal('a\nb\r"c\\'),
        Literal("é", lang="fr-ca"),
        Literal("5", datatype=URIRef(XSD + "integer")),
        b,
        # past the term caches' length bounds
        Literal("POLYGON((" + "1 2, " * 40 + "1 2))", datatype=URIRef(wkt)),
        URIRef("http://a/" + "x" * 300),
    }
    graph = Graph()
    for value in values:
        graph.add((s, p, value))
    graph.add((b, p, Literal("")))
    text = "\n".join(sorted(nt_lines(graph.triples((None, None, None))))) + "\n"
    index = nt_index(text)
    assert len(index) == 7
    assert set(index.objects(s, p)) == values
    assert list(index.objects(b, p)) == [Literal("")]
    upper = nt_index('<http://a/s> <http://a/p> "x"@EN-GB .\n')
    (upper_value,) = upper.objects(s, p)
    assert isinstance(upper_value, Literal)
    assert upper_value.language == "en-gb"  # as pyoxigraph reads it


def test_nt_index_reads_lines_in_any_order() -> None:
    """Payloads are sorted, so a line mostly repeats the last one's subject and predicate;
    lines in another order, going back to a subject or predicate, read the same."""
    lines = [
        '<http://a/s> <http://a/p> "1" .',
        '<http://a/t> <http://a/p> "2" .',
        '<http://a/s> <http://a/q> "3" .',
        '<http://a/s> <http://a/p> "1" .',  # a repeated triple is kept once
        '<http://a/s> <http://a/p> "4"@fr .',
        '<http://a/t> <http://a/p> "2"@fr .',
    ]
    text = "\n".join(lines) + "\n"
    index = nt_index(text)
    s, t, p, q = (URIRef(f"http://a/{name}") for name in "stpq")
    assert len(index) == 5
    assert list(index.objects(s, p)) == [Literal("1"), Literal("4", lang="fr")]
    assert list(index.objects(s, q)) == [Literal("3")]
    assert list(index.objects(t, p)) == [Literal("2"), Literal("2", lang="fr")]
    assert _typed_terms(index) == _typed_terms(oxigraph_index(text.encode(), "nt", ""))


def test_nt_index_shares_short_terms_between_payloads() -> None:
    """Terms repeat from one dataset to the next: a second payload reuses the first one's
    short terms (the same objects), reads the same triples, and keeps long ones apart."""
    long_text = "x" * (rdf_index.TERM_CHARS + 10)
    first = (
        f'<http://a/d1> <http://a/p> "CC-BY 4.0"@fr .\n<http://a/d1> <http://a/q> "{long_text}" .\n'
    )
    second = first.replace("d1", "d2")
    one, two = nt_index(first), nt_index(second)
    (rights_one,) = one.objects(URIRef("http://a/d1"), URIRef("http://a/p"))
    (rights_two,) = two.objects(URIRef("http://a/d2"), URIRef("http://a/p"))
    assert rights_one is rights_two
    assert f'"{long_text}"' not in rdf_index._TERMS
    assert _typed_terms(two) == _typed_terms(oxigraph_index(second.encode(), "nt", ""))


@pytest.mark.parametrize(
    "text",
    [
        '"seen" <http://a/p> <http://a/o> .\n',  # read as an object before: still no subject
        '<http://a/s> "seen" <http://a/o> .\n',  # nor a predicate
        "<http://a/s> _:b0 <http://a/o> .\n",
    ],
)
def test_nt_index_refuses_a_cached_term_in_the_wrong_place(text: str) -> None:
    nt_index('<http://a/s> <http://a/p> "seen" .\n<http://a/s> <http://a/p> _:b0 .\n')
    assert '"seen"' in rdf_index._TERMS
    with pytest.raises(ValueError):
        nt_index(text)


def test_nt_index_term_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdf_index, "MAX_TERMS", 50)
    text = "".join(f'<http://a/s> <http://a/p> "v{n}" .\n' for n in range(120))
    index = nt_index(text)
    assert len(index) == 120
    assert 0 < len(rdf_index._TERMS) <= 50


def test_max_depth_is_the_term_paths() -> None:
    assert MAX_DEPTH == 6  # ODD's chain of nine blank nodes goes past it
