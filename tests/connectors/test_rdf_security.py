"""Safe RDF parsing: DOCTYPE/ENTITY refused, remote JSON-LD contexts never read, caps, encodings."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from connectors import rdf_parse
from connectors.dcat_rdf_values import DCAT, DCT
from connectors.errors import SourceForbidden, SourceProtocolError
from connectors.rdf_jsonld import KNOWN_CONTEXTS, _NoFetchContext, resolve_contexts
from connectors.rdf_parse import choose_format, parse_document, parse_rdf, sniff, utf8
from tests.paths import VOCAB, fixture

BASE = "https://catalog.example.org/catalog.rdf"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dct="http://purl.org/dc/terms/"><rdf:Description><dct:title>&lol9;</dct:title>
</rdf:Description></rdf:RDF>"""


@pytest.fixture
def rdflib_untouched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails the test if rdflib's parser is reached (the refusal must come first)."""
    calls: list[str] = []

    def forbidden(self: Graph, *args: Any, **kwargs: Any) -> Graph:
        calls.append(str(kwargs.get("format")))
        raise AssertionError("rdflib was handed a document that should have been refused")

    monkeypatch.setattr(Graph, "parse", forbidden)
    return calls


def test_billion_laughs_is_refused_before_any_expansion(rdflib_untouched: list[str]) -> None:
    assert 600 < len(BILLION_LAUGHS) < 1000  # the classic ~770-byte payload (10**9 "lol")
    with pytest.raises(SourceForbidden) as caught:
        parse_rdf(BILLION_LAUGHS, content_type="application/rdf+xml", base=BASE)
    assert str(caught.value) == (
        f"{BASE} declares a DOCTYPE or ENTITY, which Moisson refuses to parse "
        "(entity-expansion attacks)"
    )
    assert rdflib_untouched == []


@pytest.mark.parametrize("content_type", [None, "text/turtle", "application/ld+json", "text/plain"])
def test_billion_laughs_is_refused_whatever_the_declared_type(content_type: str | None) -> None:
    # Sniffing sees XML; a lying Content-Type does not route it to another parser.
    with pytest.raises(SourceForbidden, match="DOCTYPE or ENTITY"):
        parse_document(BILLION_LAUGHS, content_type=content_type, base=BASE, what="page 2 of X")


