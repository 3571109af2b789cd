"""Lightweight terms (catalog.rdf.terms) and the writers' escaping, checked against rdflib."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD as RDFLIB_XSD

from catalog.rdf import Format, iter_catalog, serialize, serialize_dataset, terms
from catalog.rdf import namespaces as rdflib_namespaces
from catalog.rdf.namespaces import PREFIXES
from catalog.rdf.serialize import iter_statement_blocks
from catalog.rdf.terms import (
    DCAT,
    DCTERMS,
    GSP,
    RDF,
    SPDX,
    VOCABULARY,
    XSD,
    Lit,
    Statement,
    Vocab,
    child,
    code_uri,
    from_rdflib,
    iri,
    lang_tag,
    node_id,
    rdflib_term,
    to_rdflib,
    when,
)
from tests.catalog.test_rdf_dataset import rich_record

pytestmark = pytest.mark.filterwarnings(
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)

PARSERS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}
NASTY = 'q"uo\'te \\ back\\n\nnew\r\nline\ttab é ü 中文 😀 <tag> & ]]> """ \' @fr ^^x'


def parse(text: str, fmt: str) -> Graph:
    return Graph().parse(data=text, format=PARSERS[fmt])


# --- terms -------------------------------------------------------------------------------


def test_vocabulary_terms_are_plain_iris_registered_under_the_prefix_table() -> None:
    # not str methods: DCTERMS.title and DCTERMS.format are terms like any other
    assert DCTERMS.title == "http://purl.org/dc/terms/title"
    assert DCTERMS.format == "http://purl.org/dc/terms/format"
    assert type(DCAT.Dataset) is str
    assert VOCABULARY[DCAT.Dataset] == ("dcat", "Dataset")
    for vocab in (v for v in vars(terms).values() if isinstance(v, Vocab)):
        assert PREFIXES[vocab.prefix] == str(vocab)
    assert SPDX.term("checksumAlgorithm_sha1") in VOCABULARY
    assert SPDX.term("not a local name") not in VOCABULARY


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("https://exemple.qc.ca/données 2019.csv", "https://exemple.qc.ca/données%202019.csv"),
        (
            'https://x.org/?q="a"&b={c}|d^e`f\\g<h>',
            "https://x.org/?q=%22a%22&b=%7Bc%7D%7Cd%5Ee%60f%5Cg%3Ch%3E",
        ),
        ("https://x.org/tab\there", "https://x.org/tab%09here"),
        ("urn:uuid:1234", "urn:uuid:1234"),
        ("mailto:a@b.org", "mailto:a@b.org"),
        ("relative/path", None),
        ("/absolute/path", None),
        ("x: y", None),  # a scheme followed by a space: not an IRI
        ("a:\u00a0x", None),  # nor by a Unicode space
        ("1http://x.org", None),
        ("", None),
        (None, None),
    ],
)
def test_iri_percent_encodes_what_iris_forbid_and_refuses_relative_ones(
    value: str | None, expected: str | None
) -> None:
    assert iri(value) == expected
    assert rdflib_namespaces.iri(value) == (None if expected is None else URIRef(expected))


def test_child_and_node_id() -> None:
    assert child("https://x.org/ds/", "distribution", "a b/é") == (
        "https://x.org/ds/distribution/a%20b%2F%C3%A9"
    )
    assert child("https://x.org/ds", "res-1.csv_~") == "https://x.org/ds/res-1.csv_~"
    assert node_id("a", "b") == node_id("a", "b") != node_id("a", "c")
    assert node_id("a", "b").startswith("_:b") and len(node_id("a")) == 27
    assert rdflib_namespaces.node_id("a", "b") == BNode(node_id("a", "b")[2:])


def test_codes_and_language_tags_are_cached_with_the_same_answers() -> None:
    def build(code: str) -> str:
        return f"http://publications.europa.eu/resource/authority/language/{code}"

    for _ in range(2):
        assert code_uri(" FRA ", build) == build("FRA")
        assert code_uri("https://x.org/l", build) == "https://x.org/l"
        assert code_uri("xx yy", build) == build("xx%20yy")
        assert lang_tag("fr_CA") == "fr-ca"
        assert lang_tag("bad tag!") is None
        assert lang_tag("EN-gb") == "en-gb"


EST = timezone(timedelta(hours=-5))


def test_equal_datetimes_keep_their_own_offsets() -> None:
    """Equal instants in two zones, and the two 01:30 of a night the clocks go back (equal
    wall times in one zone, told apart by ``fold``), each keep their offset, whichever
    comes first."""
    montreal = ZoneInfo("America/Montreal")
    summer, winter = (datetime(2024, 11, 3, 1, 30, fold=f, tzinfo=montreal) for f in (0, 1))
    utc, eastern = datetime(2024, 5, 6, 12, tzinfo=UTC), datetime(2024, 5, 6, 7, tzinfo=EST)
    assert summer == winter and utc == eastern
    for pair in ((summer, winter), (winter, summer), (utc, eastern), (eastern, utc)):
        assert [when(value)[0] for value in pair] == [value.isoformat() for value in pair]
    assert when(summer)[0].endswith("-04:00") and when(winter)[0].endswith("-05:00")


