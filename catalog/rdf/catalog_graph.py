"""The dcat:Catalog node of a feed, and its Hydra paging triples.

Paging is said twice, as ckanext-dcat does, so old and new harvesters both follow it:
current Hydra (the catalogue is a ``hydra:Collection`` whose ``hydra:view`` is a
``hydra:PartialCollectionView`` with ``hydra:first/last/next/previous`` links) and the legacy
``hydra:PagedCollection`` terms (``hydra:firstPage/lastPage/nextPage/previousPage`` as string
literals, ``hydra:totalItems``, ``hydra:itemsPerPage``) that ckanext-dcat's RDF harvester reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from catalog.model import LocalizedText
from catalog.rdf.namespaces import Triple
from catalog.rdf.terms import (
    DCAT,
    DCTERMS,
    FOAF,
    HYDRA,
    RDF,
    XSD,
    Lit,
    Statements,
    child,
    has_text,
    iri,
    texts,
    to_rdflib,
    typed,
    when,
)


def _required_iri(value: str, what: str) -> str:
    uri = iri(value)
    if uri is None:
        raise ValueError(f"{what} must be an absolute URI: {value!r}")
    return uri


def catalog_triples(
    *,
    catalog_uri: str,
    title: LocalizedText,
    description: LocalizedText,
    publisher_name: LocalizedText | str,
    homepage: str | None = None,
    modified: date | datetime | None = None,
    dataset_uris: Iterable[str] = (),
    publisher_uri: str | None = None,
) -> list[Triple]:
    """A dcat:Catalog with its mandatory title, description and publisher (a foaf:Agent at
    ``publisher_uri``, default ``{catalog}/publisher``), plus homepage, modified date and one
    ``dcat:dataset`` per URI. Titles and descriptions fall back to each other, as DCAT-AP
    requires both."""
    catalog = _required_iri(catalog_uri, "catalog URI")
    names = {"": publisher_name} if isinstance(publisher_name, str) else publisher_name
    if not has_text(title) or not has_text(names):
        raise ValueError("a DCAT-AP catalogue needs a title and a publisher name")
    out: Statements = [(catalog, RDF.type, DCAT.Catalog)]
    texts(out, catalog, DCTERMS.title, title)
    texts(out, catalog, DCTERMS.description, description if has_text(description) else title)
    publisher = iri(publisher_uri) or child(catalog, "publisher")
    typed(out, catalog, DCTERMS.publisher, publisher, FOAF.Agent)
    texts(out, publisher, FOAF.name, names)
    typed(out, catalog, FOAF.homepage, iri(homepage), FOAF.Document)
    if modified is not None:
        out.append((catalog, DCTERMS.modified, when(modified)))
    for uri in dataset_uris:
        dataset = _required_iri(uri, "dataset URI")
        out.append((catalog, DCAT.dataset, dataset))
    return to_rdflib(out)


def _count(value: int) -> Lit:
    return (str(value), None, XSD.integer)


def paging_triples(
    *,
    page_uri: str,
    first: str | None,
    last: str | None,
    next: str | None = None,
    previous: str | None = None,
    total_items: int,
    items_per_page: int,
    collection_uri: str | None = None,
) -> list[Triple]:
    """Hydra paging of one catalogue page, in current and legacy terms (see module doc).
    ``collection_uri`` (the catalogue) gets ``hydra:view`` and ``hydra:totalItems``."""
    page = _required_iri(page_uri, "page URI")
    out: Statements = [
        (page, RDF.type, HYDRA.PartialCollectionView),
        (page, RDF.type, HYDRA.PagedCollection),
        (page, HYDRA.totalItems, _count(total_items)),
        (page, HYDRA.itemsPerPage, _count(items_per_page)),
    ]
    links = (
        (HYDRA.first, HYDRA.firstPage, first),
        (HYDRA.last, HYDRA.lastPage, last),
        (HYDRA.next, HYDRA.nextPage, next),
        (HYDRA.previous, HYDRA.previousPage, previous),
    )
    for current, legacy, value in links:
        target = iri(value)
        if target is not None:
            out.append((page, current, target))
            out.append((page, legacy, (target, None, None)))
    if collection_uri is not None:
        collection = _required_iri(collection_uri, "collection URI")
        out.append((collection, RDF.type, HYDRA.Collection))
        out.append((collection, HYDRA.view, page))
        out.append((collection, HYDRA.totalItems, _count(total_items)))
    return to_rdflib(out)