def test_external_entities_are_refused(tmp_path: Path, rdflib_untouched: list[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dct="http://purl.org/dc/terms/"><rdf:Description rdf:about="https://x.org/d">
<dct:title>&xxe;</dct:title></rdf:Description></rdf:RDF>""".encode()
    with pytest.raises(SourceForbidden) as caught:
        parse_rdf(xxe, content_type="application/rdf+xml", base=BASE)
    assert "TOP-SECRET" not in str(caught.value) + str(caught.value.detail)


def test_csw_envelope_with_doctype_is_refused() -> None:
    body = fixture("dcat-rdf", "csw_geo2france_getrecords_dcat_page1.xml").read_bytes()
    head, _, rest = body.partition(b"\n")
    evil = head + b'\n<!DOCTYPE x [<!ENTITY a "b">]>\n' + rest
    with pytest.raises(SourceForbidden):
        parse_rdf(evil, content_type="application/xml", base=BASE)


class _Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = json.dumps({"@context": {"title": "http://purl.org/dc/terms/title"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every request it receives."""
    _Recorder.requests = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ctx.jsonld", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _document(context: Any) -> bytes:
    return json.dumps(
        {
            "@context": context,
            "@id": "https://x.org/d/1",
            "@type": "http://www.w3.org/ns/dcat#Dataset",
            "title": "T",
        }
    ).encode()


def test_loopback_context_is_never_requested(loopback: tuple[str, list[str]]) -> None:
    url, requests = loopback
    # the server works: a plain request is recorded…
    import urllib.request

    with urllib.request.urlopen(url) as answer:
        assert answer.status == 200
    assert requests == ["/ctx.jsonld"]
    requests.clear()
    # …but parsing a document that names it as @context does not reach it
    for context in (url, [url], [{"dct": "http://purl.org/dc/terms/"}, url]):
        with pytest.raises(SourceProtocolError) as caught:
            parse_rdf(_document(context), content_type="application/ld+json", base=BASE)
        assert f"uses the remote JSON-LD @context {url}, which Moisson never fetches" in str(
            caught.value
        )
    nested = {
        "@context": {"@vocab": "http://x.org/", "p": {"@id": "http://x.org/p", "@context": url}},
        "@graph": [{"@id": "https://x.org/d/2", "@context": url, "title": "T"}],
    }
    imported = {"@context": {"@import": url}, "@id": "https://x.org/d/3", "title": "T"}
    for document in (nested, imported):
        with pytest.raises(SourceProtocolError, match="never fetches"):
            parse_rdf(json.dumps(document).encode(), content_type=None, base=BASE)
    assert requests == []


def test_rdflib_context_loader_is_disabled_too(loopback: tuple[str, list[str]]) -> None:
    # Defence in depth: even a document that skipped the resolver cannot make rdflib fetch.
    url, requests = loopback
    from rdflib.plugins.parsers.jsonld import Parser

    with pytest.raises(SourceProtocolError, match="is not loaded"):
        Parser().parse(json.loads(_document(url)), _NoFetchContext(base=BASE), Graph())
    assert requests == []


def test_file_context_is_never_read(tmp_path: Path) -> None:
    marker = tmp_path / "ctx.jsonld"
    marker.write_text(json.dumps({"@context": {"title": "http://evil.example/MARKER"}}))
    document = _document(marker.as_uri())
    with pytest.raises(SourceProtocolError) as caught:
        parse_rdf(document, content_type="application/ld+json", base=BASE)
    assert marker.as_uri() in str(caught.value)
    # rdflib itself would read it: prove the marker is real and would have been expanded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's ConjunctiveGraph
        unsafe = Graph().parse(data=document, format="json-ld")
    assert (URIRef("https://x.org/d/1"), URIRef("http://evil.example/MARKER"), None) in unsafe


def test_known_contexts_are_served_locally(tmp_path: Path) -> None:
    schema = json.dumps(
        {
            "@context": "https://schema.org/",
            "@id": "https://x.org/d",
            "@type": "Dataset",
            "name": "N",
        }
    )
    graph = parse_rdf(schema.encode(), content_type="application/ld+json", base=BASE)
    assert (URIRef("https://x.org/d"), URIRef("http://schema.org/name"), None) in graph
    assert "https://schema.org/" in KNOWN_CONTEXTS
    # The official DCAT-AP 3.0.1 context (a test copy) registered by the caller
    dcat_ap_url = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld"
    context = json.loads((VOCAB / "dcat-ap/3.0.1/context/dcat-ap.jsonld").read_text())
    document = {
        "@context": dcat_ap_url,
        "@id": "https://x.org/ds",
        "@type": "Dataset",
        "title": [{"@value": "Arbres", "@language": "fr"}],
    }
    graph = parse_rdf(
        json.dumps(document).encode(),
        content_type="application/ld+json",
        base=BASE,
        contexts={dcat_ap_url: context},
    )
    assert (URIRef("https://x.org/ds"), RDF.type, DCAT.Dataset) in graph
    assert (URIRef("https://x.org/ds"), DCT.title, None) in graph
    assert (
        resolve_contexts({"a": [1, {"@context": "https://schema.org"}]}, KNOWN_CONTEXTS)["a"][1][
            "@context"
        ]["@vocab"]
        == "http://schema.org/"
    )


def test_size_cap_is_enforced() -> None:
    body = fixture("dcat-rdf", "hydra_paged-collection_page2.jsonld").read_bytes()
    with pytest.raises(SourceForbidden, match=f"exceeds {len(body) - 1} bytes"):
        parse_rdf(body, content_type=None, base=BASE, max_bytes=len(body) - 1)
    assert len(parse_rdf(body, content_type=None, base=BASE, max_bytes=len(body))) > 0


def test_cp1252_bytes_declared_utf8_are_decoded_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = fixture("dcat-rdf", "bad_cp1252_bytes_in_utf8_xml.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with (
        caplog.at_level(logging.WARNING, logger=rdf_parse.__name__),
        pytest.raises(SourceProtocolError) as caught,
    ):
        parse_rdf(raw, content_type="application/xml", base=BASE)
    # never a crash on the bytes: the document is read and refused for what it is
    assert str(caught.value) == f"{BASE} is XML but not RDF/XML (root element <root>)"
    assert "not valid UTF-8 (byte 0x92" in caplog.text and "Windows-1252" in caplog.text
    fixed, repaired = utf8(raw, what="x")
    assert repaired and "Here’s a bad character: –" in fixed.decode("utf-8")
    # the same bytes inside an RDF document give the intended characters
    text = raw.split(b"<data>")[2].split(b"</data>")[0]
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:dct="http://purl.org/dc/terms/"><rdf:Description rdf:about="https://x.org/d">'
        b"<dct:title>" + text + b"</dct:title></rdf:Description></rdf:RDF>"
    )
    [title] = parse_rdf(document, content_type=None, base=BASE).objects(
        URIRef("https://x.org/d"), DCT.title
    )
    assert str(title) == "Here’s a bad character: –"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            b"<!DOCTYPE html><html><title>Portal</title></html>",
            "text/html",
            "returned HTML instead of RDF",
        ),
        (b"   ", "text/turtle", "returned an empty body instead of RDF"),
        (b"<https://x.org/a> <https://x.org/b> .", "text/turtle", "is not valid Turtle"),
        (b"{not json", "application/ld+json", "is not valid JSON-LD"),
        (
            b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><unclosed>",
            None,
            "is not well-formed XML",
        ),
    ],
)
def test_bad_documents_give_a_clear_protocol_error(
    body: bytes, content_type: str | None, expected: str
) -> None:
    with pytest.raises(SourceProtocolError, match=expected) as caught:
        parse_document(body, content_type=content_type, base=BASE, what="page 3 of https://x.org/c")
    assert str(caught.value).startswith("page 3 of https://x.org/c ")


