"""ArcGIS responses written from Esri's public documentation, where no recording exists.

../shared/fixtures/PROVENANCE.md lists the gaps: no redistributable recording of a Hub
DCAT-AP feed (``/api/feed/dcat-ap/…``), of ``/sharing/rest?f=json`` or of
``/sharing/rest/portals/self``. These samples follow the documented shapes:

* Hub feed URLs and versions — "Federate data and manage catalog feeds",
  https://doc.arcgis.com/en/hub/content/federate-data-with-external-catalogs.htm, and the
  Hub Feed API, https://developers.arcgis.com/hub/services/feeds/ (DCAT-AP 2.0.1, 2.1.1,
  3.0.0; DCAT-US 1.1; RSS; OGC API Records).
* DCAT-AP 2.0.1 feed — the example feed in the README of koopjs/koop-output-dcat-ap-201
  (Esri's Hub DCAT-AP 2.0.1 output; Apache-2.0): inline ``@context`` with ``dct``/``dcat``/
  ``foaf``/``vcard``/``ftype``/``lang`` prefixes, ``dcat:dataset`` array, the mis-cased
  ``dcat:accessUrl`` and ``{"@id": "lang:ENG"}`` languages, exactly as documented there.
* DCAT-AP 3.0.0 feed — the keys of Esri's DCAT-AP 3.x default feed template (as in
  Esri's feed formatter, ``DCAT_AP_3X_DEFAULT``): a context that defines ``dcterms`` while
  the keys say ``dct:``, ``dcat:DataService`` with ``dcat:endpointURL``, typed dates.
* Sharing API — ArcGIS REST API reference: the sharing root answers ``currentVersion``;
  ``portals/self`` describes the organization (``id``, ``name``, ``isPortal``); errors come
  with status 200 as ``{"error": {"code", "message", "details"}}``.

Values (site, titles, ids) are invented; only the shapes are Esri's.
"""

from __future__ import annotations

import copy
from typing import Any

SITE = "https://donnees-ville-exemple.hub.arcgis.com"
ORG_URL = "https://ville-exemple.maps.arcgis.com"

DCAT_AP_201_FEED: dict[str, Any] = {
    "@context": {
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "ftype": "http://publications.europa.eu/resource/authority/file-type/",
        "lang": "http://publications.europa.eu/resource/authority/language/",
    },
    "@id": SITE,
    "@type": "dcat:Catalog",
    "dct:description": "Données ouvertes de la Ville exemple",
    "dct:title": "Données Ville exemple",
    "dct:publisher": "Ville exemple",
    "foaf:homepage": {"foaf:Document": f"{SITE}/search"},
    "dct:language": {"@id": "lang:FRA"},
    "dct:creator": {"@id": ORG_URL, "@type": "foaf:Agent", "foaf:name": "Ville exemple"},
    "dcat:dataset": [
        {
            "@type": "dcat:Dataset",
            "@id": f"{SITE}/datasets/f4bcc1035b7d46cba95e977f4affb6be_0",
            "dct:title": "Pistes cyclables",
            "dct:description": "Tracé des pistes cyclables de la ville.",
            "dcat:contactPoint": {
                "@id": f"{ORG_URL}/sharing/rest/community/users/sig_ville?f=json",
                "@type": "Contact",
                "vcard:fn": "sig_ville",
                "vcard:hasEmail": None,
            },
            "dct:publisher": "Ville exemple",
            "dcat:theme": "geospatial",
            "dct:accessRights": "public",
            "dct:identifier": f"{SITE}/datasets/f4bcc1035b7d46cba95e977f4affb6be_0",
            "dct:language": {"@id": "lang:FRA"},
            "dcat:keyword": ["vélo", "mobilité", "voirie"],
            "dct:provenance": "Service SIG de la Ville exemple",
            "dct:issued": "2021-04-19T13:30:24.055-04:00",
            "dcat:distribution": [
                {
                    "@type": "dcat:Distribution",
                    "dcat:accessUrl": f"{SITE}/datasets/f4bcc1035b7d46cba95e977f4affb6be_0",
                    "dct:format": {"@id": "ftype:HTML"},
                    "dct:description": "Web Page",
                    "dct:title": "ArcGIS Hub Dataset",
                },
                {
                    "@type": "dcat:Distribution",
                    "dcat:accessUrl": "https://services.arcgis.com/Hbks8qlTugfLqQka/arcgis/rest/"
                    "services/pistes_cyclables/FeatureServer/0",
                    "dct:format": {"@id": "ftype:JSON"},
                    "dct:description": "Esri Rest API",
                    "dct:title": "ArcGIS GeoService",
                },
            ],
        },
        {
            "@type": "dcat:Dataset",
            "@id": f"{SITE}/datasets/0a1b2c3d4e5f40718293a4b5c6d7e8f9_0",
            "dct:title": "Arbres d'alignement",
            "dct:description": "Inventaire des arbres d'alignement.",
            "dct:identifier": f"{SITE}/datasets/0a1b2c3d4e5f40718293a4b5c6d7e8f9_0",
            "dcat:keyword": ["arbres", "environnement"],
            "dct:issued": "2022-03-01T09:00:00.000Z",
            "dcat:distribution": [],
        },
    ],
}

