"""Platform detection over loopback replays: one real HTTP server on 127.0.0.1 per platform,
serving recorded responses at the paths each probe asks for, reached through the SSRF-guarded
client (loopback allowed explicitly, as tests may)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from connectors import registry
from connectors.base import ProbeResult
from connectors.client import build_client
from connectors.detect import DetectionReport, detect_platform, headline
from tests.connectors.arcgis_samples import PORTAL_SELF, SHARING_ROOT
from tests.connectors.loopback import loopback_only
from tests.connectors.ods_samples import DATASETS, catalog_page
from tests.paths import fixture

Route = tuple[int, str, bytes]
JSON = "application/json"
NOT_FOUND: Route = (404, "text/html", b"<html><title>Not Found</title></html>")


def recorded(platform: str, name: str, content_type: str = JSON) -> Route:
    return (200, content_type, fixture(platform, name).read_bytes())


def as_json(value: Any) -> Route:
    return (200, JSON, json.dumps(value).encode())


@dataclass
class Replay:
    """A tiny HTTP/1.1 server answering ``routes`` by path (query ignored)."""

    routes: dict[str, Route]
    default: Route = NOT_FOUND
    stall: float = 0.0
    port: int = 0
    paths: list[str] = field(default_factory=list)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = urlsplit(head.split(b" ")[1].decode("latin-1")).path
            self.paths.append(path)
            if self.stall:
                await asyncio.sleep(self.stall)
            status, content_type, body = self.routes.get(path, self.default)
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serve(routes: dict[str, Route], **kwargs: Any) -> AsyncIterator[Replay]:
    replay = Replay(routes, **kwargs)
    server = await asyncio.start_server(replay.handle, "127.0.0.1", 0)
    replay.port = server.sockets[0].getsockname()[1]
    try:
        async with server:
            yield replay
    finally:
        for task in replay.tasks:
            task.cancel()
        await asyncio.gather(*replay.tasks, return_exceptions=True)


@pytest.fixture(autouse=True)
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every TCP connect; refuse non-loopback ones before any socket exists."""
    return loopback_only(monkeypatch)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(allow=["127.0.0.1"], timeout=5) as guarded:
        yield guarded


CKAN_STATUS = {
    "help": "https://ckan.example.org/api/3/action/help_show?name=status_show",
    "success": True,
    "result": {
        "site_title": "Portail exemple",
        "site_url": "https://ckan.example.org",
        "site_description": "",
        "ckan_version": "2.10.4",
        "locale_default": "fr",
        "extensions": ["scheming_datasets", "dcat"],
    },
}
"""Synthetic ``status_show`` envelope (no recording exists, PROVENANCE.md); the dataset count
comes from the real data.gov.uk ``package_search`` recording served beside it."""


def ckan_routes() -> dict[str, Route]:
    return {
        "/api/3/action/status_show": as_json(CKAN_STATUS),
        "/api/3/action/package_search": recorded("ckan", "datagovuk_package_search.json"),
    }


def portal_routes() -> dict[str, Route]:
    return {
        "/sharing/rest": as_json(SHARING_ROOT),
        "/sharing/rest/portals/self": as_json(PORTAL_SELF),
        "/sharing/rest/search": recorded("arcgis", "agol_sharing_search_single_page_total46.json"),
    }


def count_in(platform: str, name: str, *keys: str) -> int:
    value: Any = json.loads(fixture(platform, name).read_bytes())
    for key in keys:
        value = value[key]
    return len(value) if isinstance(value, list) else int(value)


SITES: dict[str, tuple[str, dict[str, Route], int | None]] = {
    "ckan": (
        "ckan",
        ckan_routes(),
        count_in("ckan", "datagovuk_package_search.json", "result", "count"),
    ),
    "socrata": (
        "socrata",
        {"/api/catalog/v1": recorded("socrata", "discovery_catalog_v1_multi-domain.json")},
        count_in("socrata", "discovery_catalog_v1_multi-domain.json", "resultSetSize"),
    ),
    "hub": (
        "arcgis",
        {"/data.json": recorded("arcgis", "hub_datajson_ville-evian.json")},
        count_in("arcgis", "hub_datajson_ville-evian.json", "dataset"),
    ),
    "portal": ("arcgis", portal_routes(), 46),
    "opendatasoft-v2.1": (
        "opendatasoft",
        {
            "/api/explore/v2.1/catalog/datasets": as_json(catalog_page(DATASETS, 1608)),
            "/": recorded(
                "opendatasoft",
                "explore_v2.1_catalog_exports_dcat_capatlantique.rdf.xml",
                "application/rdf+xml",
            ),
        },
        1608,
    ),
    "opendatasoft-v1": (
        "opendatasoft",
        {
            "/api/datasets/1.0/search/": recorded(
                "opendatasoft", "v1_datasets_search_etalab-sandbox.json"
            )
        },
        count_in("opendatasoft", "v1_datasets_search_etalab-sandbox.json", "nhits"),
    ),
    "dcat-turtle": (
        "dcat_rdf",
        {"/catalog.ttl": recorded("dcat-rdf", "demo-ckan_catalog_page1_hydra.ttl", "text/turtle")},
        None,
    ),
}


