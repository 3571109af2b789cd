"""Written sample responses of the OpenDataSoft Explore API v2.1 (NOT recorded).

No recorded v2.1 JSON response exists in ../shared/fixtures/opendatasoft (PROVENANCE.md: the
only candidate was in an unlicensed repository). These dicts were written by hand to follow
the public documentation exactly — field names, nesting and types:

* response of ``GET /api/explore/v2.1/catalog/datasets`` (``total_count``, ``results``; each
  result with ``visibility, dataset_id, dataset_uid, has_records, data_visible, features,
  attachments, alternative_exports, fields, metas``) and the error body
  (``error_code``, ``message``): "Opendatasoft's Explore API Reference Documentation
  (v2.1)", https://help.opendatasoft.com/apis/ods-explore-v2/explore_v2.1.html
  (Catalog › Query catalog datasets);
* ``metas.default`` names (title, description, theme, keyword, license, license_url,
  language, metadata_languages, timezone, modified, data_processed, metadata_processed,
  publisher, references, territory, geographic_reference, records_count, attributions…):
  "Basic metadata", https://userguide.opendatasoft.com/en/articles/2032130;
* ``metas.dcat`` (created, issued, creator, contributor, contact_name, contact_email,
  accrualperiodicity, spatial, temporal, granularity, dataquality) and ``metas.inspire``:
  "Interoperability metadata", https://userguide.opendatasoft.com/en/articles/2032002;
  the INSPIRE names are those of the recorded v1 ``interop_metas.inspire``
  (v1_dataset_with_interop_inspire.json).

The values are invented for a fictitious portal, :data:`SITE`.
"""

from __future__ import annotations

import copy
from typing import Any

SITE = "https://data.exemple-ville.fr"

GEO_DATASET: dict[str, Any] = {
    "visibility": "domain",
    "dataset_id": "bornes-de-recharge",
    "dataset_uid": "da_7k2m9q",
    "has_records": True,
    "data_visible": True,
    "features": ["geo", "analyze"],
    "attachments": [
        {
            "id": "guide_utilisateur_pdf",
            "mimetype": "application/pdf",
            "title": "Guide utilisateur",
            "url": "odsfile://guide_utilisateur.pdf",
        }
    ],
    "alternative_exports": [
        {
            "id": "bornes_gpkg",
            "mimetype": "application/geopackage+sqlite3",
            "title": "bornes.gpkg",
            "description": "Export GeoPackage mensuel",
            "url": "odsfile://bornes.gpkg",
        }
    ],
    "fields": [
        {
            "name": "id_station",
            "label": "Identifiant station",
            "type": "text",
            "description": None,
            "annotations": {},
        },
        {
            "name": "geo_point_2d",
            "label": "Coordonnées",
            "type": "geo_point_2d",
            "description": None,
            "annotations": {},
        },
    ],
    "metas": {
        "default": {
            "title": "Bornes de recharge pour véhicules électriques",
            "description": "<p>Localisation des bornes de recharge publiques.</p>",
            "theme": ["Transports, Déplacements", "Environnement"],
            "keyword": ["mobilité", "IRVE", "électrique"],
            "license": "Licence Ouverte v2.0 (Etalab)",
            "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "language": "fr",
            "metadata_languages": ["fr"],
            "timezone": "Europe/Paris",
            "modified": "2024-05-14T08:30:00+00:00",
            "modified_updates_on_metadata_change": False,
            "modified_updates_on_data_change": True,
            "data_processed": "2024-05-14T08:29:41+00:00",
            "metadata_processed": "2024-05-14T08:30:02+00:00",
            "geographic_reference": ["fr_40_44"],
            "geographic_reference_auto": True,
            "territory": ["Loire-Atlantique"],
            "publisher": "Ville d'exemple",
            "references": "https://www.exemple-ville.fr/mobilite",
            "records_count": 1234,
            "attributions": None,
            "source_domain": None,
            "federated": False,
        },
        "dcat": {
            "created": "2019-03-01T00:00:00+00:00",
            "issued": "2019-03-15T10:00:00+00:00",
            "creator": "Direction de la mobilité",
            "contributor": "Syndicat d'énergie",
            "contact_name": "Service open data",
            "contact_email": "opendata@exemple-ville.fr",
            "accrualperiodicity": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            "spatial": "Ville d'exemple",
            "temporal": "2019-01-01/2024-12-31",
            "granularity": "Station",
            "dataquality": "Données vérifiées chaque mois",
        },
        "inspire": {
            "hierarchy_level": "dataset",
            "file_identifier": "{4F2A-9C1B}",
            "contact_individual_name": "Cellule SIG",
            "contact_email": "sig@exemple-ville.fr",
            "extend_bounding_box_westbound_longitude": "-2.5589",
            "extend_bounding_box_southbound_latitude": "46.8601",
            "extend_bounding_box_eastbound_longitude": "-0.9592",
            "extend_bounding_box_northbound_latitude": "47.8331",
        },
    },
}