DCAT_AP_300_FEED: dict[str, Any] = {
    "@context": {
        "@version": 1.1,
        "dcat": "http://www.w3.org/ns/dcat#",
        "dcatap": "http://data.europa.eu/r5r/",
        "dcterms": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    },
    "@id": "https://www.arcgis.com/home/item.html?id=5e1f2a3b4c5d46e7f8091a2b3c4d5e6f",
    "@type": "dcat:Catalog",
    "dct:description": "Données ouvertes de la Ville exemple",
    "dct:title": "Données Ville exemple",
    "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "Ville exemple"},
    "foaf:homepage": SITE,
    "dcat:dataset": [
        {
            "@type": "dcat:Dataset",
            "@id": "https://www.arcgis.com/home/item.html?id=f4bcc1035b7d46cba95e977f4affb6be",
            "dct:identifier": "https://www.arcgis.com/home/item.html?id=f4bcc1035b7d46cba95e977f4affb6be",
            "dcat:landingPage": f"{SITE}/datasets/f4bcc1035b7d46cba95e977f4affb6be_0",
            "dct:title": "Pistes cyclables",
            "dct:description": "Tracé des pistes cyclables de la ville.",
            "dcat:keyword": ["vélo", "mobilité"],
            "dct:issued": {"@value": "2021-04-19T17:30:24Z", "@type": "xsd:dateTime"},
            "dct:modified": {"@value": "2024-02-01T08:00:00Z", "@type": "xsd:dateTime"},
            "dcat:contactPoint": {
                "@type": "vcard:Kind",
                "vcard:fn": "Service SIG",
                "vcard:hasEmail": "mailto:sig@ville-exemple.fr",
            },
            "dcat:distribution": [
                {
                    "@type": "dcat:Distribution",
                    "dcat:accessURL": {
                        "@id": f"{SITE}/datasets/f4bcc1035b7d46cba95e977f4affb6be_0/about"
                    },
                    "dct:title": "ArcGIS Hub Dataset",
                    "dct:description": "Web Page",
                },
                {
                    "@type": "dcat:Distribution",
                    "dcat:accessURL": {
                        "@id": f"{SITE}/api/download/v1/items/"
                        "f4bcc1035b7d46cba95e977f4affb6be/csv?layers=0"
                    },
                    "dcat:downloadURL": {
                        "@id": f"{SITE}/api/download/v1/items/"
                        "f4bcc1035b7d46cba95e977f4affb6be/csv?layers=0"
                    },
                    "dct:format": {
                        "@id": "http://publications.europa.eu/resource/authority/file-type/CSV"
                    },
                    "dct:title": "CSV",
                },
                {
                    "@type": "dcat:DataService",
                    "dcat:endpointURL": {
                        "@id": "https://services.arcgis.com/Hbks8qlTugfLqQka/arcgis/rest/"
                        "services/pistes_cyclables/FeatureServer/0"
                    },
                    "dct:conformsTo": "GeoServices REST",
                    "dct:title": "ArcGIS REST service",
                },
            ],
        }
    ],
}

SHARING_ROOT: dict[str, Any] = {"currentVersion": "2024.1"}
PORTAL_SELF: dict[str, Any] = {
    "id": "Hbks8qlTugfLqQka",
    "name": "Ville exemple",
    "isPortal": False,
    "urlKey": "ville-exemple",
    "culture": "fr",
}
PUBLIC_PORTAL_SELF: dict[str, Any] = {"name": "ArcGIS Online", "isPortal": False}
SEARCH_ERROR: dict[str, Any] = {
    "error": {"code": 400, "message": "Unable to perform query.", "details": ["'q' is invalid"]}
}
TOKEN_ERROR: dict[str, Any] = {"error": {"code": 498, "message": "Invalid token.", "details": []}}


def feed(document: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a sample feed (tests may edit it)."""
    return copy.deepcopy(document)