@pytest.mark.parametrize(
    "value",
    [
        date(2020, 3, 1),
        date(1, 1, 1),
        datetime(2024, 5, 6, 7, 8, 9),
        datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2024, 5, 6, 7, 8, 9, 500, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2024, 12, 31, 23, 59, 59, 999999),
    ],
)
def test_dates_have_the_lexical_form_rdflib_normalises_to(value: date) -> None:
    literal = when(value)
    datatype = RDFLIB_XSD.dateTime if isinstance(value, datetime) else RDFLIB_XSD.date
    assert rdflib_term(literal) == Literal(value.isoformat(), datatype=datatype)
    assert str(rdflib_term(literal)) == literal[0]  # rdflib's normalisation is a no-op
    assert str(Literal(value)) == literal[0]


@pytest.mark.parametrize(
    "literal",
    [
        ("12345", None, XSD.nonNegativeInteger),
        ("0", None, XSD.integer),
        ("2561", None, XSD.integer),
        ("abcdef0123", None, XSD.hexBinary),
        ("urn:uuid:1234 5678", None, XSD.anyURI),
        ("POLYGON ((0.0 0.0, 1.0 0.0, 0.0 0.0))", None, GSP.wktLiteral),
        ('{"type":"Point"}', None, GSP.geoJSONLiteral),
        (NASTY, "fr-ca", None),
        (NASTY, None, None),
    ],
)
def test_literals_round_trip_through_rdflib(literal: Lit) -> None:
    term = rdflib_term(literal)
    assert str(term) == literal[0]  # what rdflib would have normalised the lexical form to
    assert from_rdflib([(URIRef("s:s"), URIRef("p:p"), term)]) == [("s:s", "p:p", literal)]


# --- writers ----------------------------------------------------------------------------

S = "https://x.org/ds/a'b&c=d"  # ' and & are legal in IRIs, and special in XML attributes
STATEMENTS: list[Statement] = [
    (S, RDF.type, DCAT.Dataset),
    (S, DCTERMS.title, (NASTY, "fr", None)),
    (S, DCTERMS.title, ("sans langue \\ fin\\", None, None)),
    (S, DCTERMS.title, ("x-private", "x-private-1", None)),
    (S, DCTERMS.description, ("ligne 1\r\nligne 2\n\n\t« fin »", "zh-hant-tw", None)),
    (S, DCTERMS.issued, ("2020-01-02T03:04:05.123456-05:00", None, XSD.dateTime)),
    (S, DCAT.keyword, ("", None, None)),  # an empty literal
    (S, DCAT.keyword, ("<>&'\"", "en", None)),
    (S, DCAT.byteSize, ("12", None, XSD.nonNegativeInteger)),
    (S, DCAT.bbox, ("POLYGON ((1 2, 3 4))", None, GSP.wktLiteral)),
    (S, DCAT.landingPage, "https://x.org/p%20q?a=1&b='2'#frag"),
    (S, DCTERMS.spatial, node_id("spatial")),
    (node_id("spatial"), RDF.type, DCTERMS.Location),
    (node_id("spatial"), GSP.asGeoJSON, ('{"a":"é\\"\\\\"}', None, GSP.geoJSONLiteral)),
    (S, "http://example.org/other-ns#prop", ("outside the prefix table", None, None)),
    (S, DCTERMS.publisher, "urn:x:publisher"),
    (S, RDF.type, "http://example.org/other-ns#Class"),
    (S, DCTERMS.title, (NASTY, "fr", None)),  # a duplicate: written once
]


@pytest.mark.parametrize("fmt", get_args(Format))
def test_writers_escape_every_special_character(fmt: Format) -> None:
    text = "".join(iter_statement_blocks([STATEMENTS], format=fmt))
    parsed = parse(text, fmt)
    expected = Graph()
    for triple in to_rdflib(STATEMENTS):
        expected.add(triple)
    assert len(parsed) == len(expected) == len(STATEMENTS) - 1
    assert isomorphic(parsed, expected)
    titles = {
        (str(o), getattr(o, "language", None))
        for o in parsed.objects(URIRef(S), URIRef(DCTERMS.title))
    }
    assert (NASTY, "fr") in titles
    assert ("sans langue \\ fin\\", None) in titles


@pytest.mark.parametrize("fmt", get_args(Format))
def test_control_characters_are_dropped_from_text_but_iris_stay_safe(fmt: Format) -> None:
    record = rich_record(
        title={"fr": "a\x00b\x07c\x1f\x7fd\ufffe", "en_GB": " e "},
        landing_page="https://x.org/a\x01b c",
    )
    parsed = parse(serialize_dataset(record, "https://x.org/d e", fmt), fmt)
    ds = URIRef("https://x.org/d%20e")
    titles = {
        (str(o), getattr(o, "language", None)) for o in parsed.objects(ds, URIRef(DCTERMS.title))
    }
    assert titles == {("abcd", "fr"), ("e", "en-gb")}
    assert URIRef("https://x.org/a%01b%20c") in set(parsed.objects(ds, URIRef(DCAT.landingPage)))


