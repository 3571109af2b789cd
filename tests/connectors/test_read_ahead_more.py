"""Reading a slow listing's next pages ahead in the Socrata, ArcGIS portal and OpenDataSoft
connectors (the reader itself, CKAN and DCAT RDF: test_read_ahead.py): the same records as
from a quick source, the next request started before the current page's last record is
handed out, one request at a time, nothing past a cap or the count, and an early stop
cancelling the request in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest

from connectors import arcgis, opendatasoft, socrata
from connectors.arcgis import ArcgisConnector
from connectors.base import Connector, RawRecord, SourceSpec
from connectors.errors import SourceProtocolError
from connectors.opendatasoft import OpenDataSoftConnector
from connectors.socrata import SocrataConnector
from tests.connectors.socrata_replay import Catalog, discovery_results, load, with_ids
from tests.connectors.test_arcgis_portal import PAGE_146, Portal
from tests.connectors.test_arcgis_portal import load as arcgis_load
from tests.connectors.test_arcgis_portal import source as arcgis_source
from tests.connectors.test_opendatasoft_fetch import Catalog as OdsCatalog
from tests.connectors.test_opendatasoft_fetch import V1Search, many
from tests.connectors.test_opendatasoft_fetch import load as ods_load
from tests.connectors.test_opendatasoft_fetch import spec as ods_spec
from tests.connectors.test_read_ahead import SLOW, SlowSite, listing

Handler = Any


def client(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def pairs(records: list[RawRecord]) -> list[tuple[str, Any]]:
    return [(r.remote_id, r.payload) for r in records]


async def same_as_quick(
    make: Callable[[Handler], Connector], site: Handler, **kwargs: Any
) -> tuple[Connector, Connector, SlowSite, list[RawRecord], list[int]]:
    """A connector over ``site`` made slow and one over ``site`` as it is (``make(handler)``),
    both listed whole (the slow one by a run taking a while per record); checks that they
    list the same records in the same pages, and that only the slow one read ahead."""
    slow = SlowSite(site, SLOW)
    conn, quick = make(slow), make(site)
    records, requests_seen = await listing(conn.fetch(**kwargs), slow.arrivals, per_record=0.01)
    assert pairs(records) == pairs([raw async for raw in quick.fetch(**kwargs)])
    assert records and conn.stats.complete and conn.stats.pages == quick.stats.pages
    assert conn.stats.read_ahead >= 1 and quick.stats.read_ahead == 0
    assert not slow.overlapping and slow.arrivals == slow.answered
    return conn, quick, slow, records, requests_seen


async def pause_after_the_first_record(
    conn: Connector, site: SlowSite, pause: float = SLOW * 5
) -> tuple[list[RawRecord], int]:
    """Every record, the run pausing (a batch's write) after the first one; and how many
    requests were answered by the end of the pause."""
    records = cast(AsyncGenerator[RawRecord, None], conn.fetch())
    first = await anext(records)
    await asyncio.sleep(pause)
    answered = len(site.answered)
    return [first, *[raw async for raw in records]], answered


async def left_after_one_record(conn: Connector, site: SlowSite) -> None:
    """Take one record, then leave the listing: the request read ahead is cancelled."""
    records = cast(AsyncGenerator[RawRecord, None], conn.fetch())
    await anext(records)
    await asyncio.sleep(0)  # the next page requested
    await records.aclose()
    await asyncio.sleep(SLOW * 1.5)
    assert len(site.arrivals) == 2 and len(site.answered) == 1
    assert site.cancelled == site.arrivals[1:]


# -- Socrata ----------------------------------------------------------------------------------

SOCRATA = "https://data.example.gov"


def socrata_conn(
    handler: Handler, max_pages: int | None = None, **options: Any
) -> SocrataConnector:
    spec = SourceSpec(id="src", url=SOCRATA, platform="socrata", options=options)
    return SocrataConnector(spec, client(handler), max_pages=max_pages)


@pytest.mark.parametrize("paging", ["scroll", "offset"])
async def test_socrata_requests_a_slow_sites_next_pages_while_handing_out_records(
    paging: str,
) -> None:
    catalog = Catalog(with_ids(discovery_results(), 10))
    conn, _, slow, records, requests_seen = await same_as_quick(
        lambda handler: socrata_conn(handler, paging=paging, page_size=3), catalog
    )
    assert len(records) == 10
    # page 2 (3, 4) asked for before page 1's (2's, 3's) last record was handed out
    assert requests_seen[2] >= 2 and requests_seen[5] >= 3 and requests_seen[8] >= 4
    # nothing after the short page 4 (a scroll), past resultSetSize (offsets)
    assert len(slow.arrivals) == 4 and conn.stats.read_ahead == 3


@pytest.mark.parametrize(("paging", "answered"), [("scroll", 2), ("offset", 4)])
async def test_socrata_reads_ahead_one_scroll_page_or_several_offsets_one_at_a_time(
    paging: str, answered: int
) -> None:
    """While the run writes, a scroll's next page comes (its cursor is only known once a
    page is read); offset paging's following pages come one after the other."""
    slow = SlowSite(Catalog(with_ids(discovery_results(), 12)), SLOW)
    conn = socrata_conn(slow, paging=paging, page_size=3)
    records, during_pause = await pause_after_the_first_record(conn, slow)
    assert during_pause == answered
    assert len(records) == 12 and conn.stats.complete and not slow.overlapping


