"""DCAT-AP 3 RDF output: records → triples, the catalogue and its Hydra paging, and
streaming writers (Turtle, N-Triples, JSON-LD, RDF/XML).

* :mod:`catalog.rdf.namespaces` — prefixes and term builders shared by the graph modules
* :mod:`catalog.rdf.dataset_graph` / :mod:`catalog.rdf.distribution_graph` — DatasetRecord → triples
* :mod:`catalog.rdf.catalog_graph` — dcat:Catalog and hydra paging triples
* :mod:`catalog.rdf.geometry` — GeoJSON geometries as WKT and GeoJSON literals
* :mod:`catalog.rdf.serialize` — document writers, one dataset in memory at a time
"""

from catalog.rdf.catalog_graph import catalog_triples, paging_triples
from catalog.rdf.dataset_graph import dataset_graph, dataset_triples
from catalog.rdf.namespaces import PREFIXES, Triple, bind_prefixes
from catalog.rdf.serialize import (
    FORMAT_BY_MEDIA_TYPE,
    JSONLD_CONTEXT,
    MEDIA_TYPES,
    SUFFIXES,
    Format,
    catalog_closing,
    catalog_opening,
    iter_blocks,
    iter_catalog,
    iter_dataset_chunks,
    serialize_dataset,
    serialize_triples,
    write_catalog,
)

__all__ = [
    "FORMAT_BY_MEDIA_TYPE",
    "JSONLD_CONTEXT",
    "MEDIA_TYPES",
    "PREFIXES",
    "SUFFIXES",
    "Format",
    "Triple",
    "bind_prefixes",
    "catalog_closing",
    "catalog_opening",
    "catalog_triples",
    "dataset_graph",
    "dataset_triples",
    "iter_blocks",
    "iter_catalog",
    "iter_dataset_chunks",
    "paging_triples",
    "serialize_dataset",
    "serialize_triples",
    "write_catalog",
]
