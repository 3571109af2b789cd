"""Paged portals for the resume tests, one per platform, built from recorded responses
(../shared/fixtures) or the simulator's Turtle pages, served to httpx.MockTransport.

Each :class:`Portal` lists ``items`` (remote id, payload) in a stable order, ``PAGE`` at a
time, logs the position every listing request asked for (offset, scroll id, start, page
URL) and can drop items between runs.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from simulator.corpus import Corpus, CorpusSpec, SimDataset
from simulator.platforms.dcat_turtle import PREFIXES, dataset_turtle, paging_turtle
from tests.connectors import ods_samples
from tests.connectors.socrata_replay import discovery_results, with_ids
from tests.paths import fixture

PAGE = 3
COUNT = 16

Item = tuple[str, Any]


@dataclass
class Portal:
    """A listing endpoint over ``items``; subclasses render one page."""

    platform: str
    url: str
    options: dict[str, Any]
    items: list[Item]
    path: str
    asked: list[Any] = field(default_factory=list)

    def ids(self) -> list[str]:
        return [key for key, _ in self.items]

    def drop_first(self, count: int) -> list[str]:
        """Remove the first ``count`` items (later positions shift); their ids."""
        dropped, self.items = self.items[:count], self.items[count:]
        return [key for key, _ in dropped]

    def is_listing(self, request: httpx.Request) -> bool:
        return request.url.path == self.path

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.is_listing(request):
            return httpx.Response(404, json={"error": "not found"})
        self.asked.append(self.position(request))
        return self.page(request)

    def position(self, request: httpx.Request) -> Any:
        raise NotImplementedError

    def page(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    def window(self, request: httpx.Request, start: str, size: str, first: int = 0) -> list[Any]:
        """The items of the page asked by the ``start`` and ``size`` parameters (positions
        counted from ``first``)."""
        begin = int(request.url.params[start]) - first
        return [p for _, p in self.items[begin : begin + int(request.url.params[size])]]


class SocrataScroll(Portal):
    """Discovery API in id order, after ``scroll_id``."""

    def position(self, request: httpx.Request) -> Any:
        return request.url.params["scroll_id"]

    def page(self, request: httpx.Request) -> httpx.Response:
        after = request.url.params["scroll_id"]
        chosen = [p for key, p in self.items if key > after][: int(request.url.params["limit"])]
        return httpx.Response(200, json={"results": chosen, "resultSetSize": len(self.items)})


class SocrataOffset(Portal):
    """Discovery API by ``offset``/``limit``."""

    def position(self, request: httpx.Request) -> Any:
        return int(request.url.params["offset"])

    def page(self, request: httpx.Request) -> httpx.Response:
        chosen = self.window(request, "offset", "limit")
        return httpx.Response(200, json={"results": chosen, "resultSetSize": len(self.items)})


class OdsExplore(Portal):
    """Explore API v2.1 ``catalog/datasets`` by ``offset``/``limit``."""

    def position(self, request: httpx.Request) -> Any:
        return int(request.url.params["offset"])

    def page(self, request: httpx.Request) -> httpx.Response:
        chosen = self.window(request, "offset", "limit")
        return httpx.Response(200, json=ods_samples.catalog_page(chosen, len(self.items)))


class OdsV1(Portal):
    """API v1 ``search`` by ``start``/``rows``."""

    def position(self, request: httpx.Request) -> Any:
        return int(request.url.params["start"])

    def page(self, request: httpx.Request) -> httpx.Response:
        chosen = self.window(request, "start", "rows")
        return httpx.Response(200, json={"nhits": len(self.items), "datasets": chosen})


class ArcgisSearch(Portal):
    """``/sharing/rest/search`` by ``start``/``num`` (1-based) with ``nextStart``."""

    def position(self, request: httpx.Request) -> Any:
        return int(request.url.params["start"])

    def page(self, request: httpx.Request) -> httpx.Response:
        start, num = int(request.url.params["start"]), int(request.url.params["num"])
        chosen = self.window(request, "start", "num", first=1)
        following = start + num if start - 1 + num < len(self.items) else -1
        body = {
            "total": len(self.items),
            "start": start,
            "num": num,
            "nextStart": following,
            "results": chosen,
        }
        return httpx.Response(200, json=body)


class HydraTurtle(Portal):
    """The simulator's ``/catalog.ttl?page=N`` (legacy Hydra terms)."""

    def position(self, request: httpx.Request) -> Any:
        return str(request.url)

    def page(self, request: httpx.Request) -> httpx.Response:
        site = self.url.removesuffix("/catalog.ttl")
        number = int(request.url.params.get("page", 1))
        chosen: list[SimDataset] = [d for _, d in self.items[(number - 1) * PAGE : number * PAGE]]
        last = max(-(-len(self.items) // PAGE), 1)
        members = ", ".join(f"<{site}/dataset/{d.uid}>" for d in chosen)
        body = "".join(
            [
                PREFIXES,
                f"<{site}/catalog> a dcat:Catalog"
                + (f" ;\n    dcat:dataset {members} .\n\n" if members else " .\n\n"),
                paging_turtle(site, number, last, len(self.items), PAGE, "legacy"),
                *(dataset_turtle(d, site) for d in chosen),
            ]
        )
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/turtle"})


def socrata_items() -> list[Item]:
    return [(r["resource"]["id"], r) for r in with_ids(discovery_results(), COUNT)]


def ods_items() -> list[Item]:
    found = []
    for n in range(COUNT):
        dataset = copy.deepcopy(ods_samples.DATASETS[n % len(ods_samples.DATASETS)])
        dataset["dataset_id"] = f"{dataset['dataset_id']}-{n:03d}"
        found.append((dataset["dataset_id"], dataset))
    return found


def ods_v1_items() -> list[Item]:
    recorded = json.loads(
        fixture("opendatasoft", "v1_datasets_search_etalab-sandbox.json").read_text("utf-8")
    )["datasets"]
    found = []
    for n in range(COUNT):
        dataset = copy.deepcopy(recorded[n % len(recorded)])
        dataset["datasetid"] = f"{dataset['datasetid']}-{n:03d}"
        found.append((dataset["datasetid"], dataset))
    return found


HUB_SITE_APP = "Hub Site Application"


def arcgis_items() -> list[Item]:
    recorded = json.loads(
        fixture("arcgis", "agol_sharing_search_page1_total146_nextStart101.json").read_text("utf-8")
    )["results"]
    chosen = [item for item in recorded if item["type"] == HUB_SITE_APP][:COUNT]
    return [(item["id"], item) for item in chosen]


def turtle_items() -> list[Item]:
    corpus = Corpus(CorpusSpec(n=COUNT))
    return [(d.uid, d) for d in corpus.datasets()]


def portals() -> dict[str, Portal]:
    """A fresh portal of each kind, by test id."""
    socrata = "https://data.ville-exemple.ca"
    ods = ods_samples.SITE
    return {
        "socrata-scroll": SocrataScroll(
            "socrata", socrata, {"page_size": PAGE}, socrata_items(), "/api/catalog/v1"
        ),
        "socrata-offset": SocrataOffset(
            "socrata",
            socrata,
            {"page_size": PAGE, "paging": "offset"},
            socrata_items(),
            "/api/catalog/v1",
        ),
        "ods-v2.1": OdsExplore(
            "opendatasoft",
            ods,
            {"page_size": PAGE},
            ods_items(),
            "/api/explore/v2.1/catalog/datasets",
        ),
        "ods-v1": OdsV1(
            "opendatasoft",
            ods,
            {"page_size": PAGE, "api_version": "v1"},
            ods_v1_items(),
            "/api/datasets/1.0/search/",
        ),
        "arcgis-portal": ArcgisSearch(
            "arcgis",
            "https://ville-exemple.maps.arcgis.com",
            {"page_size": PAGE, "query": "owner:ville", "item_types": [HUB_SITE_APP]},
            arcgis_items(),
            "/sharing/rest/search",
        ),
        "dcat-hydra": HydraTurtle(
            "dcat_rdf", "https://ville.example.fr/catalog.ttl", {}, turtle_items(), "/catalog.ttl"
        ),
    }


@dataclass
class StopAt:
    """Serves ``portal`` and cancels the harvesting task (as a stopping process would) when
    it asks for listing page ``page``."""

    portal: Portal
    page: int
    listed: int = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.portal.is_listing(request):
            self.listed += 1
            if self.listed == self.page:
                task = asyncio.current_task()
                assert task is not None
                task.cancel()
                await asyncio.sleep(0)
        return self.portal(request)
