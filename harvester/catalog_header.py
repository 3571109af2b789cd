"""The federated catalogue's own DCAT-AP description and URIs, shared by the API's feeds
(:mod:`api.dcat`) and the dump file (:mod:`harvester.export`), so both write the same bytes.
No web framework here: the command line imports it."""

from __future__ import annotations

from datetime import datetime

from catalog.rdf import catalog_triples
from catalog.rdf.namespaces import Triple

CATALOG_TITLE = {"fr": "Moisson — catalogue fédéré", "en": "Moisson — federated catalogue"}
CATALOG_DESCRIPTION = {
    "fr": "Les jeux de données de tous les portails du partenariat, en DCAT-AP 3.",
    "en": "The datasets of every portal of the partnership, as DCAT-AP 3.",
}
PUBLISHER_NAME = "Moisson"


def catalog_uri(base: str) -> str:
    """The catalogue's URI under the public ``base`` URL (no trailing slash)."""
    return f"{base}/catalog"


def dataset_uri(base: str, dataset_id: str) -> str:
    """A dataset's URI under the public ``base`` URL (no trailing slash)."""
    return f"{base}/datasets/{dataset_id}"


def catalog_header(base: str, modified: datetime | None) -> list[Triple]:
    """The dcat:Catalog triples of a feed served at ``base``, last ``modified`` then (the
    catalogue version's newest ``updated_at``); a page adds its Hydra paging after them."""
    return catalog_triples(
        catalog_uri=catalog_uri(base),
        title=CATALOG_TITLE,
        description=CATALOG_DESCRIPTION,
        publisher_name=PUBLISHER_NAME,
        homepage=base,
        modified=modified,
    )