@pytest.mark.parametrize("site", sorted(SITES))
async def test_each_platform_is_recognised(site: str, client: httpx.AsyncClient) -> None:
    platform, routes, count = SITES[site]
    async with serve(routes) as replay:
        report = await detect_platform(replay.url, client, timeout=5)
    assert report.platform == platform, report.summary
    assert report.best is not None
    if count is not None:
        assert report.best.dataset_count == count
    assert report.summary.startswith(headline(report.best))
    statuses = {o.platform: o.status for o in report.outcomes}
    assert set(statuses) == set(registry.platforms())
    assert statuses[platform] == "matched"


async def test_ckan_summary_in_plain_words(client: httpx.AsyncClient) -> None:
    async with serve(ckan_routes()) as replay:
        report = await detect_platform(replay.url + "/", client)
    count = count_in("ckan", "datagovuk_package_search.json", "result", "count")
    assert str(report) == (
        f"CKAN 2.10.4 at {replay.url}/api/3/action, {count} datasets (Portail exemple)"
    )


async def test_hub_beats_its_own_data_json(client: httpx.AsyncClient) -> None:
    _, routes, _ = SITES["hub"]
    async with serve(routes) as replay:
        report = await detect_platform(replay.url, client)
    assert [m.platform for m in report.matches] == ["arcgis", "dcat_us"]
    assert report.summary.startswith(f"ArcGIS Hub at {replay.url}, 8 datasets")
    assert report.summary.endswith("also answers as DCAT-US")


async def test_opendatasoft_beats_its_own_dcat(client: httpx.AsyncClient) -> None:
    _, routes, _ = SITES["opendatasoft-v2.1"]
    async with serve(routes) as replay:
        report = await detect_platform(replay.url, client)
    assert [m.platform for m in report.matches] == ["opendatasoft", "dcat_rdf"]
    assert report.summary.startswith("OpenDataSoft (Explore API v2.1) at ")
    assert "1 608 datasets" in report.summary


async def test_private_address_refused_before_any_connection(
    client: httpx.AsyncClient, connects: list[str]
) -> None:
    report = await detect_platform("http://10.0.0.1/", client, timeout=5)
    assert report.platform is None
    assert connects == []
    assert {o.status for o in report.outcomes} == {"refused"}
    assert report.summary.startswith("http://10.0.0.1/ was refused by the SSRF guard")


async def test_nothing_recognised_lists_what_was_tried(client: httpx.AsyncClient) -> None:
    page = (200, "text/html", b"<!doctype html><html><title>Mairie</title><p>Bonjour</p></html>")
    async with serve({}, default=page) as replay:
        report = await detect_platform(replay.url, client)
    assert report.platform is None and report.best is None
    assert report.summary.startswith(f"no platform recognised at {replay.url} (tried ")
    for platform in registry.platforms():
        assert f"{platform}: not recognised" in report.summary
    assert replay.paths  # the probes did reach the site


async def test_slow_site_times_out(client: httpx.AsyncClient) -> None:
    async with serve(ckan_routes(), stall=10) as replay:
        report = await detect_platform(replay.url, client, timeout=0.3)
    assert report.platform is None
    assert {o.status for o in report.outcomes} == {"timed out"}
    assert "ckan: timed out (after 0.3 s)" in report.summary


async def test_not_http() -> None:
    async with httpx.AsyncClient() as plain:
        report = await detect_platform("ftp://example.org", plain)
    assert report == DetectionReport("ftp://example.org", None, [], report.summary)
    assert "not an http(s) URL" in report.summary


def test_headline_wording() -> None:
    one = ProbeResult(platform="dcat_us", api_url="https://x/data.json", dataset_count=1)
    assert headline(one) == "DCAT-US at https://x/data.json, 1 dataset"
    noted = ProbeResult(platform="socrata", api_url="https://x/api/catalog/v1", notes=["domain x"])
    assert headline(noted) == "Socrata (domain x) at https://x/api/catalog/v1"
