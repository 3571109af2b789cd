"""Reading a slow listing's next page ahead (connectors.read_ahead), alone and in the CKAN
and DCAT RDF connectors: the next request starts while the current page's records are
handed out, only when the source is slow, and changes nothing in what is listed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any, cast

import httpx
import pytest

from connectors.base import RawRecord, SourceSpec
from connectors.ckan import CkanConnector
from connectors.dcat_rdf import DcatRdfConnector
from connectors.errors import SourceUnavailable
from connectors.read_ahead import PageReader, depth_for, following_offsets
from simulator.corpus import CorpusSpec
from simulator.platforms.dcat_turtle import PREFIXES, dataset_turtle, lit, paging_turtle
from simulator.state import SimConfig, SimState
from tests.connectors.ckan_replay import RECORDED_SEARCHES, PagedSearch, search_results

SLOW = 0.06
"""Seconds a slow source takes per page (above READ_AHEAD_AFTER)."""


class Pages:
    """``fetch(key)`` for a PageReader: logs when each request starts and ends."""

    def __init__(self, delay: float = 0.0, fail: object = None) -> None:
        self.delay, self.fail = delay, fail
        self.log: list[tuple[str, object]] = []

    async def __call__(self, key: object) -> str:
        self.log.append(("start", key))
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.log.append(("cancelled", key))
            raise
        if key == self.fail:
            raise SourceUnavailable(f"page {key} timed out")
        self.log.append(("end", key))
        return f"page {key}"


async def reading_ahead(pages: Pages) -> PageReader[int, str]:
    """A reader over slow ``pages`` that has read page 1 and started page 2's request."""
    reader: PageReader[int, str] = PageReader(pages, after=SLOW / 2)
    assert await reader.page(1) == "page 1" and reader.slow
    reader.ahead(2)
    await asyncio.sleep(0)
    return reader


async def test_a_quick_source_is_read_one_page_at_a_time() -> None:
    pages = Pages()
    reader: PageReader[int, str] = PageReader(pages, after=SLOW / 2)
    assert await reader.page(1) == "page 1"
    reader.ahead(2)
    assert pages.log == [("start", 1), ("end", 1)]  # nothing started ahead
    assert await reader.page(2) == "page 2" and reader.read_ahead == 0


async def test_a_slow_sources_next_page_is_requested_at_once() -> None:
    pages = Pages(SLOW)
    reader: PageReader[int, str] = PageReader(pages, after=SLOW / 2)
    assert await reader.page(1) == "page 1" and reader.slow
    reader.ahead(2)
    reader.ahead(3)  # one request in flight at a time
    await asyncio.sleep(0)
    assert pages.log[-1] == ("start", 2)
    await asyncio.sleep(SLOW * 1.5)  # the run works on page 1's records meanwhile
    assert pages.log[-1] == ("end", 2)
    assert await reader.page(2) == "page 2"  # no second request
    assert [event for event in pages.log if event[0] == "start"] == [("start", 1), ("start", 2)]
    assert reader.read_ahead == 1


async def test_a_page_read_ahead_fails_where_it_is_asked_for() -> None:
    reader = await reading_ahead(Pages(SLOW, fail=2))
    await asyncio.sleep(SLOW * 1.5)  # failed meanwhile: nothing raised yet
    with pytest.raises(SourceUnavailable, match="page 2"):
        await reader.page(2)


async def test_another_page_asked_for_drops_the_one_read_ahead() -> None:
    pages = Pages(SLOW)
    reader = await reading_ahead(pages)
    assert await reader.page(5) == "page 5"
    assert ("cancelled", 2) in pages.log and ("end", 2) not in pages.log


async def test_closing_drops_the_request_in_flight_even_a_failed_one() -> None:
    pages = Pages(SLOW)
    reader = await reading_ahead(pages)
    await reader.aclose()
    assert pages.log[-1] == ("cancelled", 2)
    failing = Pages(SLOW, fail=2)
    reader = await reading_ahead(failing)
    await asyncio.sleep(SLOW * 1.5)
    await reader.aclose()  # its failure is nobody's error
    assert failing.log[-1] == ("start", 2)


