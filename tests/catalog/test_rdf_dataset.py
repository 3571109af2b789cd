"""DatasetRecord → DCAT-AP 3 triples, and the catalogue / Hydra paging triples."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from catalog.model import (
    Agent,
    Checksum,
    ContactPoint,
    DatasetRecord,
    Distribution,
    LicenceRef,
    PartnerKind,
    PeriodOfTime,
    Provenance,
    SpatialCoverage,
)
from catalog.rdf import catalog_triples, dataset_graph, dataset_triples, paging_triples
from catalog.rdf.dataset_graph import HVD_LEGISLATION
from catalog.rdf.geometry import bbox_wkt, geojson_wkt
from catalog.rdf.namespaces import (
    ADMS,
    DCAT,
    DCATAP,
    DCTERMS,
    FOAF,
    GSP,
    HYDRA,
    LOCN,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    VCARD,
    XSD,
)
from tests.paths import fixture

DS = "https://moisson.example/jeux/qc-érable"
EU = "http://publications.europa.eu/resource/authority/"


def rich_record(**changes: object) -> DatasetRecord:
    """A record using every field, with French text, tags and awkward URLs."""
    record = DatasetRecord(
        identifier="qc-érable",
        uri="https://donnees.example.qc.ca/dataset/érable",
        title={"fr": "Production d'érable « sirop »", "en": "Maple production", "": "Érable"},
        description={"fr": 'Données "brutes" \\ ligne 1\nligne 2\tfin', "en": "Raw data"},
        keywords={"fr": ["érable", "sirop"], "en": ["maple"], "": ["agriculture"]},
        themes=[f"{EU}data-theme/AGRI", "Agriculture et pêches"],
        publisher=Agent(
            name={"fr": "Ville de Québec"},
            uri="https://donnees.example.qc.ca/organization/ville-de-quebec",
            identifier="ville-de-quebec",
            email="opendata@ville.example.qc.ca",
            homepage="https://www.ville.example.qc.ca",
            kind=PartnerKind.municipality,
        ),
        creators=[Agent(name={"": "Ministère de l'Agriculture"}, kind=PartnerKind.ministry)],
        contact_points=[
            ContactPoint(
                name="Service des données",
                email="donnees@ville.example.qc.ca",
                phone="+1 418 555-0100",
                url="https://www.ville.example.qc.ca/contact",
            )
        ],
        licence=LicenceRef(
            id="CC-BY-4.0", uri="https://creativecommons.org/licenses/by/4.0/", title="CC BY 4.0"
        ),
        access_rights="PUBLIC",
        issued=date(2020, 3, 1),
        modified=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        temporal=[PeriodOfTime(start=date(2019, 1, 1), end=date(2019, 12, 31))],
        spatial=[
            SpatialCoverage(
                bbox=(-71.5, 46.7, -71.1, 46.9),
                geometry={"type": "Point", "coordinates": [-71.2, 46.8]},
                label={"fr": "Québec"},
            ),
            SpatialCoverage(uri="https://sws.geonames.org/6325494/"),
        ],
        landing_page="https://donnees.example.qc.ca/dataset/érable?x=a b|c",
        accrual_periodicity="ANNUAL",
        language=["FRA", "ENG"],
        version="2.1",
        documentation=["https://donnees.example.qc.ca/doc/érable.pdf"],
        conforms_to=["https://www.example.org/schema/erable"],
        hvd_categories=["c_ac64a52d"],
        distributions=[
            Distribution(
                identifier="res-1",
                title={"fr": "Fichier CSV"},
                description={"fr": "Toutes les années"},
                access_url="https://donnees.example.qc.ca/dataset/érable/resource/res-1",
                download_url="https://donnees.example.qc.ca/files/érable 2019.csv",
                file_type="CSV",
                media_type="text/csv",
                byte_size=12345,
                licence=LicenceRef(title="Licence maison de la Ville"),
                rights="Attribution requise",
                issued=date(2020, 3, 1),
                modified=datetime(2024, 5, 6, 7, 8, 9),
                language=["FRA"],
                checksum=Checksum(algorithm="SHA-256", value="AB" * 32),
                api_access=True,
                endpoint_url="https://donnees.example.qc.ca/api/3/action/datastore_search?resource_id=res-1",
                conforms_to=["https://www.example.org/schema/erable"],
            ),
            Distribution(
                download_url="https://donnees.example.qc.ca/files/erable.json", format="JSON maison"
            ),
            Distribution(format="PDF"),  # no URL at all: the landing page stands in
        ],
        provenance=Provenance(
            source_id="donnees-quebec",
            remote_id="abc-123",
            platform="ckan",
            original_url="https://donnees.example.qc.ca/dataset/erable",
            api_url="https://donnees.example.qc.ca/api/3/action/package_show?id=abc-123",
            harvested_at=datetime(2025, 1, 2, tzinfo=UTC),
        ),
    )
    return record.model_copy(update=changes)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return dataset_graph(rich_record(), dataset_uri=DS)


def ds() -> URIRef:
    return URIRef(DS)


def dist(key: str) -> URIRef:
    return URIRef(f"{DS}/distribution/{key}")


def test_dataset_text_with_language_tags(graph: Graph) -> None:
    titles = set(graph.objects(ds(), DCTERMS.title))
    assert titles == {
        Literal("Production d'érable « sirop »", lang="fr"),
        Literal("Maple production", lang="en"),
        Literal("Érable"),  # "" → untagged plain literal
    }
    keywords = set(graph.objects(ds(), DCAT.keyword))
    assert Literal("érable", lang="fr") in keywords
    assert Literal("maple", lang="en") in keywords
    assert Literal("agriculture") in keywords
    assert graph.value(ds(), DCTERMS.identifier) == Literal("qc-érable")
    assert (ds(), RDF.type, DCAT.Dataset) in graph


def test_missing_description_repeats_the_title() -> None:
    g = dataset_graph(rich_record(description={}), dataset_uri=DS)
    assert set(g.objects(ds(), DCTERMS.description)) == set(g.objects(ds(), DCTERMS.title))


def test_themes_uri_and_free_text(graph: Graph) -> None:
    themes = set(graph.objects(ds(), DCAT.theme))
    assert URIRef(f"{EU}data-theme/AGRI") in themes
    local = next(t for t in themes if str(t).startswith(DS))
    assert (local, RDF.type, SKOS.Concept) in graph
    assert graph.value(local, SKOS.prefLabel) == Literal("Agriculture et pêches")


def test_publisher_and_creator_agents(graph: Graph) -> None:
    publisher = graph.value(ds(), DCTERMS.publisher)
    assert publisher == URIRef("https://donnees.example.qc.ca/organization/ville-de-quebec")
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert graph.value(publisher, FOAF.name) == Literal("Ville de Québec", lang="fr")
    assert graph.value(publisher, DCTERMS.type) == URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority"
    )
    assert graph.value(publisher, FOAF.mbox) == URIRef("mailto:opendata@ville.example.qc.ca")
    creator = graph.value(ds(), DCTERMS.creator)
    assert creator == URIRef(f"{DS}/creator/1")
    assert graph.value(creator, DCTERMS.type) == URIRef(
        "http://purl.org/adms/publishertype/RegionalAuthority"
    )


def test_agent_without_name_is_left_out() -> None:
    g = dataset_graph(rich_record(publisher=Agent(email="x@example.org")), dataset_uri=DS)
    assert g.value(ds(), DCTERMS.publisher) is None


def test_contact_point_vcard(graph: Graph) -> None:
    contact = graph.value(ds(), DCAT.contactPoint)
    assert contact == URIRef(f"{DS}/contact/1")
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.fn) == Literal("Service des données")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:donnees@ville.example.qc.ca")
    assert graph.value(contact, VCARD.hasTelephone) == URIRef("tel:+1-418-555-0100")
    assert graph.value(contact, VCARD.hasURL) == URIRef("https://www.ville.example.qc.ca/contact")


def test_controlled_vocabularies_are_eu_uris(graph: Graph) -> None:
    assert graph.value(ds(), DCTERMS.accessRights) == URIRef(f"{EU}access-right/PUBLIC")
    assert graph.value(ds(), DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/ANNUAL")
    assert set(graph.objects(ds(), DCTERMS.language)) == {
        URIRef(f"{EU}language/FRA"),
        URIRef(f"{EU}language/ENG"),
    }
    assert (URIRef(f"{EU}frequency/ANNUAL"), RDF.type, DCTERMS.Frequency) in graph
    assert (URIRef(f"{EU}language/FRA"), RDF.type, DCTERMS.LinguisticSystem) in graph
    assert graph.value(ds(), DCATAP.hvdCategory) == URIRef("http://data.europa.eu/bna/c_ac64a52d")
    assert graph.value(ds(), DCATAP.applicableLegislation) == HVD_LEGISLATION


def test_licence_uri_and_title_only(graph: Graph) -> None:
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert graph.value(ds(), DCTERMS.license) == licence
    assert (licence, RDF.type, DCTERMS.LicenseDocument) in graph
    own = graph.value(dist("res-1"), DCTERMS.license)
    assert isinstance(own, BNode)
    assert graph.value(own, RDFS.label) == Literal("Licence maison de la Ville")
    # a distribution without its own licence inherits the dataset's
    assert graph.value(dist("2"), DCTERMS.license) == licence


def test_dates_and_temporal(graph: Graph) -> None:
    assert graph.value(ds(), DCTERMS.issued) == Literal("2020-03-01", datatype=XSD.date)
    assert graph.value(ds(), DCTERMS.modified) == Literal(
        "2024-05-06T07:08:09+00:00", datatype=XSD.dateTime
    )
    period = graph.value(ds(), DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == Literal("2019-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal("2019-12-31", datatype=XSD.date)


def test_spatial_bbox_geometry_and_uri(graph: Graph) -> None:
    places = list(graph.objects(ds(), DCTERMS.spatial))
    assert URIRef("https://sws.geonames.org/6325494/") in places
    box = next(p for p in places if isinstance(p, BNode))
    assert (box, RDF.type, DCTERMS.Location) in graph
    assert graph.value(box, DCAT.bbox) == Literal(
        "POLYGON ((-71.5 46.7, -71.5 46.9, -71.1 46.9, -71.1 46.7, -71.5 46.7))",
        datatype=GSP.wktLiteral,
    )
    geometry = graph.value(box, LOCN.geometry)
    assert (geometry, RDF.type, LOCN.Geometry) in graph
    assert graph.value(geometry, GSP.asWKT) == Literal(
        "POINT (-71.2 46.8)", datatype=GSP.wktLiteral
    )
    assert graph.value(box, SKOS.prefLabel) == Literal("Québec", lang="fr")


def test_wkt_helpers() -> None:
    assert bbox_wkt((0, 1, 2, 3)) == "POLYGON ((0.0 1.0, 0.0 3.0, 2.0 3.0, 2.0 1.0, 0.0 1.0))"
    square = [[[0, 0], [0, 1], [1, 1], [0, 0]]]
    assert geojson_wkt({"type": "MultiPolygon", "coordinates": [square]}) == (
        "MULTIPOLYGON (((0.0 0.0, 0.0 1.0, 1.0 1.0, 0.0 0.0)))"
    )
    assert geojson_wkt({"type": "Polygon", "coordinates": "bad"}) is None
    assert geojson_wkt({"type": "GeometryCollection", "geometries": []}) is None


def test_pages_version_standards_and_provenance(graph: Graph) -> None:
    landing = graph.value(ds(), DCAT.landingPage)
    # characters IRIs forbid are percent-encoded; accents are kept (IRIs allow them)
    assert landing == URIRef("https://donnees.example.qc.ca/dataset/érable?x=a%20b%7Cc")
    assert (landing, RDF.type, FOAF.Document) in graph
    assert graph.value(ds(), FOAF.page) == URIRef("https://donnees.example.qc.ca/doc/érable.pdf")
    assert graph.value(ds(), DCAT.version) == Literal("2.1")
    assert graph.value(ds(), OWL.versionInfo) == Literal("2.1")
    assert graph.value(ds(), DCTERMS.conformsTo) == URIRef("https://www.example.org/schema/erable")
    assert graph.value(ds(), PROV.wasDerivedFrom) == URIRef(
        "https://donnees.example.qc.ca/dataset/erable"
    )
    other = graph.value(ds(), ADMS.identifier)
    assert graph.value(other, SKOS.notation) == Literal(
        "https://donnees.example.qc.ca/dataset/érable", datatype=XSD.anyURI
    )


def test_landing_page_falls_back_to_the_harvested_page() -> None:
    g = dataset_graph(rich_record(landing_page=None), dataset_uri=DS)
    assert g.value(ds(), DCAT.landingPage) == URIRef("https://donnees.example.qc.ca/dataset/erable")


def test_distribution_properties(graph: Graph) -> None:
    node = dist("res-1")
    assert (ds(), DCAT.distribution, node) in graph
    assert (node, RDF.type, DCAT.Distribution) in graph
    assert graph.value(node, DCAT.accessURL) == URIRef(
        "https://donnees.example.qc.ca/dataset/érable/resource/res-1"
    )
    assert graph.value(node, DCAT.downloadURL) == URIRef(
        "https://donnees.example.qc.ca/files/érable%202019.csv"
    )
    assert graph.value(node, DCTERMS.format) == URIRef(f"{EU}file-type/CSV")
    assert graph.value(node, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert graph.value(node, DCAT.byteSize) == Literal("12345", datatype=XSD.nonNegativeInteger)
    assert graph.value(node, DCTERMS.title) == Literal("Fichier CSV", lang="fr")
    assert graph.value(node, DCTERMS.modified) == Literal(
        "2024-05-06T07:08:09", datatype=XSD.dateTime
    )
    assert graph.value(node, DCTERMS.language) == URIRef(f"{EU}language/FRA")
    rights = graph.value(node, DCTERMS.rights)
    assert graph.value(rights, RDFS.label) == Literal("Attribution requise")
    checksum = graph.value(node, SPDX.checksum)
    assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert graph.value(checksum, SPDX.checksumValue) == Literal("ab" * 32, datatype=XSD.hexBinary)


def test_api_access_is_a_data_service(graph: Graph) -> None:
    service = graph.value(dist("res-1"), DCAT.accessService)
    assert service == URIRef(f"{DS}/distribution/res-1/service")
    assert (service, RDF.type, DCAT.DataService) in graph
    assert graph.value(service, DCAT.endpointURL) == URIRef(
        "https://donnees.example.qc.ca/api/3/action/datastore_search?resource_id=res-1"
    )
    assert graph.value(service, DCAT.servesDataset) == ds()
    assert graph.value(service, DCTERMS.title) == Literal("Fichier CSV", lang="fr")
    assert graph.value(dist("2"), DCAT.accessService) is None


def test_access_url_fallbacks(graph: Graph) -> None:
    # no access URL: the download URL; no URL at all: the dataset's landing page
    assert graph.value(dist("2"), DCAT.accessURL) == URIRef(
        "https://donnees.example.qc.ca/files/erable.json"
    )
    assert graph.value(dist("3"), DCAT.accessURL) == graph.value(ds(), DCAT.landingPage)
    unknown = graph.value(dist("2"), DCTERMS.format)
    assert graph.value(unknown, RDFS.label) == Literal("JSON maison")


def test_output_is_deterministic() -> None:
    first = dataset_triples(rich_record(), dataset_uri=DS)
    second = dataset_triples(rich_record(), dataset_uri=DS)
    assert first == second  # blank-node labels included
    assert len(first) == len(set(first))


def test_catalog_link_and_bad_dataset_uri() -> None:
    triples = dataset_triples(
        rich_record(), dataset_uri=DS, catalog_uri="https://moisson.example/catalog"
    )
    assert (URIRef("https://moisson.example/catalog"), DCAT.dataset, ds()) in triples
    with pytest.raises(ValueError, match="absolute"):
        dataset_triples(rich_record(), dataset_uri="relative/path")


def test_control_characters_are_dropped() -> None:
    g = dataset_graph(rich_record(title={"fr": "Bad\x00\x08 title\x1f"}), dataset_uri=DS)
    assert g.value(ds(), DCTERMS.title) == Literal("Bad title", lang="fr")


def test_bad_checksum_and_media_type_are_left_out() -> None:
    record = rich_record(
        distributions=[
            Distribution(
                access_url="https://x.example/a",
                checksum=Checksum(algorithm="sha256", value="not hex"),
                media_type="CSV file",
            )
        ]
    )
    g = dataset_graph(record, dataset_uri=DS)
    assert g.value(dist("1"), SPDX.checksum) is None
    assert g.value(dist("1"), DCAT.mediaType) is None


# --- catalogue and paging -----------------------------------------------------------------

CATALOG = "https://moisson.example/catalog"


def test_catalog_triples_mandatory_properties() -> None:
    g = Graph()
    for t in catalog_triples(
        catalog_uri=CATALOG,
        title={"fr": "Catalogue Moisson", "en": "Moisson catalogue"},
        description={},
        publisher_name={"fr": "Données Québec"},
        homepage="https://moisson.example/",
        modified=date(2025, 1, 2),
        dataset_uris=[DS],
    ):
        g.add(t)
    catalog = URIRef(CATALOG)
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert set(g.objects(catalog, DCTERMS.description)) == set(g.objects(catalog, DCTERMS.title))
    publisher = g.value(catalog, DCTERMS.publisher)
    assert g.value(publisher, FOAF.name) == Literal("Données Québec", lang="fr")
    assert g.value(catalog, FOAF.homepage) == URIRef("https://moisson.example/")
    assert g.value(catalog, DCAT.dataset) == ds()
    with pytest.raises(ValueError):
        catalog_triples(catalog_uri=CATALOG, title={}, description={}, publisher_name="x")


def test_paging_has_current_and_legacy_hydra_terms() -> None:
    page = f"{CATALOG}.ttl?page=2"
    g = Graph()
    for t in paging_triples(
        page_uri=page,
        first=f"{CATALOG}.ttl?page=1",
        last=f"{CATALOG}.ttl?page=26",
        next=f"{CATALOG}.ttl?page=3",
        previous=f"{CATALOG}.ttl?page=1",
        total_items=2561,
        items_per_page=100,
        collection_uri=CATALOG,
    ):
        g.add(t)
    node = URIRef(page)
    assert {HYDRA.PartialCollectionView, HYDRA.PagedCollection} <= set(g.objects(node, RDF.type))
    assert g.value(node, HYDRA.next) == URIRef(f"{CATALOG}.ttl?page=3")
    assert g.value(node, HYDRA.previous) == URIRef(f"{CATALOG}.ttl?page=1")
    assert g.value(node, HYDRA.nextPage) == Literal(f"{CATALOG}.ttl?page=3")
    assert g.value(node, HYDRA.previousPage) == Literal(f"{CATALOG}.ttl?page=1")
    assert g.value(URIRef(CATALOG), HYDRA.view) == node
    assert g.value(URIRef(CATALOG), HYDRA.totalItems) == Literal("2561", datatype=XSD.integer)
    # the legacy node reads like ckanext-dcat's own output (recorded from demo.ckan.org)
    recorded = Graph().parse(fixture("dcat-rdf", "demo-ckan_catalog_page1_hydra.ttl"))
    legacy = next(recorded.subjects(RDF.type, HYDRA.PagedCollection))
    ours = {(p, type(o), getattr(o, "datatype", None)) for p, o in g.predicate_objects(node)}
    for p, o in recorded.predicate_objects(legacy):
        assert (p, type(o), getattr(o, "datatype", None)) in ours
