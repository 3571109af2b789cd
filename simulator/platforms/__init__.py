"""One module per simulated platform; each class takes the state and lists its routes."""

from __future__ import annotations

from typing import Protocol

import orjson
from starlette.routing import Route

from simulator.corpus import SimDataset
from simulator.platforms import arcgis_portal, ckan, datajson, dcat_turtle, opendatasoft, socrata
from simulator.platforms.arcgis_portal import ArcgisPortalPlatform
from simulator.platforms.ckan import CkanPlatform
from simulator.platforms.datajson import ArcgisHubPlatform, DataJsonPlatform
from simulator.platforms.dcat_turtle import DcatTurtlePlatform
from simulator.platforms.opendatasoft import OpenDataSoftPlatform
from simulator.platforms.socrata import SocrataPlatform
from simulator.state import SimState


class Platform(Protocol):
    def __init__(self, state: SimState) -> None: ...

    def routes(self) -> list[Route]: ...


PLATFORM_CLASSES: dict[str, type[Platform]] = {
    "ckan": CkanPlatform,
    "socrata": SocrataPlatform,
    "datajson": DataJsonPlatform,
    "dcat_turtle": DcatTurtlePlatform,
    "opendatasoft": OpenDataSoftPlatform,
    "arcgis_portal": ArcgisPortalPlatform,
    "arcgis_hub": ArcgisHubPlatform,
}

SOURCE_PATHS = {
    "ckan": "",
    "socrata": "",
    "datajson": "/data.json",
    "dcat_turtle": "/catalog.ttl",
    "opendatasoft": "",
    "arcgis_portal": arcgis_portal.ROOT,
    "arcgis_hub": "",
}
"""What to append to the server's base URL to get a Moisson source URL for the platform."""

CONNECTORS = {
    "ckan": "ckan",
    "socrata": "socrata",
    "datajson": "dcat_us",
    "dcat_turtle": "dcat_rdf",
    "opendatasoft": "opendatasoft",
    "arcgis_portal": "arcgis",
    "arcgis_hub": "arcgis",
}
"""The Moisson connector that harvests each simulated platform."""


def render_one(platform: str, dataset: SimDataset, site: str) -> str:
    """One dataset as ``platform`` serves it (for ``moisson-sim sample`` and docs)."""
    if platform == "dcat_turtle":
        return dcat_turtle.dataset_turtle(dataset, site)
    if platform == "ckan":
        payload = ckan.package(dataset, site)
    elif platform == "socrata":
        payload = socrata.asset(dataset, site.split("//", 1)[-1].split(":", 1)[0])
    elif platform == "opendatasoft":
        payload = opendatasoft.dataset(dataset)
    elif platform == "arcgis_portal":
        payload = arcgis_portal.item(dataset)
    else:
        payload = datajson.dataset(dataset)
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


__all__ = ["CONNECTORS", "PLATFORM_CLASSES", "SOURCE_PATHS", "render_one"]
