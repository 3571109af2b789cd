"""DCAT RDF page → small dataset graphs → DatasetRecord, checked against the fixtures' own triples."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from catalog.model import PartnerKind
from catalog.vocab import frequency_code, language_code, normalize_format
from connectors.base import RawRecord, SourceSpec
from connectors.dcat_rdf import DcatRdfConnector
from connectors.dcat_rdf_distributions import algorithm_name
from connectors.dcat_rdf_extent import gml_bbox, wkt_bbox
from connectors.dcat_rdf_graphs import from_payload, remote_id, subject_node, to_payload
from connectors.dcat_rdf_mapping import dataset_graphs, normalize_dataset_graph
from connectors.dcat_rdf_values import (
    DCAT,
    DCT,
    FOAF,
    SPDX,
    VCARD,
    lang_of,
    repair_mojibake,
)
from connectors.errors import RecordInvalid
from connectors.rdf_parse import parse_rdf
from tests.paths import FIXTURES, fixture

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE = "https://catalog.example.org/catalog"
SOURCE = SourceSpec(id="src", url=BASE, platform="dcat_rdf")

# Every fixture holding DCAT datasets (the two bad_* ones have tests of their own).
DCAT_FIXTURES = (
    "bad_mojibake_london-datastore_deri_dataset.ttl",
    "catalog_with_at_graph.jsonld",
    "ckan-dcatde_catalog_endpoint_hydra.rdf",
    "csw_geo2france_getrecords_dcat_page1.xml",
    "csw_geo2france_getrecords_dcat_page3.xml",
    "csw_geo2france_getrecords_dcat_page5.xml",
    "csw_geo2france_getrecords_geodcatap_page1.xml",
    "datagouvfr_org_catalog_vanves.rdf.xml",
    "dataset_multilingual_en-ca-es.ttl",
    "dati-unibo_catalog_dcatapit_hydra.rdf",
    "datos-gob-es_dataset_madrid.ttl",
    "dcat-ap_full_dataset.ttl",
    "demo-ckan_catalog_page1_hydra.jsonld",
    "demo-ckan_catalog_page1_hydra.rdf.xml",
    "demo-ckan_catalog_page1_hydra.ttl",
    "geonetwork_open-datara_record_5a26b0f6.rdf.xml",
    "geonetwork_open-datara_record_f40c3860.rdf.xml",
    "geonetwork_sig-oreme_catalog.rdf",
    "hydra_paged-collection_page1.jsonld",
    "hydra_paged-collection_page2.jsonld",
    "hydra_partial-collection_page1.jsonld",
    "hydra_partial-collection_page2.jsonld",
    "nobelprize_catalog_sweden.rdf",
    "opendata-hro_dataset_dcatap-de.rdf",
    "sextant_ifremer_dataset-series.rdf.xml",
)
ODS_EXPORT = "explore_v2.1_catalog_exports_dcat_capatlantique.rdf.xml"


def page(name: str, platform: str = "dcat-rdf") -> Graph:
    return parse_rdf(fixture(platform, name).read_bytes(), content_type=None, base=BASE)


def records(name: str, platform: str = "dcat-rdf", source: SourceSpec = SOURCE) -> list[Any]:
    return [
        (key, small, normalize_dataset_graph(small, key, source, fetched_at=AT))
        for key, small in dataset_graphs(page(name, platform))
    ]


def literals(graph: Graph, node: Any, predicate: URIRef) -> list[Literal]:
    return [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]


def texts(graph: Graph, node: Any, predicate: URIRef) -> set[str]:
    return {str(v).strip() for v in graph.objects(node, predicate) if isinstance(v, Literal)}


def test_every_fixture_is_used_by_a_test() -> None:
    here = Path(__file__).parent
    text = "".join(
        (here / name).read_text()
        for name in ("test_dcat_rdf_mapping.py", "test_dcat_rdf_fetch.py", "test_rdf_security.py")
    )
    names = sorted(p.name for p in (FIXTURES / "dcat-rdf").iterdir() if p.is_file())
    assert names, "no DCAT RDF fixtures found"
    assert [name for name in names if f'"{name}"' not in text] == []
    assert f'"{ODS_EXPORT}"' in text


@pytest.mark.parametrize("name", DCAT_FIXTURES)
def test_every_fixture_maps_every_dataset(name: str) -> None:
    whole = page(name)
    typed = {
        s for kind in (DCAT.Dataset, DCAT.DatasetSeries) for s in whole.subjects(RDF.type, kind)
    }
    found = records(name)
    assert len(found) == len(typed) > 0
    for key, small, record in found:
        node = subject_node(key)
        original = node if isinstance(node, URIRef) else None
        # Titles: every language of the source literals is there, with its text.
        titles = texts(small, node, DCT.title)
        if titles:
            assert set(record.title.values()) <= {repair_mojibake(t) for t in titles}
            assert len(record.title) == len({lang_of(v) for v in small.objects(node, DCT.title)})
        assert record.uri == (str(original) if original else None)
        assert record.provenance.remote_id == remote_id(small, key)
        assert record.provenance.platform == "dcat_rdf"
        assert len(record.distributions) == len(set(small.objects(node, DCAT.distribution)))
        keywords = texts(small, node, DCAT.keyword)
        assert {k for terms in record.keywords.values() for k in terms} == {
            repair_mojibake(k) for k in keywords
        }
        identifiers = texts(small, node, DCT.identifier)
        assert record.identifier == (
            min(identifiers) if identifiers else record.provenance.remote_id
        ) or (record.identifier in identifiers)
        assert record.is_series == ((node, RDF.type, DCAT.DatasetSeries) in small)
        for distribution in record.distributions:
            for link in (distribution.access_url, distribution.download_url):
                assert link is None or link.startswith(("http://", "https://", "ftp://"))


@pytest.mark.parametrize("name", DCAT_FIXTURES)
def test_payload_round_trip_gives_the_same_record(name: str) -> None:
    connector = DcatRdfConnector(SOURCE, client=None)  # type: ignore[arg-type]
    for key, small, record in records(name):
        raw = RawRecord(remote_id="x", payload=to_payload(key, small, page=BASE), fetched_at=AT)
        replayed = connector.normalize(raw)
        assert replayed.provenance.api_url == BASE
        replayed.provenance = record.provenance
        assert replayed == record


def test_same_catalogue_in_three_syntaxes_maps_identically() -> None:
    by_syntax = [
        {r.provenance.remote_id: r.model_dump() for _, _, r in records(name)}
        for name in (
            "demo-ckan_catalog_page1_hydra.ttl",
            "demo-ckan_catalog_page1_hydra.rdf.xml",
            "demo-ckan_catalog_page1_hydra.jsonld",
        )
    ]
    assert len(by_syntax[0]) == 100
    assert by_syntax[0] == by_syntax[1] == by_syntax[2]


def test_multilingual_literals_keep_their_tags() -> None:
    graph = page("dataset_multilingual_en-ca-es.ttl")
    [(key, _small, record)] = records("dataset_multilingual_en-ca-es.ttl")
    node = URIRef(key)
    expected_titles = {lang_of(v): str(v) for v in literals(graph, node, DCT.title)}
    assert record.title == expected_titles and set(expected_titles) == {"en", "ca", "es"}
    assert record.description == {
        lang_of(v): str(v) for v in literals(graph, node, DCT.description)
    }
    keywords: dict[str, list[str]] = {}
    for value in literals(graph, node, DCAT.keyword):
        keywords.setdefault(lang_of(value), []).append(str(value))
    assert {k: sorted(v) for k, v in record.keywords.items()} == {
        k: sorted(v) for k, v in keywords.items()
    }
    [dist] = record.distributions
    assert set(dist.title) == {"en", "ca", "es"}
    assert record.language == sorted(
        {language_code(str(v)) or "" for v in graph.objects(node, DCT.language)}
    )


def test_dataset_series_is_recognised() -> None:
    [(key, small, record)] = records("sextant_ifremer_dataset-series.rdf.xml")
    node = URIRef(key)
    assert (node, RDF.type, DCAT.DatasetSeries) in small
    assert record.is_series is True
    assert record.identifier == str(next(small.objects(node, DCT.identifier)))
    assert record.accrual_periodicity == "AS_NEEDED"
    assert record.temporal[0].start == datetime(2008, 1, 1, tzinfo=UTC)
    assert record.spatial[0].bbox == (1.40, 50.00, 2.36, 51.10)
    # both distributions reach their WMS/WFS through a dcat:accessService endpoint
    endpoints = {str(v) for v in small.objects(None, DCAT.endpointURL)}
    assert {d.endpoint_url for d in record.distributions} == endpoints
    assert all(d.api_access for d in record.distributions)
    assert record.contact_points[0].email == "remy.cordier@ifremer.fr"
    assert len(record.documentation) == len(set(small.objects(node, FOAF.page)))


def test_csw_embedded_dcat_maps_each_record() -> None:
    found = records("csw_geo2france_getrecords_dcat_page1.xml")
    assert len(found) == 2
    key, small, record = found[0]
    node = subject_node(key)
    assert record.description == {"fr": str(next(small.objects(node, DCT.abstract))).strip()}
    assert record.language == ["FRA"]  # dct:language "fre"
    assert record.title and set(record.title) == {"fr"}  # untagged text takes the only language
    assert record.spatial and record.spatial[0].bbox is not None
    west, south, east, north = record.spatial[0].bbox
    assert west < east and south < north and 48 < south < 52
    geo = records("csw_geo2france_getrecords_geodcatap_page1.xml")
    assert {r.identifier for *_, r in geo} & {r.identifier for *_, r in found}


def test_dcat_ap_de_distribution_details() -> None:
    [(key, small, record)] = records("opendata-hro_dataset_dcatap-de.rdf")
    first = record.distributions[0]
    dist_node = URIRef(first.uri or "")
    assert first.byte_size == int(float(str(next(small.objects(dist_node, DCAT.byteSize)))))
    value = str(
        next(small.objects(next(small.objects(dist_node, SPDX.checksum)), SPDX.checksumValue))
    )
    assert first.checksum is not None and first.checksum.value == value.lower()
    assert first.checksum.algorithm == "sha256"
    assert record.hvd_categories == [
        str(v) for v in small.objects(URIRef(key), URIRef("http://data.europa.eu/r5r/hvdCategory"))
    ]
    assert record.access_rights == "PUBLIC"
    assert record.spatial[0].bbox == (11.9936, 54.0486, 12.3045, 54.2466)
    assert first.file_type == "GML"


def test_dcat_ap_it_catalogue() -> None:
    found = records("dati-unibo_catalog_dcatapit_hydra.rdf")
    assert len(found) == 12
    with_both = [r for *_, r in found if {"it", "en"} <= set(r.title)]
    assert with_both
    frequencies = {r.accrual_periodicity for *_, r in found}
    assert frequencies - {None} <= {
        "NEVER",
        "WEEKLY",
        "DAILY",
        "MONTHLY",
        "ANNUAL",
        "IRREG",
        "UNKNOWN",
    }
    assert any(r.licence and r.licence.id == "CC-BY-3.0-IT" for *_, r in found)


def test_nobelprize_dcat_ap_se() -> None:
    [(_key, _small, record)] = records("nobelprize_catalog_sweden.rdf")
    assert record.temporal[0].start == date(1905, 3, 1)
    assert record.spatial[0].uri == "http://sws.geonames.org/2673730"
    contact = record.contact_points[0]
    assert contact.phone and contact.email == "info@nobelmedia.org"
    assert record.accrual_periodicity == "DAILY"
    assert record.licence and record.licence.id == "CC-BY-NC-3.0"


def test_full_dcat_ap_example_with_undeclared_prefix() -> None:
    found = {r.uri: r for *_, r in records("dcat-ap_full_dataset.ttl")}
    dataset = found["http://example.healthdata.nl/set/dataset"]
    assert dataset.access_rights == "NON_PUBLIC"
    assert dataset.temporal[0].start == date(2020, 3, 1) and dataset.temporal[0].end == date(
        2024, 12, 31
    )
    assert dataset.language == ["ENG", "FRA", "NLD"]
    assert dataset.accrual_periodicity == "DAILY"
    assert dataset.distributions[0].api_access is True  # dcat:accessService
    assert found["http://example.com/series"].is_series is True


def test_old_dcat_with_mojibake_is_repaired() -> None:
    [(key, small, record)] = records("bad_mojibake_london-datastore_deri_dataset.ttl")
    raw = str(next(small.objects(URIRef(key), DCT.description)))
    assert "Â" in raw and "Â" not in record.description[""]
    assert record.issued == date(2009, 5, 6)  # "06/05/2009", day first
    assert record.accrual_periodicity == frequency_code("Annual")
    assert record.spatial[0].label == {"": "Greater London"}
    assert record.landing_page == str(next(small.objects(URIRef(key), FOAF.homepage)))
    guessed = normalize_format("text/plain", url=record.distributions[0].access_url)
    assert guessed is not None and record.distributions[0].file_type == guessed.file_type


def test_jsonld_contact_and_licence() -> None:
    [(key, small, record)] = records("catalog_with_at_graph.jsonld")
    contact = next(small.objects(URIRef(key), DCAT.contactPoint))
    assert record.contact_points[0].name == str(next(small.objects(contact, VCARD.fn)))
    assert record.contact_points[0].email == "jane.doe@agency.gov"
    assert (
        record.licence is not None and record.licence.id == "CC0-1.0"
    )  # from the one distribution


def test_opendatasoft_dcat_export_maps() -> None:
    [(key, small, record)] = records(ODS_EXPORT, "opendatasoft")
    assert record.title == {"fr": str(next(small.objects(URIRef(key), DCT.title)))}
    assert {d.file_type for d in record.distributions} >= {"CSV", "JSON"}
    assert record.licence is not None and record.licence.id == "etalab-2.0"
    ods = normalize_dataset_graph(small, key, SOURCE, fetched_at=AT, platform="opendatasoft")
    assert ods.provenance.platform == "opendatasoft"


@pytest.mark.parametrize(
    "name",
    [
        "datagouvfr_org_catalog_vanves.rdf.xml",
        "datos-gob-es_dataset_madrid.ttl",
        "geonetwork_open-datara_record_5a26b0f6.rdf.xml",
        "geonetwork_open-datara_record_f40c3860.rdf.xml",
        "geonetwork_sig-oreme_catalog.rdf",
        "ckan-dcatde_catalog_endpoint_hydra.rdf",
    ],
)
def test_publishers_spatial_and_formats_follow_the_graph(name: str) -> None:
    for key, small, record in records(name):
        node = subject_node(key)
        publisher = next(small.objects(node, DCT.publisher), None)
        if publisher is not None and isinstance(publisher, URIRef):
            assert record.publisher is not None and record.publisher.uri == str(publisher)
        names = texts(small, publisher, FOAF.name) if publisher is not None else set()
        if names:
            assert record.publisher is not None and set(record.publisher.name.values()) <= names
        spatial = [
            v
            for v in small.objects(node, DCT.spatial)
            if not isinstance(v, BNode) or set(small.predicates(v)) - {RDF.type}
        ]
        assert bool(record.spatial) == bool(spatial)
        for coverage in record.spatial:
            if coverage.bbox:
                west, south, east, north = coverage.bbox
                assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90
        for distribution in record.distributions:
            if distribution.uri:
                formats = list(small.objects(URIRef(distribution.uri), DCT["format"]))
                if formats and distribution.file_type is None:
                    assert distribution.format  # an unknown format keeps its text


def test_blank_node_datasets_get_a_stable_hash_id() -> None:
    turtle = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    [] a dcat:Catalog ; dcat:dataset [ a dcat:Dataset ; dct:title "Arbres"@fr ;
         dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <https://x.org/a.csv> ] ] .
    [] a dcat:Dataset ; dct:title "Parcs"@fr ; dct:identifier "parcs-42" .
    """
    first = list(dataset_graphs(parse_rdf(turtle, content_type="text/turtle", base=BASE)))
    again = list(dataset_graphs(parse_rdf(turtle, content_type="text/turtle", base=BASE)))
    assert [k for k, _ in first] == ["_:b0", "_:b0"]
    ids = [remote_id(g, k) for k, g in first]
    assert ids == [remote_id(g, k) for k, g in again]
    assert "parcs-42" in ids
    hashed = next(i for i in ids if i != "parcs-42")
    assert hashed.startswith("bnode:") and len(hashed) == len("bnode:") + 32
    record = next(
        normalize_dataset_graph(g, k, SOURCE, fetched_at=AT)
        for k, g in first
        if remote_id(g, k) == hashed
    )
    assert record.uri is None and record.title == {"fr": "Arbres"}
    assert record.distributions[0].download_url == "https://x.org/a.csv"
    assert record.distributions[0].file_type == "CSV"
    graph, node, _ = from_payload(to_payload("_:b0", first[0][1]))
    assert isinstance(node, BNode) and (node, DCT.title, None) in graph


