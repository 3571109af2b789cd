"""DCAT-AP 3.0.1 SHACL shapes as the oracle for our RDF output (pyshacl, offline).

Shapes: the consolidated ``shacl/dcat-ap-SHACL.ttl`` plus its range companion
``shacl/ranges.ttl``, read from ../shared/vocab (never copied, never fetched). Two decisions:

* The two files reference five property shapes neither defines (``sh:class rdfs:Resource`` on
  dcat:accessURL, dcat:downloadURL, dct:relation, dct:isReferencedBy — dropped in 3.0.1 but
  still listed); pyshacl refuses such dangling references, so they are pruned before use.
* The range shapes require ``skos:Concept`` (with a ``skos:prefLabel``) on dcat:theme and the
  agent's dct:type values. Those are concepts of external vocabularies — the EU authority
  tables (``html/shacl/mdr_imports.ttl`` lists them; the official validator loads them) or the
  publisher's own theme scheme — whose types and labels live in those vocabularies, not in a
  dataset description. They are not copied here, so :func:`stub_external_concepts` adds one
  ``a skos:Concept; skos:prefLabel`` per referenced *external* concept. Concepts we mint
  (free-text themes, under the dataset URI) get no stub: their type and label must come from
  our output.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
import rdflib._networking
import rdflib.parser
from pyshacl import validate
from rdflib import Graph, Literal, Namespace
from rdflib.term import Node

from catalog.rdf.namespaces import DCAT, DCTERMS, RDF, SKOS
from tests.paths import VOCAB

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPES_DIR = VOCAB / "dcat-ap" / "3.0.1" / "shacl"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyshacl and rdflib must not fetch anything (owl:imports, remote documents).

    Import it into a test module (``from tests.catalog.shacl_support import no_network``) to
    make it autouse there."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(rdflib.parser, "_urlopen", refuse)
    monkeypatch.setattr(rdflib._networking, "_urlopen", refuse)


def load_shapes() -> Graph:
    """The DCAT-AP 3.0.1 shapes and range shapes, dangling references pruned (module doc)."""
    graph = Graph()
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        graph.parse(SHAPES_DIR / name, format="turtle")
    for shape, prop in list(graph.subject_objects(SH.property)):
        if graph.value(prop, SH.path) is None:
            graph.remove((shape, SH.property, prop))
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """:func:`load_shapes`, once per test module."""
    return load_shapes()


def stub_external_concepts(graph: Graph, minted: str) -> Graph:
    """``graph`` plus stub types and labels for the concepts it references outside ``minted``
    (the prefix of the URIs we mint)."""
    for p in (DCAT.theme, DCTERMS.type):
        for concept in set(graph.objects(None, p)):
            if not str(concept).startswith(minted):
                graph.add((concept, RDF.type, SKOS.Concept))
                graph.add((concept, SKOS.prefLabel, Literal(str(concept).rsplit("/", 1)[-1])))
    return graph


@dataclass(frozen=True, order=True)
class Violation:
    """One sh:Violation of a validation report."""

    focus: str
    path: str
    component: str
    message: str

    def __str__(self) -> str:
        return f"{self.focus} {self.path} [{self.component}]: {self.message}"


def _name(graph: Graph, term: Node | None) -> str:
    return "" if term is None else graph.namespace_manager.normalizeUri(str(term))


def violations(data: Graph, shape_graph: Graph, *, minted: str) -> list[Violation]:
    """Every sh:Violation of ``data`` (external concepts stubbed), sorted."""
    conforms, report, _ = validate(
        stub_external_concepts(data, minted),
        shacl_graph=shape_graph,
        inference="none",
        allow_warnings=True,
    )
    found = sorted(
        {
            Violation(
                focus=str(report.value(r, SH.focusNode)),
                path=_name(data, report.value(r, SH.resultPath)),
                component=str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                message=str(report.value(r, SH.resultMessage)),
            )
            for r in report.subjects(SH.resultSeverity, SH.Violation)
        }
    )
    assert conforms == (not found)
    return found
