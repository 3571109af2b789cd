"""``resume_from``: which saved cursors each connector takes up, and what it asks for then.

A cursor comes back from the database: one of another platform, another paging mode or
another site must be refused (the run then starts afresh), and a page URL is followed only
on the source's own site. The runs themselves are in tests/harvester/test_engine_resume.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.arcgis import ArcgisConnector
from connectors.base import RawRecord, Resumable, SourceSpec
from connectors.ckan import CkanConnector
from connectors.dcat_rdf import DcatRdfConnector
from connectors.dcat_us import DcatUsConnector
from connectors.opendatasoft import OpenDataSoftConnector
from connectors.resume import one_page_early, positive_int, same_origin
from connectors.socrata import SocrataConnector
from tests.harvester.resume_portals import PAGE, Portal, portals

SITE = "https://ville.example.fr/catalog.ttl"


def _connector(cls: type, url: str, platform: str, **options: Any) -> Any:
    spec = SourceSpec(id="src", url=url, platform=platform, options=options)
    return cls(
        spec, httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    )


def test_cursor_values_are_read_defensively() -> None:
    assert positive_int({"start": 40}, "start") == 40
    for bad in (0, -3, True, "40", 4.0, None):
        assert positive_int({"start": bad}, "start") is None
    assert one_page_early(40, 10) == 30 and one_page_early(5, 10) == 0
    assert one_page_early(4, 3, first=1) == 1


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://ville.example.fr/catalog.ttl?page=7", True),
        ("https://VILLE.example.fr:443/autre/page/2.ttl", True),
        ("http://ville.example.fr/catalog.ttl?page=7", False),
        ("https://ville.example.fr:8443/catalog.ttl?page=7", False),
        ("https://ville.example.fr.evil.example/catalog.ttl", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("file:///etc/passwd", False),
        ("//ville.example.fr/catalog.ttl", False),
        ("not a url at all", False),
    ],
)
def test_same_origin(url: str, same: bool) -> None:
    assert same_origin(url, SITE) is same


def test_single_document_connectors_do_not_resume() -> None:
    data_json = _connector(DcatUsConnector, "https://data.example.gov/data.json", "dcat_us")
    assert not isinstance(data_json, Resumable)
    hub = _connector(ArcgisConnector, "https://hub.example.org", "arcgis", mode="hub")
    assert hub.resume_from({"start": 7, "q": "orgid:abc"}) is False
    assert hub.first_start == 1
    export = _connector(
        OpenDataSoftConnector, "https://ods.example.org", "opendatasoft", use_dcat_export=True
    )
    assert export.resume_from({"api": "v2.1", "offset": 6}) is False


@pytest.mark.parametrize(
    ("cls", "platform", "options", "cursor"),
    [
        (CkanConnector, "ckan", {}, {"page": SITE, "listed": 3}),
        (SocrataConnector, "socrata", {}, {"start": 40}),
        (SocrataConnector, "socrata", {"paging": "offset"}, {"scroll_id": "a-1", "served": 3}),
        (SocrataConnector, "socrata", {}, {"scroll_id": "", "served": 3}),
        (SocrataConnector, "socrata", {}, {"offset": 6, "api": "v2.1"}),
        (OpenDataSoftConnector, "opendatasoft", {}, {"api": "v1", "offset": 6}),
        (OpenDataSoftConnector, "opendatasoft", {}, {"mode": "exports/json", "api": "v2.1"}),
        (OpenDataSoftConnector, "opendatasoft", {}, {"offset": 6}),
        (ArcgisConnector, "arcgis", {"mode": "portal"}, {"start": 7}),
        (DcatRdfConnector, "dcat_rdf", {}, {"page": "https://evil.example/c.ttl", "listed": 3}),
        (DcatRdfConnector, "dcat_rdf", {}, {"page": f"{SITE}?page=2", "listed": -1}),
        (DcatRdfConnector, "dcat_rdf", {}, {"page": f"{SITE}?page=2"}),
        (DcatRdfConnector, "dcat_rdf", {}, {"start": 6}),
        (DcatRdfConnector, "dcat_rdf", {}, {"page": SITE, "listed": 0}),
    ],
)
def test_a_foreign_or_unusable_cursor_is_refused(
    cls: type, platform: str, options: dict[str, Any], cursor: dict[str, Any]
) -> None:
    url = SITE if platform == "dcat_rdf" else "https://portal.example.org"
    connector = _connector(cls, url, platform, **options)
    assert connector.resume_from(cursor) is False


async def _collect(connector: Any) -> list[RawRecord]:
    return [raw async for raw in connector.fetch()]


def _resumed(portal: Portal, cursor: dict[str, Any]) -> Any:
    spec = SourceSpec(id="src", url=portal.url, platform=portal.platform, options=portal.options)
    cls = {
        "socrata": SocrataConnector,
        "opendatasoft": OpenDataSoftConnector,
        "arcgis": ArcgisConnector,
        "dcat_rdf": DcatRdfConnector,
    }[portal.platform]
    connector = cls(spec, httpx.AsyncClient(transport=httpx.MockTransport(portal)))
    assert isinstance(connector, Resumable)
    assert connector.resume_from(cursor) is True
    return connector


@pytest.mark.parametrize(
    ("kind", "cursor", "asked"),
    [
        ("socrata-scroll", {"scroll_id": "a005-0005", "served": 6}, "a005-0005"),
        ("socrata-offset", {"offset": 6}, 3),
        ("ods-v2.1", {"api": "v2.1", "offset": 6}, 3),
        ("ods-v1", {"api": "v1", "offset": 6}, 3),
        ("arcgis-portal", {"q": "owner:ville", "start": 7}, 4),
        ("dcat-hydra", {"page": f"{SITE}?page=2", "listed": 3}, f"{SITE}?page=2"),
    ],
)
async def test_a_resumed_fetch_starts_at_the_cursor_and_completes_the_listing(
    kind: str, cursor: dict[str, Any], asked: Any
) -> None:
    portal = portals()[kind]
    connector = _resumed(portal, cursor)
    records = await _collect(connector)
    assert portal.asked[0] == asked
    expected = portal.ids()[(2 if kind == "socrata-scroll" else 1) * PAGE :]
    assert sorted(r.remote_id for r in records) == sorted(expected)
    assert connector.stats.complete, connector.stats.cursor
    assert connector.stats.cursor["resumed_at"] == asked


@pytest.mark.parametrize(
    ("kind", "cursor"),
    [
        ("socrata-scroll", {"scroll_id": "a005-0005", "served": 1}),
        ("dcat-hydra", {"page": f"{SITE}?page=2", "listed": 0}),
    ],
)
async def test_a_resumed_listing_shorter_than_announced_is_incomplete(
    kind: str, cursor: dict[str, Any]
) -> None:
    """What the interrupted run listed counts toward the announced total; a resumed run
    that falls short of it (here: the cursor claims too little) does not complete."""
    portal = portals()[kind]
    connector = _resumed(portal, cursor)
    await _collect(connector)
    assert not connector.stats.complete
    assert connector.stats.cursor["stopped"] == "short listing"
