"""DatasetRecord → DCAT-AP 3 triples.

One small function per DCAT-AP property group, called in order by :func:`dataset_triples`
(as in ckanext-dcat profiles). Resources get stable URIs derived from the dataset URI
(``{dataset}/distribution/{id}``, ``/publisher``, ``/contact/{n}``); value nodes (periods,
locations, checksums, rights) are blank nodes with labels derived from the same inputs, so the
same record always gives the same bytes.

Objects are typed with the class the DCAT-AP range shapes expect (``dct:LicenseDocument``,
``dct:Frequency``, ``foaf:Document``…), as ckanext-dcat does. EU authority concepts (data
themes, publisher types, HVD categories) are *not* typed ``skos:Concept`` here: their labels
live in the EU vocabularies, which a validator loads alongside the data.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rdflib import Graph, URIRef

from catalog.model import Agent, ContactPoint, DatasetRecord, PartnerKind, SpatialCoverage
from catalog.rdf.distribution_graph import (
    conforms_to,
    dates,
    distributions,
    landing_page,
    languages,
    licence_node,
)
from catalog.rdf.geometry import bbox_wkt, geometry_texts
from catalog.rdf.namespaces import Triple, bind_prefixes
from catalog.rdf.terms import (
    ADMS,
    DCAT,
    DCATAP,
    DCTERMS,
    ELI,
    FOAF,
    GSP,
    HVD_CATEGORY,
    LOCN,
    OWL,
    PROV,
    PUBLISHER_TYPE,
    RDF,
    SKOS,
    VCARD,
    XSD,
    Statements,
    child,
    code_uri,
    has_text,
    iri,
    mailto,
    node_id,
    plain,
    tagged,
    texts,
    to_rdflib,
    typed,
    when,
)
from catalog.vocab import access_right_uri, frequency_uri

Out = Statements

PUBLISHER_TYPES: dict[PartnerKind, str] = {
    PartnerKind.municipality: PUBLISHER_TYPE + "LocalAuthority",
    # A Québec ministry belongs to a provincial, i.e. sub-national, government: the ADMS
    # "NationalAuthority" is meant for state governments, "RegionalAuthority" fits better.
    PartnerKind.ministry: PUBLISHER_TYPE + "RegionalAuthority",
    PartnerKind.civil_society: PUBLISHER_TYPE + "NonGovernmentalOrganisation",
    # public_body (agencies, crown corporations) and other: no ADMS value fits; no dct:type.
}
HVD_LEGISLATION = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
_HVD_LEGISLATION = str(HVD_LEGISLATION)
_HVD_CODE = re.compile(r"^c_[0-9a-f]{8}$")
_PHONE_DROP = re.compile(r"[^0-9+\-.()]")


def _types(out: Out, ds: str, record: DatasetRecord) -> None:
    out.append((ds, RDF.type, DCAT.Dataset))
    if record.is_series:  # DatasetSeries is a Dataset; say both (no inference downstream)
        out.append((ds, RDF.type, DCAT.DatasetSeries))


def _title_description(out: Out, ds: str, record: DatasetRecord) -> None:
    start = len(out)
    texts(out, ds, DCTERMS.title, record.title)
    if len(out) == start:  # no title in any language: the identifier
        texts(out, ds, DCTERMS.title, {"": record.identifier})
    titles = out[start:]
    # dct:description is mandatory in DCAT-AP; repeating the title is the least-wrong filler.
    start = len(out)
    texts(out, ds, DCTERMS.description, record.description)
    if len(out) == start:
        out.extend([(ds, DCTERMS.description, title) for _, _, title in titles])


def _keywords(out: Out, ds: str, record: DatasetRecord) -> None:
    for tag, words in record.keywords.items():
        tagged(out, ds, DCAT.keyword, tag, words)


def _identifiers(out: Out, ds: str, record: DatasetRecord) -> None:
    literal = plain(record.identifier)
    if literal is not None:
        out.append((ds, DCTERMS.identifier, literal))
    # The publisher's own URI for the dataset, when it differs from ours: a secondary
    # identifier (adms:Identifier with the URI as skos:notation).
    if record.uri and iri(record.uri) != ds:
        node = node_id(ds, "adms:identifier", record.uri)
        out.append((ds, ADMS.identifier, node))
        out.append((node, RDF.type, ADMS.Identifier))
        out.append((node, SKOS.notation, (record.uri.strip(), None, XSD.anyURI)))


def _themes(out: Out, ds: str, record: DatasetRecord) -> None:
    for theme in record.themes:
        uri = iri(theme)
        if uri is not None:
            out.append((ds, DCAT.theme, uri))
            continue
        # A free-text theme (a CKAN group name): a concept of our own, labelled with the text.
        label = plain(theme)
        if label is not None:
            concept = child(ds, "theme", label[0])
            out.append((ds, DCAT.theme, concept))
            out.append((concept, RDF.type, SKOS.Concept))
            out.append((concept, SKOS.prefLabel, label))


def _agent(out: Out, s: str, p: str, agent: Agent, default_uri: str) -> None:
    """A foaf:Agent; skipped when it has no name (foaf:name is mandatory)."""
    names = agent.name if has_text(agent.name) else None
    names = names or ({"": agent.identifier} if agent.identifier else None)
    if not names:
        return
    node = iri(agent.uri) or default_uri
    typed(out, s, p, node, FOAF.Agent)
    texts(out, node, FOAF.name, names)
    if agent.kind is not None and (kind := PUBLISHER_TYPES.get(agent.kind)) is not None:
        out.append((node, DCTERMS.type, kind))
    if agent.identifier and (literal := plain(agent.identifier)) is not None:
        out.append((node, DCTERMS.identifier, literal))
    if agent.email and (mbox := mailto(agent.email)) is not None:
        out.append((node, FOAF.mbox, mbox))
    typed(out, node, FOAF.homepage, iri(agent.homepage), FOAF.Document)


def _agents(out: Out, ds: str, record: DatasetRecord) -> None:
    if record.publisher is not None:
        _agent(out, ds, DCTERMS.publisher, record.publisher, child(ds, "publisher"))
    for n, creator in enumerate(record.creators, 1):
        _agent(out, ds, DCTERMS.creator, creator, child(ds, "creator", str(n)))


def _contact(out: Out, ds: str, contact: ContactPoint, node: str) -> None:
    typed(out, ds, DCAT.contactPoint, node, VCARD.Kind)
    if (name := plain(contact.name)) is not None:
        out.append((node, VCARD.fn, name))
    if contact.email and (mbox := mailto(contact.email)) is not None:
        out.append((node, VCARD.hasEmail, mbox))
    if (url := iri(contact.url)) is not None:
        out.append((node, VCARD.hasURL, url))
    if contact.phone:
        phone = _PHONE_DROP.sub("", "-".join(contact.phone.split())).strip("-")
        if phone:
            out.append((node, VCARD.hasTelephone, f"tel:{phone}"))


def _contacts(out: Out, ds: str, record: DatasetRecord) -> None:
    for n, contact in enumerate(record.contact_points, 1):
        _contact(out, ds, contact, child(ds, "contact", str(n)))


def _licence(out: Out, ds: str, record: DatasetRecord) -> None:
    # DCAT-AP puts licences on distributions (see _dist_licence); the dataset-level triple
    # is kept for DCAT 3 consumers that read dct:license on any dcat:Resource.
    if record.licence is not None:
        typed(
            out,
            ds,
            DCTERMS.license,
            licence_node(out, ds, record.licence),
            DCTERMS.LicenseDocument,
        )


def _access_rights(out: Out, ds: str, record: DatasetRecord) -> None:
    if record.access_rights:
        uri = code_uri(record.access_rights, access_right_uri)
        typed(out, ds, DCTERMS.accessRights, uri, DCTERMS.RightsStatement)


def _dataset_dates(out: Out, ds: str, record: DatasetRecord) -> None:
    dates(out, ds, record.issued, record.modified)


def _temporal(out: Out, ds: str, record: DatasetRecord) -> None:
    for period in record.temporal:
        if period.start is None and period.end is None:
            continue
        node = node_id(ds, "temporal", str(period.start), str(period.end))
        typed(out, ds, DCTERMS.temporal, node, DCTERMS.PeriodOfTime)
        if period.start is not None:
            out.append((node, DCAT.startDate, when(period.start)))
        if period.end is not None:
            out.append((node, DCAT.endDate, when(period.end)))


def _geometry(out: Out, location: str, ds: str, geometry: dict[str, object]) -> None:
    geojson, wkt = geometry_texts(geometry)
    node = node_id(ds, "geometry", geojson)
    # DCAT-AP 3 ranges locn:geometry over locn:Geometry nodes; the shape goes on the node.
    typed(out, location, LOCN.geometry, node, LOCN.Geometry)
    if wkt is not None:
        out.append((node, GSP.asWKT, (wkt, None, GSP.wktLiteral)))
    out.append((node, GSP.asGeoJSON, (geojson, None, GSP.geoJSONLiteral)))


def _location(out: Out, ds: str, n: int, spatial: SpatialCoverage) -> None:
    node: str = iri(spatial.uri) or node_id(ds, "spatial", str(n))
    typed(out, ds, DCTERMS.spatial, node, DCTERMS.Location)
    texts(out, node, SKOS.prefLabel, spatial.label)
    if spatial.bbox is not None:
        out.append((node, DCAT.bbox, (bbox_wkt(spatial.bbox), None, GSP.wktLiteral)))
    if spatial.geometry:
        _geometry(out, node, ds, spatial.geometry)


def _spatial(out: Out, ds: str, record: DatasetRecord) -> None:
    for n, spatial in enumerate(record.spatial, 1):
        if spatial.uri or spatial.bbox or spatial.geometry or spatial.label:
            _location(out, ds, n, spatial)


def _pages(out: Out, ds: str, record: DatasetRecord) -> None:
    typed(out, ds, DCAT.landingPage, landing_page(record), FOAF.Document)
    for page in record.documentation:
        typed(out, ds, FOAF.page, iri(page), FOAF.Document)


def _frequency(out: Out, ds: str, record: DatasetRecord) -> None:
    if record.accrual_periodicity:
        uri = code_uri(record.accrual_periodicity, frequency_uri)
        typed(out, ds, DCTERMS.accrualPeriodicity, uri, DCTERMS.Frequency)


def _dataset_languages(out: Out, ds: str, record: DatasetRecord) -> None:
    languages(out, ds, record.language)


def _version(out: Out, ds: str, record: DatasetRecord) -> None:
    if (version := plain(record.version)) is not None:
        out.append((ds, DCAT.version, version))  # DCAT-AP 3
        out.append((ds, OWL.versionInfo, version))  # DCAT-AP 2 consumers


def _dataset_conforms_to(out: Out, ds: str, record: DatasetRecord) -> None:
    conforms_to(out, ds, record.conforms_to)


def _hvd(out: Out, ds: str, record: DatasetRecord) -> None:
    categories = [
        HVD_CATEGORY + value if _HVD_CODE.match(value) else iri(value)
        for value in (v.strip() for v in record.hvd_categories)
    ]
    found = [c for c in categories if c is not None]
    for category in found:
        out.append((ds, DCATAP.hvdCategory, category))
    if found:  # an HVD dataset is one by the implementing regulation (EU) 2023/138
        typed(out, ds, DCATAP.applicableLegislation, _HVD_LEGISLATION, ELI.LegalResource)


def _provenance(out: Out, ds: str, record: DatasetRecord) -> None:
    # Where we harvested it from. Not dct:source: DCAT-AP 3 ranges that over dcat:Dataset
    # (a derived dataset), and the source page is a description, not a dataset. PROV's
    # wasDerivedFrom says exactly "this description was derived from that resource".
    origin = iri(record.provenance.original_url) or iri(record.provenance.api_url)
    if origin is not None:
        out.append((ds, PROV.wasDerivedFrom, origin))


# --- entry points -------------------------------------------------------------------------

_DATASET_PARTS: tuple[Callable[[Out, str, DatasetRecord], None], ...] = (
    _types,
    _title_description,
    _keywords,
    _identifiers,
    _themes,
    _agents,
    _contacts,
    _licence,
    _access_rights,
    _dataset_dates,
    _temporal,
    _spatial,
    _pages,
    _frequency,
    _dataset_languages,
    _version,
    _dataset_conforms_to,
    _hvd,
    _provenance,
    distributions,
)


def dataset_statements(
    record: DatasetRecord, *, dataset_uri: str, catalog_uri: str | None = None, unique: bool = True
) -> Statements:
    """The DCAT-AP 3 statements of ``record`` as ``dataset_uri`` (lightweight terms, see
    :mod:`catalog.rdf.terms`; in a stable order), plus ``<catalog> dcat:dataset <dataset>``
    when ``catalog_uri`` is given. Duplicates are removed unless ``unique`` is false (the
    writers drop them themselves)."""
    ds = iri(dataset_uri)
    if ds is None:
        raise ValueError(f"dataset URI must be absolute: {dataset_uri!r}")
    out: Out = []
    if (catalog := iri(catalog_uri)) is not None:
        out.append((catalog, DCAT.dataset, ds))
    for part in _DATASET_PARTS:
        part(out, ds, record)
    return list(dict.fromkeys(out)) if unique else out


def dataset_triples(
    record: DatasetRecord, *, dataset_uri: str, catalog_uri: str | None = None
) -> list[Triple]:
    """:func:`dataset_statements` as rdflib triples."""
    statements = dataset_statements(record, dataset_uri=dataset_uri, catalog_uri=catalog_uri)
    return to_rdflib(statements)


def dataset_graph(
    record: DatasetRecord, *, dataset_uri: str, catalog_uri: str | None = None
) -> Graph:
    """:func:`dataset_triples` in a small rdflib Graph with the DCAT-AP prefixes bound."""
    graph = bind_prefixes(Graph())
    for triple in dataset_triples(record, dataset_uri=dataset_uri, catalog_uri=catalog_uri):
        graph.add(triple)
    return graph