TABLE_DATASET: dict[str, Any] = {
    "visibility": "domain",
    "dataset_id": "budget-primitif-2024",
    "dataset_uid": "da_3x8p1w",
    "has_records": True,
    "data_visible": True,
    "features": ["analyze", "timeserie"],
    "attachments": [],
    "alternative_exports": [],
    "fields": [
        {"name": "chapitre", "label": "Chapitre", "type": "text", "annotations": {}},
        {"name": "montant", "label": "Montant", "type": "double", "annotations": {}},
    ],
    "metas": {
        "default": {
            "title": "Budget primitif 2024",
            "description": "Budget primitif voté par le conseil municipal.",
            "theme": ["Administration, Gouvernement, Finances publiques, Citoyenneté"],
            "keyword": ["budget", "finances"],
            "license": "Open Database License (ODbL)",
            "license_url": "https://opendatacommons.org/licenses/odbl/",
            "language": "fr",
            "modified": "2024-02-01T09:00:00+00:00",
            "data_processed": "2024-02-01T08:59:10+00:00",
            "metadata_processed": "2024-02-01T09:00:05+00:00",
            "publisher": "Direction des finances",
            "records_count": 412,
        },
        "dcat": {
            "issued": "2024-01-20",
            "accrualperiodicity": "annual",
            "temporal_coverage_start": "2024-01-01",
            "temporal_coverage_end": "2024-12-31",
        },
    },
}

HIDDEN_DATA_DATASET: dict[str, Any] = {
    "visibility": "domain",
    "dataset_id": "registre-interne",
    "dataset_uid": "da_0q4r2z",
    "has_records": True,
    "data_visible": False,
    "features": [],
    "attachments": [],
    "alternative_exports": [],
    "fields": [],
    "metas": {
        "default": {
            "title": "Registre interne",
            "language": "fr",
            "modified": "2023-11-30T12:00:00+00:00",
            "records_count": 98,
        }
    },
}

RESTRICTED_DATASET: dict[str, Any] = {
    **copy.deepcopy(TABLE_DATASET),
    "visibility": "restricted",
    "dataset_id": "donnees-restreintes",
    "dataset_uid": "da_9z9z9z",
}

DATASETS = [GEO_DATASET, TABLE_DATASET, HIDDEN_DATA_DATASET]


def catalog_page(datasets: list[dict[str, Any]], total_count: int | None = None) -> dict[str, Any]:
    """A ``catalog/datasets`` response body holding ``datasets``."""
    return {
        "total_count": len(datasets) if total_count is None else total_count,
        "results": copy.deepcopy(datasets),
    }


INVALID_WHERE_ERROR: dict[str, Any] = {
    "error_code": "ODSQLError",
    "message": "ODSQL query is malformed: invalid_field_name = 1 Clause(s) containing the error(s):"
    " where.",
}
OFFSET_ERROR: dict[str, Any] = {
    "error_code": "InvalidRESTParameterError",
    "message": "Invalid value for limit API parameter: 200 was found but -1 <= limit <= 100 is"
    " expected.",
}
