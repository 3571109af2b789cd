"""DCAT-AP 3.0.1 SHACL shapes as the oracle for our RDF output (pyshacl, offline).

The shapes, the stubs for external concepts and the network guard come from
:mod:`tests.catalog.shacl_support` (its module doc says why the shapes are pruned and stubbed).
Real CKAN packages, a rich synthetic record and a catalogue page conform; a broken record does
not. Every platform's records: :mod:`tests.catalog.test_rdf_shacl_platforms`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from catalog.model import DatasetRecord, Distribution, LicenceRef, Provenance
from catalog.rdf import catalog_triples, dataset_graph, dataset_triples, paging_triples
from catalog.rdf.namespaces import DCAT, DCTERMS, FOAF, RDF, XSD, bind_prefixes
from tests.catalog import shacl_support
from tests.catalog.shacl_support import SH, SHAPES_DIR, no_network, shapes
from tests.catalog.test_rdf_dataset import rich_record
from tests.paths import fixture

__all__ = ["SH", "SHAPES_DIR", "no_network", "shapes"]  # fixtures and names other tests use
BASE = "https://moisson.example/jeux/"
SITE = "https://portal.example.org"

# A sample of real packages (one or two per portal flavour), not every fixture: pyshacl is slow.
CKAN_SAMPLE = (
    "synthetic_ckan_dataset_scheming_dcat_ap.json",
    "synthetic_ckan_dataset_fluent_multilingual.json",
    "datasud_package_show_canispaces-ville-de-gap.json",
    "demo-ckan_package_show_2015_dataset-1.json",
    "hdx_package_show_reliefweb-crisis-figures.json",
    "datagovuk_package_show.json",
    "ridl-unhcr_package_show_ddi-uga-kap-2019.json",
    "dadosgovbr_package_show_bolsa-familia.json",
    "ecocommons_package_show_with_extras.json",
    "bad_dkan-hautsdefrance_package_show_french-dates.json",
)


def violations(data: Graph, shape_graph: Graph) -> set[tuple[str, str, str]]:
    """(constraint component, path, message) of every sh:Violation."""
    return {
        (v.component, v.path, v.message)
        for v in shacl_support.violations(data, shape_graph, minted=BASE)
    }


def ckan_records() -> list[DatasetRecord]:
    ckan_mapping = pytest.importorskip("connectors.ckan_mapping")
    from connectors.base import SourceSpec
    from connectors.ckan_api import as_package

    source = SourceSpec(id="src", url=SITE, platform="ckan")
    records = []
    for name in CKAN_SAMPLE:
        data: Any = json.loads(fixture("ckan", name).read_text(encoding="utf-8"))
        package = as_package(data.get("result", data) if isinstance(data, dict) else data)
        assert package is not None, name
        records.append(
            ckan_mapping.normalize_package(
                package,
                source,
                api_url=f"{SITE}/api/3/action",
                fetched_at=datetime(2025, 1, 2, tzinfo=UTC),
            )
        )
    return records


def test_real_ckan_records_conform(shapes: Graph) -> None:
    records = ckan_records()
    assert len(records) == len(CKAN_SAMPLE)
    failures = {}
    for record in records:
        graph = dataset_graph(record, dataset_uri=BASE + record.identifier)
        assert len(graph) > 20
        if found := violations(graph, shapes):
            failures[record.identifier] = found
    assert failures == {}


def test_rich_record_conforms(shapes: Graph) -> None:
    graph = dataset_graph(rich_record(), dataset_uri=BASE + "riche")
    assert violations(graph, shapes) == set()


def test_catalog_page_conforms(shapes: Graph) -> None:
    catalog = "https://moisson.example/catalog"
    graph = bind_prefixes(Graph())
    triples = catalog_triples(
        catalog_uri=catalog,
        title={"fr": "Catalogue"},
        description={"fr": "Les jeux de données du partenariat"},
        publisher_name="Données Québec",
        homepage="https://moisson.example/",
        dataset_uris=[BASE + "riche"],
    )
    triples += paging_triples(
        page_uri=f"{catalog}.ttl?page=1",
        first=f"{catalog}.ttl?page=1",
        last=f"{catalog}.ttl?page=1",
        total_items=1,
        items_per_page=100,
        collection_uri=catalog,
    )
    triples += dataset_triples(rich_record(), dataset_uri=BASE + "riche", catalog_uri=catalog)
    for t in triples:
        graph.add(t)
    assert violations(graph, shapes) == set()


def test_broken_record_is_caught(shapes: Graph) -> None:
    """The oracle can fail: a distribution with no URL anywhere, an agent without a name,
    a byte size with the wrong datatype and a second, non-date dct:modified."""
    record = DatasetRecord(
        identifier="cassé",
        title={"fr": "Jeu cassé"},
        licence=LicenceRef(title="Licence"),
        distributions=[Distribution(format="CSV")],
        provenance=Provenance(source_id="s", remote_id="r", platform="ckan"),
    )
    graph = dataset_graph(record, dataset_uri=BASE + "casse")
    ds, dist = URIRef(BASE + "casse"), URIRef(BASE + "casse/distribution/1")
    assert graph.value(dist, DCAT.accessURL) is None  # nothing to fall back to
    agent = URIRef(BASE + "casse/agent")
    graph.add((ds, DCTERMS.publisher, agent))
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((dist, DCAT.byteSize, Literal("12.5", datatype=XSD.decimal)))
    graph.add((ds, DCTERMS.modified, Literal("2024-01-01", datatype=XSD.date)))
    graph.add((ds, DCTERMS.modified, Literal("mardi dernier")))
    found = {(component, path) for component, path, _ in violations(graph, shapes)}
    assert found == {
        ("MinCountConstraintComponent", "dcat:accessURL"),
        ("MinCountConstraintComponent", "foaf:name"),
        ("DatatypeConstraintComponent", "dcat:byteSize"),
        ("MaxCountConstraintComponent", "dct:modified"),
    }


def test_the_model_rejects_a_non_date_modified() -> None:
    """DCAT-AP 3.0.1 only checks that dct:modified is one literal, not its datatype: the
    pydantic model is what keeps non-dates out of our output."""
    with pytest.raises(ValueError):
        rich_record().model_validate({**rich_record().model_dump(), "modified": "mardi dernier"})
