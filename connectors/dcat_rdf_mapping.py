"""One dataset's small DCAT graph → :class:`catalog.model.DatasetRecord` (a pure function).

Reads DCAT-AP 2 and 3 terms, which GeoDCAT-AP, DCAT-AP_IT, DCAT-AP.de and DCAT-AP-SE
profiles share (their own extra terms are ignored), plus the pre-DCAT-AP habits still met
(``foaf:homepage`` as landing page, ``dct:abstract`` as description, ``rdfs:label`` as title).
One small function per field, as in ckanext-dcat profiles; agents, coverage and
distributions live in sibling modules.

Literals keep their language tags; untagged text is tagged with the dataset's language when
it declares exactly one (as the CKAN connector does). Controlled values become EU codes via
:mod:`catalog.vocab`. When the dataset has no ``dct:license`` of its own but all its
distributions share one, that licence is the dataset's.

Public entry points (also used by the OpenDataSoft connector for its DCAT export):
:func:`connectors.rdf_parse.parse_rdf`, :func:`dataset_graphs` and
:func:`normalize_dataset_graph`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from rdflib import URIRef
from rdflib.term import Node

from catalog.model import (
    DatasetRecord,
    Distribution,
    LicenceRef,
    LocalizedList,
    LocalizedText,
    Provenance,
    provenance_of,
    trusted,
)
from catalog.vocab import access_right_code, frequency_code
from connectors.base import SourceSpec
from connectors.dcat_rdf_agents import contact_points, creators, publisher
from connectors.dcat_rdf_distributions import distributions, first_licence, languages
from connectors.dcat_rdf_extent import spatial, temporal
from connectors.dcat_rdf_graphs import dataset_graphs, remote_id, subject_node
from connectors.dcat_rdf_values import (
    DCAT,
    DCATAP,
    DCT,
    FOAF,
    OWL,
    RDFS,
    SKOS,
    clean,
    first_date,
    first_text,
    first_url,
    iri,
    iris_or_labels,
    label,
    localized,
    localized_list,
    objects,
    types,
)
from connectors.errors import RecordInvalid
from connectors.rdf_index import RdfGraph, TripleIndex
from connectors.values import default_lang

__all__ = ["dataset_graphs", "normalize_dataset_graph"]


def title(graph: RdfGraph, subject: Node, lang: str) -> LocalizedText:
    """``dct:title`` per language (``rdfs:label``, ``skos:prefLabel`` as fallbacks)."""
    found = localized(graph, subject, DCT.title, RDFS.label, SKOS.prefLabel, default_lang=lang)
    if not found:
        raise RecordInvalid(f"DCAT dataset {subject} has no title")
    return found


def description(graph: RdfGraph, subject: Node, lang: str) -> LocalizedText:
    """``dct:description`` per language (``dct:abstract`` as fallback)."""
    return localized(graph, subject, DCT.description, DCT.abstract, default_lang=lang)


def keywords(graph: RdfGraph, subject: Node, lang: str) -> LocalizedList:
    """``dcat:keyword`` literals grouped by language."""
    return localized_list(graph, subject, DCAT.keyword, default_lang=lang)


def themes(graph: RdfGraph, subject: Node) -> list[str]:
    """``dcat:theme`` IRIs (EU data themes, INSPIRE…) or labels."""
    return iris_or_labels(graph, objects(graph, subject, DCAT.theme))


def licence(graph: RdfGraph, subject: Node, found: list[Distribution]) -> LicenceRef | None:
    """``dct:license`` of the dataset, else the one licence all distributions share."""
    own = first_licence(graph, subject)
    if own:
        return own
    shared = {d.licence.model_dump_json() for d in found if d.licence}
    if len(shared) == 1 and all(d.licence for d in found):
        return found[0].licence
    return None


def _code(
    graph: RdfGraph, subject: Node, predicate: URIRef, vocabulary: Callable[[str], str | None]
) -> str | None:
    """The first code ``vocabulary`` finds for the IRI or label of a ``predicate`` value."""
    for node in objects(graph, subject, predicate):
        for text in (iri(graph, node), label(graph, node)):
            code = vocabulary(text) if text else None
            if code:
                return code
    return None


def access_rights(graph: RdfGraph, subject: Node) -> str | None:
    """EU access-right code of ``dct:accessRights`` (IRI or label)."""
    return _code(graph, subject, DCT.accessRights, access_right_code)


def frequency(graph: RdfGraph, subject: Node) -> str | None:
    """EU frequency code of ``dct:accrualPeriodicity`` (IRI, label or ISO 8601 duration)."""
    return _code(graph, subject, DCT.accrualPeriodicity, frequency_code)


def issued(graph: RdfGraph, subject: Node) -> date | datetime | None:
    """``dct:issued`` (``dct:created`` as fallback)."""
    return first_date(graph, subject, DCT.issued, DCT.created)


def modified(graph: RdfGraph, subject: Node) -> date | datetime | None:
    """``dct:modified`` (``dct:updated`` as fallback)."""
    return first_date(graph, subject, DCT.modified, DCT.updated)


def landing_page(graph: RdfGraph, subject: Node) -> str | None:
    """``dcat:landingPage`` (``foaf:homepage`` of old DCAT as fallback)."""
    return first_url(graph, subject, DCAT.landingPage, FOAF.homepage)


def documentation(graph: RdfGraph, subject: Node) -> list[str]:
    """``foaf:page`` URLs."""
    pages = [iri(graph, node) for node in objects(graph, subject, FOAF.page)]
    return list(dict.fromkeys(p for p in pages if p and p.startswith(("http://", "https://"))))


def version(graph: RdfGraph, subject: Node) -> str | None:
    """``dcat:version`` (DCAT 3) or ``owl:versionInfo``."""
    return first_text(graph, subject, DCAT.version, OWL.versionInfo)


def provenance(
    subject: Node, key: str, source: SourceSpec, platform: str, page: str | None, at: datetime
) -> Provenance:
    """Where the record came from: its IRI as original URL when it is a web address."""
    link = str(subject) if isinstance(subject, URIRef) else None
    web = link if link and link.startswith(("http://", "https://")) else None
    return provenance_of(source.id, key, platform, web, page, at)


def normalize_dataset_graph(
    graph: RdfGraph,
    subject: str | Node,
    source: SourceSpec,
    *,
    fetched_at: datetime,
    platform: str = "dcat_rdf",
    api_url: str | None = None,
) -> DatasetRecord:
    """Map one dataset (``subject``: its node, or the key :func:`dataset_graphs` gave) of a
    small graph to a DatasetRecord; ``api_url`` is the page it was read from. An rdflib
    Graph is indexed first (the field readers look nodes up many times)."""
    graph = TripleIndex.of(graph)
    node = subject_node(subject)
    if (node, None, None) not in graph:
        raise RecordInvalid(f"DCAT dataset {subject} is not described in its graph")
    key = remote_id(graph, node)
    codes = languages(graph, node)
    lang = default_lang(codes)
    found = distributions(graph, node, default_lang=lang)
    identifier = next(
        (text for v in objects(graph, node, DCT.identifier) if (text := clean(str(v)))), key
    )
    # every value below already has its exact field type: no validation needed (see trusted;
    # tests/connectors/test_dcat_rdf_trusted.py builds every fixture's both ways)
    return trusted(
        DatasetRecord,
        {
            "identifier": identifier,
            "uri": str(node) if isinstance(node, URIRef) else None,
            "title": title(graph, node, lang),
            "description": description(graph, node, lang),
            "keywords": keywords(graph, node, lang),
            "themes": themes(graph, node),
            "publisher": publisher(graph, node, source, lang),
            "creators": creators(graph, node, lang),
            "contact_points": contact_points(graph, node),
            "licence": licence(graph, node, found),
            "access_rights": access_rights(graph, node),
            "issued": issued(graph, node),
            "modified": modified(graph, node),
            "temporal": temporal(graph, node),
            "spatial": spatial(graph, node),
            "landing_page": landing_page(graph, node),
            "accrual_periodicity": frequency(graph, node),
            "language": codes,
            "version": version(graph, node),
            "documentation": documentation(graph, node),
            "conforms_to": iris_or_labels(graph, objects(graph, node, DCT.conformsTo)),
            "hvd_categories": iris_or_labels(graph, objects(graph, node, DCATAP.hvdCategory)),
            "is_series": DCAT.DatasetSeries in types(graph, node),
            "distributions": found,
            "provenance": provenance(node, key, source, platform, api_url, fetched_at),
        },
    )
