"""An ArcGIS Hub style DCAT-US 1.1 catalogue at ``/data.json``, streamed as it is built; and
the same feed as a Hub site serves it (:class:`ArcgisHubPlatform`).

Hub sites are monolingual (French here), name datasets by their ArcGIS item URL, give the
extent as ``"west,south,east,north"`` and list the Hub's usual distributions (web page,
GeoService, CSV, GeoJSON, Shapefile, KML).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.corpus import SimDataset
from simulator.json_array import json_array_chunks
from simulator.state import SimState

HEADER = (
    b'{"@context":"https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",'
    b'"@type":"dcat:Catalog","conformsTo":"https://project-open-data.cio.gov/v1.1/schema",'
    b'"describedBy":"https://project-open-data.cio.gov/v1.1/schema/catalog.json","dataset":['
)
FEED_PATH = "/api/feed/dcat-us/1.1.json"
"""Where an ArcGIS Hub site serves its DCAT-US feed."""
HUB_DOWNLOADS = (
    ("CSV", "CSV", "text/csv", "csv"),
    ("GeoJSON", "GeoJSON", "application/vnd.geo+json", "geojson"),
    ("Shapefile", "ZIP", "application/zip", "shapefile"),
    ("KML", "KML", "application/vnd.google-earth.kml+xml", "kml"),
)


def _iso(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def dataset(d: SimDataset) -> dict[str, Any]:
    """One DCAT-US dataset as an ArcGIS Hub publishes it."""
    hub = f"https://{d.place.slug}-opendata.hub.arcgis.com"
    layer = d.index % 6
    landing = f"{hub}/maps/{d.hub_id}_{layer}"
    distributions: list[dict[str, Any]] = [
        {
            "@type": "dcat:Distribution",
            "title": "ArcGIS Hub Dataset",
            "format": "Web Page",
            "mediaType": "text/html",
            "accessURL": landing,
        },
        {
            "@type": "dcat:Distribution",
            "title": "ArcGIS GeoService",
            "format": "ArcGIS GeoServices REST API",
            "mediaType": "application/json",
            "accessURL": f"https://services.arcgis.com/Qc{d.place.slug[:6]}/arcgis/rest/services/"
            f"{d.name.replace('-', '_')}/FeatureServer/{layer}",
        },
    ]
    for title, fmt, media, kind in HUB_DOWNLOADS[: max(len(d.distributions), 1)]:
        distributions.append(
            {
                "@type": "dcat:Distribution",
                "title": title,
                "format": fmt,
                "mediaType": media,
                "accessURL": f"{hub}/api/download/v1/items/{d.hub_id}/{kind}?layers={layer}",
            }
        )
    return {
        "@type": "dcat:Dataset",
        "identifier": f"https://www.arcgis.com/home/item.html?id={d.hub_id}&sublayer={layer}",
        "landingPage": landing,
        "title": d.title[0],
        "description": f"<div><p>{d.description[0]}</p></div>",
        "keyword": d.keywords[0],
        "issued": _iso(d.created),
        "modified": _iso(d.modified),
        "publisher": {"name": d.place.name[0]},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": d.contact[0],
            "hasEmail": f"mailto:{d.contact[1]}",
        },
        "accessLevel": "public",
        "spatial": ",".join(str(v) for v in d.bbox),
        "license": d.licence.url,
        "distribution": distributions,
        "theme": ["geospatial"],
    }


class DataJsonPlatform:
    """The ``/data.json`` route."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [Route("/data.json", self.data_json)]

    def chunks(self) -> Iterator[bytes]:
        corpus = self.state.corpus
        return json_array_chunks(corpus, corpus.indices, dataset, head=HEADER, tail=b"]}")

    async def data_json(self, request: Request) -> Response:
        return await self.state.stream(
            request, chunks=self.chunks, media_type="application/json; charset=utf-8"
        )


class ArcgisHubPlatform(DataJsonPlatform):
    """An ArcGIS Hub site: its DCAT-US feed at ``/api/feed/dcat-us/1.1.json``, where a Hub
    connector given the site's root finds it (after the DCAT-AP feeds, which this site
    lacks: 404)."""

    def routes(self) -> list[Route]:
        return [Route(FEED_PATH, self.data_json)]