async def test_a_listing_cancelled_while_it_drops_its_request_stays_cancelled() -> None:
    async def stubborn(key: int) -> str:  # a request slow to stop
        try:
            await asyncio.sleep(SLOW)
        except asyncio.CancelledError:
            await asyncio.sleep(SLOW)
            raise
        return f"page {key}"

    reader: PageReader[int, str] = PageReader(stubborn, after=0)
    await reader.page(1)
    reader.ahead(2)
    await asyncio.sleep(0)
    reached: list[bool] = []

    async def closing() -> None:
        await reader.aclose()
        reached.append(True)

    closer = asyncio.create_task(closing())
    await asyncio.sleep(SLOW / 4)  # the closer waits for the request to stop
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer
    assert not reached


def test_following_offsets_stop_at_the_count_the_cap_and_the_page_cap() -> None:
    assert following_offsets(6, 20, 3, 3, 100) == [(6, 3), (9, 4), (12, 5), (15, 6), (18, 7)]
    assert following_offsets(6, 20, 3, 3, 4) == [(6, 3), (9, 4)]  # page cap
    assert following_offsets(6, 20, 3, 3, 100, cap=12) == [(6, 3), (9, 4)]
    assert following_offsets(6, None, 3, 3, 100) == [(6, 3)]  # no count: the next one
    assert following_offsets(6, 6, 3, 3, 100) == following_offsets(6, None, 3, 4, 3) == []
    assert len(following_offsets(0, 10_000, 100, 1, 10_000)) == depth_for(100) == 5


# -- in the connectors ------------------------------------------------------------------------


class SlowSite:
    """``handler`` answering after ``delay`` seconds; logs the requests as they arrive, are
    answered or cancelled, and whether one arrived while another was in flight."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response], delay: float) -> None:
        self.handler, self.delay = handler, delay
        self.arrivals: list[str] = []
        self.answered: list[str] = []
        self.cancelled: list[str] = []
        self.overlapping = False
        self._in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.arrivals.append(url)
        self.overlapping = self.overlapping or self._in_flight > 0
        self._in_flight += 1
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled.append(url)
            raise
        finally:
            self._in_flight -= 1
        self.answered.append(url)
        return self.handler(request)


async def listing(
    records: Any, arrivals: list[str], per_record: float = 0.0
) -> tuple[list[RawRecord], list[int]]:
    """Every record, and how many requests had arrived when each was handed out."""
    found: list[RawRecord] = []
    seen_requests: list[int] = []
    async for raw in records:
        seen_requests.append(len(arrivals))
        found.append(raw)
        if per_record:
            await asyncio.sleep(per_record)  # the run mapping and writing
    return found, seen_requests


@pytest.fixture
def packages() -> list[dict[str, Any]]:
    return search_results(*RECORDED_SEARCHES)[:9]


def ckan(transport: httpx.AsyncBaseTransport, **options: Any) -> CkanConnector:
    spec = SourceSpec(id="src", url="https://portal.example.org", platform="ckan", options=options)
    return CkanConnector(spec, httpx.AsyncClient(transport=transport))


@pytest.mark.parametrize("count", [True, False])
async def test_ckan_requests_a_slow_portals_next_page_while_handing_out_records(
    packages: list[dict[str, Any]], count: bool
) -> None:
    search = PagedSearch(packages)
    site = search if count else _without_count(search)
    handler = SlowSite(site, SLOW)
    conn = ckan(httpx.MockTransport(handler), rows=3)
    quick = ckan(httpx.MockTransport(site), rows=3)
    records, requests_seen = await listing(conn.fetch(), handler.arrivals, per_record=0.03)
    expected = [raw async for raw in quick.fetch()]
    assert [(r.remote_id, r.payload) for r in records] == [
        (r.remote_id, r.payload) for r in expected
    ]
    assert len(records) == 9 and conn.stats.complete and conn.stats.pages == quick.stats.pages
    # page 2 (and 3) were asked for before page 1's (2's) last record was handed out
    assert requests_seen[2] >= 2 and requests_seen[5] >= 3
    assert conn.stats.read_ahead >= 2 and quick.stats.read_ahead == 0
    pages = 4 if not count else 3  # without a count the listing ends on a short page
    assert len(handler.arrivals) == pages


def _without_count(search: PagedSearch) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        response = search(request)
        body = response.json()
        body["result"].pop("count", None)
        return httpx.Response(200, json=body)

    return answer


async def test_ckan_reads_nothing_ahead_past_the_page_cap(packages: list[dict[str, Any]]) -> None:
    handler = SlowSite(PagedSearch(packages), SLOW)
    spec = SourceSpec(id="src", url="https://portal.example.org", platform="ckan", options={})
    conn = CkanConnector(
        spec.model_copy(update={"options": {"rows": 3}}),
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        max_pages=2,
    )
    records = [raw async for raw in conn.fetch()]
    assert len(records) == 6 and not conn.stats.complete
    assert len(handler.arrivals) == 2


async def test_a_listing_left_early_drops_the_request_read_ahead(
    packages: list[dict[str, Any]],
) -> None:
    finished: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(SLOW)
        finished.append(str(request.url))
        return PagedSearch(packages)(request)

    conn = ckan(httpx.MockTransport(answer), rows=3)
    records = cast(AsyncGenerator[RawRecord, None], conn.fetch())
    await anext(records)
    await asyncio.sleep(0)  # page 2 requested
    await records.aclose()
    await asyncio.sleep(SLOW * 1.5)
    assert len(finished) == 1 and conn.stats.read_ahead == 2  # pages 2 and 3 named


async def test_ckan_reads_several_pages_ahead_while_the_run_writes(
    packages: list[dict[str, Any]],
) -> None:
    """A run writes a batch every few pages: the pages after it come meanwhile, one request
    after the other (never two at once), as far as one batch's worth of records."""
    in_flight: list[int] = []
    overlapping: list[bool] = []
    answered: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        overlapping.append(bool(in_flight))
        in_flight.append(1)
        try:
            await asyncio.sleep(SLOW)
        finally:
            in_flight.pop()
        answered.append(request.url.params["start"])
        return PagedSearch(packages)(request)

    conn = ckan(httpx.MockTransport(answer), rows=3)
    records = cast(AsyncGenerator[RawRecord, None], conn.fetch())
    await anext(records)
    await asyncio.sleep(SLOW * 4)  # the run writes a batch
    assert answered == ["0", "3", "6"]  # pages 2 and 3 came meanwhile
    rest = [raw async for raw in records]
    assert len(rest) == 8 and conn.stats.complete and not any(overlapping)
    assert answered == ["0", "3", "6"] and conn.stats.read_ahead == 2