def test_dataset_without_title_is_invalid_alone() -> None:
    turtle = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
    <https://x.org/d/1> a dcat:Dataset ; dcat:keyword "k" ."""
    [(key, small)] = dataset_graphs(parse_rdf(turtle, content_type=None, base=BASE))
    with pytest.raises(RecordInvalid, match=r"https://x\.org/d/1 has no title"):
        normalize_dataset_graph(small, key, SOURCE, fetched_at=AT)
    with pytest.raises(RecordInvalid, match="no N-Triples"):
        from_payload({"subject": key})


def test_small_graphs_never_swallow_other_datasets() -> None:
    whole = page("dati-unibo_catalog_dcatapit_hydra.rdf")
    for key, small in dataset_graphs(whole):
        others = {s for s in small.subjects(RDF.type, DCAT.Dataset)} - {URIRef(key)}
        assert others == set()
        assert len(small) < len(whole) / 3


def test_publisher_falls_back_to_partner_and_partner_kind() -> None:
    source = SourceSpec(
        id="s",
        url=BASE,
        platform="dcat_rdf",
        partner_name="Nobel Media AB",
        partner_kind=PartnerKind.civil_society,
    )
    [(*_, record)] = records("nobelprize_catalog_sweden.rdf", source=source)
    assert record.publisher is not None and record.publisher.kind == PartnerKind.civil_society
    [(*_, old)] = records("bad_mojibake_london-datastore_deri_dataset.ttl", source=source)
    assert old.publisher is not None and old.publisher.name == {"": "Nobel Media AB"}


def test_geometry_readers() -> None:
    assert wkt_bbox(
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POLYGON((1 2, 3 2, 3 4, 1 4, 1 2))"
    ) == (1, 2, 3, 4)
    assert wkt_bbox("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(48.8 2.3)") == (
        2.3,
        48.8,
        2.3,
        48.8,
    )
    assert wkt_bbox("ENVELOPE(1, 3, 4, 2)") == (1, 2, 3, 4)
    assert wkt_bbox("not wkt") is None
    gml = '<gml:Envelope srsName="EPSG:4326"><gml:lowerCorner>44 2</gml:lowerCorner><gml:upperCorner>46 7</gml:upperCorner></gml:Envelope>'
    assert gml_bbox(gml) == (2, 44, 7, 46)
    assert algorithm_name("http://spdx.org/rdf/terms#checksumAlgorithm_sha1") == "sha1"
    assert (
        lang_of(Literal("x", lang="fre")) == "fr" and lang_of(Literal("x", lang="en-CA")) == "en-ca"
    )