async def test_socrata_reads_nothing_ahead_past_the_page_or_offset_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = SlowSite(Catalog(with_ids(discovery_results(), 12)), SLOW)
    capped = socrata_conn(slow, max_pages=2, page_size=3)
    assert len([raw async for raw in capped.fetch()]) == 6
    assert capped.stats.cursor["stopped"] == "page cap" and not capped.stats.complete
    assert len(slow.arrivals) == 2 and capped.stats.read_ahead == 1

    monkeypatch.setattr(socrata, "MAX_OFFSET_PLUS_LIMIT", 7)
    slow = SlowSite(Catalog(with_ids(discovery_results(), 12)), SLOW)
    conn = socrata_conn(slow, paging="offset", page_size=3)
    assert len([raw async for raw in conn.fetch()]) == 7
    assert conn.stats.cursor["stopped"] == "offset cap" and not conn.stats.complete
    offsets = [httpx.URL(url).params["offset"] for url in slow.arrivals]
    assert offsets == ["0", "3", "6"] and conn.stats.read_ahead == 2


async def test_socrata_incremental_run_requests_nothing_past_the_older_assets() -> None:
    """Newest first, the listing stops at the first asset older than ``since`` (page 2):
    it reads one page ahead only, named once a page held no older asset, so page 3 is
    never requested."""
    assets = with_ids(discovery_results(), 12)
    for day, asset in enumerate(assets):
        asset["resource"]["updatedAt"] = f"2024-01-{31 - day:02d}T00:00:00.000Z"
    slow = SlowSite(Catalog(assets), SLOW)
    conn = socrata_conn(slow, page_size=2)
    since = datetime(2024, 1, 29, tzinfo=UTC)
    records, requests_seen = await listing(conn.fetch(since), slow.arrivals, per_record=SLOW / 4)
    assert [r.remote_id for r in records] == [a["resource"]["id"] for a in assets[:3]]
    assert conn.stats.complete and conn.stats.pages == 2
    assert requests_seen[1] >= 2  # page 2 asked for before page 1's last asset
    assert len(slow.arrivals) == 2 and not slow.cancelled and conn.stats.read_ahead == 1


async def test_socrata_a_page_read_ahead_fails_after_the_previous_pages_records() -> None:
    catalog = Catalog(with_ids(discovery_results(), 9))
    refusal = load("error_403_not_logged_in.json")

    def site(request: httpx.Request) -> httpx.Response:
        if request.url.params["scroll_id"]:
            return httpx.Response(403, json=refusal)
        return catalog(request)

    slow = SlowSite(site, SLOW)
    conn = socrata_conn(slow, page_size=3)
    found: list[str] = []
    with pytest.raises(SourceProtocolError, match="page 2 of"):
        async for raw in conn.fetch():
            found.append(raw.remote_id)
            await asyncio.sleep(0.01)
            assert len(slow.arrivals) == 2  # page 2 requested ahead
    assert len(found) == 3 and not conn.stats.complete


# -- ArcGIS portals ---------------------------------------------------------------------------


def portal_pages(count: int, num: int) -> dict[int, Any]:
    """The first ``count`` items of the recorded 146-item search page, served ``num`` at a
    time by ``start`` (1, 1 + num, …)."""
    recorded = arcgis_load(PAGE_146)
    items = recorded["results"][:count]
    return {
        start: {
            **recorded,
            "total": count,
            "start": start,
            "num": num,
            "nextStart": start + num if start + num <= count else -1,
            "results": items[start - 1 : start - 1 + num],
        }
        for start in range(1, count + 1, num)
    }


def portal_conn(handler: Handler, **options: Any) -> ArcgisConnector:
    return ArcgisConnector(arcgis_source(group="g", page_size=10, **options), client(handler))


def starts(site: SlowSite) -> list[str]:
    return [httpx.URL(url).params["start"] for url in site.arrivals]


async def test_arcgis_portal_requests_a_slow_searchs_next_pages_while_handing_out() -> None:
    conn, _, slow, records, requests_seen = await same_as_quick(
        portal_conn, Portal(portal_pages(30, 10))
    )
    assert len(records) == 30 and conn.stats.expected == 30
    assert requests_seen[9] >= 2 and requests_seen[19] >= 3
    assert starts(slow) == ["1", "11", "21"] and conn.stats.read_ahead == 2