def test_format_choice_by_content_type_then_sniffing() -> None:
    turtle = fixture("dcat-rdf", "datos-gob-es_dataset_madrid.ttl").read_bytes()
    rdfxml = fixture("dcat-rdf", "nobelprize_catalog_sweden.rdf").read_bytes()
    jsonld = fixture("dcat-rdf", "catalog_with_at_graph.jsonld").read_bytes()
    assert [sniff(b) for b in (turtle, rdfxml, jsonld, b"")] == ["turtle", "xml", "json-ld", None]
    assert choose_format(turtle, "text/turtle; charset=utf-8") == "turtle"
    assert choose_format(rdfxml, "application/json") == "xml"  # the body wins a disagreement
    assert choose_format(jsonld, "application/octet-stream") == "json-ld"
    assert choose_format(turtle, "application/n-triples") == "nt"
    assert choose_format(turtle, None, forced="nt") == "nt"
    nt = Graph().parse(data=turtle, format="turtle").serialize(format="nt").encode()
    assert len(parse_rdf(nt, content_type="application/n-triples", base=BASE)) == len(
        parse_rdf(turtle, content_type="text/plain", base=BASE)
    )


def test_undeclared_turtle_prefix_is_supplied(caplog: pytest.LogCaptureFixture) -> None:
    body = fixture("dcat-rdf", "dcat-ap_full_dataset.ttl").read_bytes()
    with pytest.raises(Exception, match="not bound"):
        Graph().parse(data=body, format="turtle")
    with caplog.at_level(logging.WARNING, logger=rdf_parse.__name__):
        graph = parse_rdf(body, content_type="text/turtle", base=BASE)
    assert "undeclared prefix 'healthdcatap'" in caplog.text
    assert any(
        str(p).startswith("http://healthdataportal.eu/ns/health#") for p in graph.predicates()
    )