SITE = "http://127.0.0.1:9/sim"


def turtle_pages(size: int = 4, last: int = 3) -> dict[str, bytes]:
    """Hydra-paged Turtle as the portal simulator serves it, by URL."""
    corpus = SimState(SimConfig(spec=CorpusSpec(n=size * last))).corpus
    pages = {}
    for page in range(1, last + 1):
        datasets = [corpus.dataset(i) for i in corpus.indices[(page - 1) * size : page * size]]
        members = ", ".join(f"<{SITE}/dataset/{d.uid}>" for d in datasets)
        pages[f"{SITE}/catalog.ttl?page={page}"] = "".join(
            [
                PREFIXES,
                f"<{SITE}/catalog> a dcat:Catalog ; dct:title {lit('Cat', 'fr')} ;"
                f" dcat:dataset {members} .\n\n",
                paging_turtle(SITE, page, last, size * last, size, "legacy"),
                *(dataset_turtle(d, SITE) for d in datasets),
            ]
        ).encode()
    return pages


async def test_dcat_requests_a_slow_catalogues_next_page_while_handing_out_records() -> None:
    pages = turtle_pages()

    def site(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=pages[str(request.url)], headers={"Content-Type": "text/turtle"}
        )

    handler = SlowSite(site, SLOW)
    first = f"{SITE}/catalog.ttl?page=1"
    spec = SourceSpec(id="src", url=first, platform="dcat_rdf")
    conn = DcatRdfConnector(spec, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    quick = DcatRdfConnector(spec, httpx.AsyncClient(transport=httpx.MockTransport(site)))
    records, requests_seen = await listing(conn.fetch(), handler.arrivals, per_record=0.03)
    expected = [raw async for raw in quick.fetch()]
    assert [(r.remote_id, r.payload) for r in records] == [
        (r.remote_id, r.payload) for r in expected
    ]
    assert len(records) == 12 and conn.stats.complete and conn.stats.pages == 3
    assert requests_seen[3] >= 2 and requests_seen[7] >= 3  # before each page's last record
    assert handler.arrivals == list(pages)
    assert conn.stats.read_ahead == 2 and quick.stats.read_ahead == 0