def test_turtle_uses_prefixed_names_for_the_vocabulary_only() -> None:
    text = "".join(iter_statement_blocks([STATEMENTS], format="turtle"))
    assert (
        "<https://x.org/ds/a'b&c=d> a dcat:Dataset, <http://example.org/other-ns#Class> ;" in text
    )
    assert "dct:issued " in text and "^^xsd:dateTime" in text
    assert "<http://example.org/other-ns#prop>" in text


def test_caches_stay_as_small_as_the_vocabulary() -> None:
    items = [(f"https://x.org/d/{n}", rich_record(identifier=f"r{n}")) for n in range(50)]
    for fmt in get_args(Format):
        "".join(iter_catalog(items, format=fmt))
    before = len(VOCABULARY), len(terms._CODES), len(terms._LANG_TAGS)
    items = [
        (f"https://x.org/d/{n}", rich_record(identifier=f"s{n}", landing_page=f"https://y/{n}"))
        for n in range(50)
    ]
    for fmt in get_args(Format):
        "".join(iter_catalog(items, format=fmt))
    assert (len(VOCABULARY), len(terms._CODES), len(terms._LANG_TAGS)) == before
    assert len(VOCABULARY) < 300
    for names in (serialize._PREFIXED, serialize._JSON_NAMES, serialize._XML_TAGS):
        assert len(names) <= len(VOCABULARY) + 1
    assert len(serialize._XML_PAIRS) <= len(VOCABULARY)


ROOT = Path(__file__).resolve().parents[2]
GRAPH_MODULES = ("catalog_graph", "dataset_graph", "distribution_graph", "serialize", "terms")
_NAMED_TERM = re.compile(
    r"\b(ADMS|DCAT|DCATAP|DCTERMS|ELI|FOAF|GSP|HYDRA|LOCN|OWL|PROV|RDF|RDFS|SKOS|SPDX|VCARD|XSD)"
    r"\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\()"
)


def test_every_term_the_graph_modules_name_is_registered_at_import() -> None:
    """TERMS lists each ``VOCAB.name`` the writers' graph modules use (a term missing from
    it would get a prefixed name only in processes that had built it)."""
    folder = Path(terms.__file__).parent
    named = {
        (vocab, name)
        for module in GRAPH_MODULES
        for vocab, name in _NAMED_TERM.findall((folder / f"{module}.py").read_text())
        if name not in ("namespace", "prefix")
    }
    registered = {
        (vocab, name)
        for vocab, names in (
            (next(k for k, v in vars(terms).items() if v is vocab), names)
            for vocab, names in terms.TERMS.items()
        )
        for name in names.split()
    }
    assert len(named) > 90
    assert named <= registered, sorted(named - registered)
    algorithms = {f"checksumAlgorithm_{a}" for a in ("md5", "sha1", "sha224", "sha256")}
    assert {("SPDX", name) for name in algorithms} <= registered


def test_no_term_is_registered_after_import() -> None:
    """In a fresh process, writing every golden record, a catalogue header with paging and
    checksums of every algorithm, in every format, adds no term to VOCABULARY: the prefixed
    names are the same in every process, whatever it wrote before."""
    script = """
import sys
from catalog.rdf import terms
before = dict(terms.VOCABULARY)
from catalog.rdf import catalog_triples, iter_catalog, paging_triples
from catalog.model import Checksum, Distribution
from tests.catalog.test_rdf_golden import golden, record
from tests.catalog.test_rdf_dataset import rich_record
items = [(row["uri"], record(row)) for row in golden()]
items += [
    (f"https://moisson.example/checksum/{a}", rich_record(distributions=[Distribution(
        download_url="https://x.example/f.csv", checksum=Checksum(algorithm=a, value="ab12"))]))
    for a in ("MD5", "sha-1", "SHA224", "sha256", "SHA_384", "sha512")
]
header = catalog_triples(catalog_uri="https://m.example/catalog", title={"fr": "C"},
    description={"fr": "D"}, publisher_name="M", homepage="https://m.example", modified=None)
header += paging_triples(page_uri="https://m.example/catalog?p=2", first="https://m.example/c",
    last="https://m.example/c?p=9", next="https://m.example/c?p=3", previous="https://m.example/c",
    total_items=9, items_per_page=1, collection_uri="https://m.example/catalog")
for fmt in ("turtle", "nt", "jsonld", "xml"):
    assert "".join(iter_catalog(items, format=fmt, header=header, catalog_uri="https://m/c"))
added = sorted(set(terms.VOCABULARY) - set(before))
print(len(before), added)
sys.exit(1 if added else 0)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert int(done.stdout.split()[0]) > 100