async def test_arcgis_portal_reads_several_pages_ahead_one_at_a_time() -> None:
    slow = SlowSite(Portal(portal_pages(40, 10)), SLOW)
    conn = portal_conn(slow)
    records, during_pause = await pause_after_the_first_record(conn, slow)
    assert len(records) == 40 and conn.stats.complete and during_pause == 4
    assert starts(slow) == ["1", "11", "21", "31"] and not slow.overlapping


async def test_arcgis_portal_reads_nothing_ahead_past_the_page_cap_or_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = SlowSite(Portal(portal_pages(40, 10)), SLOW)
    conn = portal_conn(slow, max_pages=2)
    assert len([raw async for raw in conn.fetch()]) == 20
    assert conn.stats.cursor["stopped"] == "page cap" and starts(slow) == ["1", "11"]
    assert conn.stats.read_ahead == 1

    monkeypatch.setattr(arcgis, "SEARCH_WINDOW", 25)  # start + num - 1 <= 25: starts 1, 11
    slow = SlowSite(Portal(portal_pages(40, 10)), SLOW)
    conn = portal_conn(slow)
    assert len([raw async for raw in conn.fetch()]) == 20
    assert conn.stats.cursor["stopped"] == "search window" and starts(slow) == ["1", "11"]
    assert conn.stats.read_ahead == 1


async def test_arcgis_portal_left_early_cancels_the_page_read_ahead() -> None:
    slow = SlowSite(Portal(portal_pages(30, 10)), SLOW)
    conn = portal_conn(slow)
    await left_after_one_record(conn, slow)
    assert conn.stats.read_ahead == 2


# -- OpenDataSoft -----------------------------------------------------------------------------


def ods_conn(
    handler: Handler, max_pages: int | None = None, **options: Any
) -> OpenDataSoftConnector:
    return OpenDataSoftConnector(ods_spec(**options), client(handler), max_pages=max_pages)


def v1_datasets() -> list[dict[str, Any]]:
    return [
        *ods_load("v1_datasets_search_etalab-sandbox.json")["datasets"],
        *ods_load("v1_datasets_search_no-records.json")["datasets"],
    ]


@pytest.mark.parametrize("api_version", ["v2.1", "v1"])
async def test_opendatasoft_requests_a_slow_portals_next_pages_while_handing_out_records(
    api_version: str,
) -> None:
    v1 = api_version == "v1"
    site = V1Search(v1_datasets()) if v1 else OdsCatalog(many(7))
    size = 2 if v1 else 3
    conn, _, slow, records, requests_seen = await same_as_quick(
        lambda handler: ods_conn(handler, api_version=api_version, page_size=size), site
    )
    assert len(records) == (6 if v1 else 7)
    assert requests_seen[size - 1] >= 2 and requests_seen[2 * size - 1] >= 3
    assert len(slow.arrivals) == 3 and conn.stats.read_ahead == 2


async def test_opendatasoft_reads_several_pages_ahead_one_at_a_time() -> None:
    slow = SlowSite(OdsCatalog(many(12)), SLOW)
    conn = ods_conn(slow, page_size=3)
    records, during_pause = await pause_after_the_first_record(conn, slow)
    assert len(records) == 12 and conn.stats.complete and not slow.overlapping
    assert during_pause == len(slow.arrivals) == 4
    assert conn.stats.read_ahead == 3


async def test_opendatasoft_reads_nothing_ahead_past_the_page_cap_or_the_offset_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = SlowSite(OdsCatalog(many(12)), SLOW)
    conn = ods_conn(slow, max_pages=2, page_size=3)
    assert len([raw async for raw in conn.fetch()]) == 6
    assert conn.stats.cursor["stopped"] == "page cap" and len(slow.arrivals) == 2
    assert conn.stats.read_ahead == 1

    monkeypatch.setattr(opendatasoft, "OFFSET_LIMIT", 7)
    datasets = [{"datasetid": f"d{i:05d}", "metas": {"title": "t"}} for i in range(12)]
    slow = SlowSite(V1Search(datasets), SLOW)
    conn = ods_conn(slow, api_version="v1", page_size=3)
    assert len([raw async for raw in conn.fetch()]) == 7
    assert conn.stats.cursor["stopped"] == "offset limit" and not conn.stats.complete
    asked = [(p["start"], p["rows"]) for p in (httpx.URL(u).params for u in slow.arrivals)]
    assert asked == [("0", "3"), ("3", "3"), ("6", "1")] and conn.stats.read_ahead == 2


async def test_opendatasoft_left_early_cancels_the_page_read_ahead() -> None:
    slow = SlowSite(OdsCatalog(many(9)), SLOW)
    conn = ods_conn(slow, page_size=3)
    await left_after_one_record(conn, slow)
    assert conn.stats.read_ahead == 2
