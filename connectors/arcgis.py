"""ArcGIS connector: Hub sites (DCAT-AP / DCAT-US feeds) and Online/Enterprise portals.

``mode = "auto"`` takes a URL on ``www.arcgis.com``, ``*.maps.arcgis.com``, or with a
``/sharing``, ``/home`` or ``/portal`` path for a portal, anything else for a Hub site.

Hub sites (:mod:`connectors.arcgis_hub`): the feeds are tried in order — DCAT-AP 3.0.0,
2.1.1, 2.0.1, then DCAT-US ``/api/feed/dcat-us/1.1.json`` and ``/data.json`` (``feed``
narrows the list) — and the first that answers a catalogue is harvested whole. A feed that is
missing (404, Hub's HTML page, no dataset list) moves on to the next; an unavailable one
(timeout, 5xx) fails the run. ``since`` is ignored: the feeds have no server-side filter that
would still let the run see the whole catalogue.

Portals (:mod:`connectors.arcgis_portal_search`): ``/sharing/rest/search`` paged with
``start``/``num``/``nextStart`` on a stable sort (``created`` ascending; ``modified`` for
an incremental run, which adds a ``modified:[… TO …]`` range). The query is the source's
``query`` and/or ``group``, else the portal's own organization (``orgid:``, from
``portals/self``), narrowed to ``item_types`` when given.

``stats.complete`` is True only after the last page (``nextStart = -1``) with as many items
served as the first page announced; the page cap, ArcGIS Online's 10 000-result search
window, a repeated or empty page, a total that changed, a feed that broke off or any error
leave it False (DESIGN §5).

Resuming (:meth:`ArcgisConnector.resume_from`): a portal search saves ``start`` (and its
``q``) as of the last page whose items were all yielded; a resumed run continues one page
early (items deleted meanwhile shift the positions). A Hub feed is one document and cannot
be resumed: such a run starts again from the beginning.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from catalog.model import DatasetRecord
from connectors.arcgis_hub import (
    DEFAULT_MAX_BYTES,
    feed_candidates,
    hub_site,
    iter_dcat_ap,
    normalize_dcat_ap,
)
from connectors.arcgis_portal import item_id, normalize_item
from connectors.arcgis_portal_search import (
    SEARCH_WINDOW,
    arcgis_error,
    build_query,
    check,
    is_portal_url,
    org_id_of,
    portal_root,
    search_page,
    sharing_url,
)
from connectors.arcgis_probe import probe_hub, probe_portal
from connectors.arcgis_services import mark_services
from connectors.base import BaseConnector, FetchStats, ProbeResult, RawRecord, SourceSpec
from connectors.dcat_us import SeriesNames, SeriesRevisits, iter_datasets, normalize_dataset
from connectors.errors import RecordInvalid, SourceProtocolError
from connectors.http import Fetched, get_bytes, get_json, json_body
from connectors.read_ahead import PageReader, depth_for, following_offsets, listed
from connectors.resume import one_page_early, positive_int

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 1_000


class ArcgisOptions(BaseModel):
    """Per-source options for an ArcGIS Hub site or portal (``[sources.options]``)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["auto", "hub", "portal"] = "auto"
    group: str | None = None
    """Portal: harvest the items shared with this group (its id)."""
    query: str | None = None
    """Portal: an extra search ``q``, e.g. ``orgid:abc123`` or ``owner:cityGIS``."""
    item_types: list[str] = Field(default_factory=list)
    """Portal: only these item types (``"Feature Service"``, ``"CSV"``…); they are also
    harvested when they are not data types."""
    feed: Literal["auto", "dcat-ap", "data.json"] = "auto"
    """Hub: which feeds to try (``auto``: DCAT-AP 3 first, then older, then DCAT-US)."""
    page_size: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, ge=1)
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024)
    """Hub: largest feed accepted (bytes, decompressed)."""


def payload_kind(raw: RawRecord) -> Literal["item", "dcat-ap", "dcat-us"]:
    """Which mapping a fetched payload needs: a portal item, a DCAT-AP JSON-LD dataset or
    a DCAT-US dataset."""
    payload = raw.payload
    if raw.content_type == "application/ld+json" or (
        isinstance(payload, dict) and "@context" in payload
    ):
        return "dcat-ap"
    if isinstance(payload, dict) and "owner" in payload and "type" in payload:
        return "item"
    return "dcat-us"


class ArcgisConnector(SeriesRevisits, BaseConnector):
    """Harvests an ArcGIS Hub site's feeds or an ArcGIS Online/Enterprise portal's items."""

    platform: ClassVar[str] = "arcgis"
    Options: ClassVar[type[BaseModel]] = ArcgisOptions
    options: ArcgisOptions

    # a portal item maps from the spec alone; a Hub feed's records read the feed that
    # answered (given to a worker, see mapping_context) and a series parent the ids its
    # listing found (mapped in process, see portable)
    portable_mapping = True

    def __init__(
        self, source: SourceSpec, client: httpx.AsyncClient, *, max_pages: int | None = None
    ) -> None:
        super().__init__(source, client)
        mode = self.options.mode
        self.mode = mode if mode != "auto" else ("portal" if is_portal_url(source.url) else "hub")
        self.root = portal_root(source.url) if self.mode == "portal" else hub_site(source.url)
        self.max_pages = max_pages or self.options.max_pages
        self.feed_url: str | None = None
        self.series = SeriesNames()
        self.first_start = 1

    def remember(self, cursor: dict[str, Any]) -> None:
        """Take the series a Hub feed's last complete run found (``SeriesNames``)."""
        if self.mode != "portal":
            self.series.remember(cursor)

    def resume_from(self, cursor: dict[str, Any]) -> bool:
        """Make the next portal ``fetch()`` continue one page before the saved ``start``.
        False for a Hub site or a cursor that is not a portal search's."""
        start = positive_int(cursor, "start")
        if self.mode != "portal" or start is None or not isinstance(cursor.get("q"), str):
            return False
        self.first_start = one_page_early(start, self.options.page_size, first=1)
        return True

    async def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]:
        """Yield every dataset of the site or portal (see the module docstring)."""
        self.stats = FetchStats()
        if self.mode != "portal":
            async for raw in self._fetch_hub():
                yield raw
            return
        q = await self._portal_query(since)
        # pages by (start, number), the following ones requested ahead when the portal is slow
        reader: PageReader[tuple[int, int], Fetched] = PageReader(
            lambda key: self._search(q, since, *key), depth=depth_for(self.options.page_size)
        )
        async for record in listed(reader, self._portal_listing(reader, q), self.stats):
            yield record

    # -- Hub ----------------------------------------------------------------------------------

    async def _fetch_hub(self) -> AsyncIterator[RawRecord]:
        tried: list[str] = []
        for kind, url in feed_candidates(self.source.url, self.options.feed):
            self.stats = FetchStats()
            self.feed_url = url
            records = (
                iter_dcat_ap(self.client, url, max_bytes=self.options.max_bytes, stats=self.stats)
                if kind == "dcat-ap"
                else iter_datasets(
                    self.client,
                    url,
                    max_bytes=self.options.max_bytes,
                    stats=self.stats,
                    series=self.series,
                    on_cut=self._read_again,
                    given=self.seen,
                )
            )
            yielded = 0
            try:
                async for raw in records:
                    yielded += 1
                    yield self.series.marked(raw) if kind != "dcat-ap" else raw
            except SourceProtocolError as error:
                if yielded:
                    raise
                tried.append(f"{url}: {error.message}")
                log.info("arcgis %s: feed %s not usable: %s", self.source.id, url, error)
                continue
            self.stats.cursor["feed"] = url
            self.stats.cursor["feeds_tried"] = tried
            self.stats.cursor["collections"] = sorted(self.series.read)
            return
        self.feed_url = None
        raise SourceProtocolError(
            f"no ArcGIS Hub feed answered under {self.root}",
            detail="\n".join(tried),
            url=self.root,
        )

    # -- portals ------------------------------------------------------------------------------

    async def _org_query(self, sharing: str) -> str:
        url = f"{sharing}/portals/self"
        body = check(
            await get_json(
                self.client,
                url,
                params={"f": "json"},
                what="portal description",
                describe_error=arcgis_error,
            ),
            url=url,
            what="portal description",
        )
        org = org_id_of(body)
        if org is None:
            raise SourceProtocolError(
                f"{self.root} names no organization: set the source's group or query option "
                "to say which items to harvest",
                url=url,
            )
        return org

    async def _portal_query(self, since: datetime | None) -> str:
        """The search ``q``: the source's query and/or group, else its organization."""
        options = self.options
        org = None
        if not (options.group or options.query):
            org = await self._org_query(sharing_url(self.root))
        return build_query(
            query=options.query,
            group=options.group,
            org_id=org,
            item_types=options.item_types,
            since=since,
        )

    @property
    def _search_url(self) -> str:
        return f"{sharing_url(self.root)}/search"

    async def _search(self, q: str, since: datetime | None, start: int, number: int) -> Fetched:
        params = {
            "f": "json",
            "q": q,
            "start": start,
            "num": self.options.page_size,
            "sortField": "modified" if since else "created",
            "sortOrder": "asc",
        }
        return await get_bytes(
            self.client,
            self._search_url,
            params=params,
            accept="application/json",
            what=f"page {number}",
            describe_error=arcgis_error,
            on_body=self._count_bytes,
        )

    def _search_page(
        self, fetched: Fetched, number: int
    ) -> tuple[list[Any], int | None, int | None]:
        url, what = self._search_url, f"page {number}"
        return search_page(json_body(fetched, url, what), url=url, what=what)

    def _following(
        self,
        start: int,
        items: list[Any],
        following: int | None,
        total: int | None,
        first: int | None,
    ) -> list[tuple[int, int]]:
        """The pages (start, number) after this one (at ``start``), from its ``nextStart``
        on, as far as the first total and the search window go (without a total, the next
        one)."""
        if not items or following is None or following <= start or total != first:
            return []
        num = self.options.page_size
        return following_offsets(
            following,
            None if first is None else first + 1,  # starts count from 1
            num,
            self.stats.pages + 1,
            self.max_pages,
            cap=SEARCH_WINDOW - num + 2,  # start + num - 1 may not pass the window
        )

    async def _portal_listing(
        self, reader: PageReader[tuple[int, int], Fetched], q: str
    ) -> AsyncGenerator[RawRecord, None]:
        num = self.options.page_size
        start = self.first_start
        served = start - 1  # items listed before this run's pages
        if start > 1:
            self.stats.cursor["resumed_at"] = start
        first_total: int | None = None
        previous: list[str | None] | None = None
        seen: set[str] = set()
        self.stats.cursor["q"] = q
        while True:
            if self.stats.pages >= self.max_pages:
                self._stop("page cap", pages=self.stats.pages, start=start)
                return
            if start + num - 1 > SEARCH_WINDOW:
                self._stop("search window", start=start, total=first_total)
                return
            number = self.stats.pages + 1
            items, total, following = self._search_page(await reader.page((start, number)), number)
            self.stats.pages += 1
            if self.stats.pages == 1:
                first_total = total
                self.stats.expected = total
            ids = [item_id(item) for item in items]
            if not items and following is not None:
                self._stop("empty page", start=start)
                return
            if items and ids == previous:
                self._stop("repeated page", start=start)
                return
            previous = ids
            reader.ahead(*self._following(start, items, following, total, first_total))
            fetched_at = datetime.now(UTC)
            for item, key in zip(items, ids, strict=True):
                if not key or key in seen:
                    continue
                seen.add(key)
                yield RawRecord(remote_id=key, payload=item, fetched_at=fetched_at)
            served += len(items)
            self.stats.cursor["start"] = following or start + len(items)
            if total != first_total:
                self._stop("count changed", first=first_total, now=total)
                return
            if following is None:
                break
            if following <= start:
                self._stop("repeated page", start=start, next=following)
                return
            start = following
        if first_total is not None and served < first_total:
            self._stop("short listing", served=served, total=first_total)
            return
        self.stats.complete = True

    # -- normalize ----------------------------------------------------------------------------

    def portable(self, raw: RawRecord) -> bool:
        """A portal's items and a Hub feed's datasets, once a feed answered, but a DCAT-US
        dataset that an ``isPartOf`` read so far names (a series: see :mod:`.dcat_us`)."""
        if self.mode == "portal":
            return True
        if self.feed_url is None:
            return False
        return payload_kind(raw) != "dcat-us" or not self.series.names(raw)

    def mapping_context(self) -> dict[str, Any]:
        """The Hub feed that answered (its records' catalogue)."""
        return {"feed_url": self.feed_url} if self.mode != "portal" else {}

    def use_mapping_context(self, context: dict[str, Any]) -> None:
        self.feed_url = context.get("feed_url", self.feed_url)

    def normalize(self, raw: RawRecord) -> DatasetRecord:
        """Map one fetched item or feed dataset to the canonical record."""
        if not isinstance(raw.payload, dict):
            raise RecordInvalid(f"record {raw.remote_id} is not a JSON object")
        kind = payload_kind(raw)
        if kind == "item":
            return normalize_item(
                raw.payload,
                self.source,
                root=portal_root(self.source.url) if self.mode == "portal" else self.root,
                fetched_at=raw.fetched_at,
                item_types=self.options.item_types,
                platform=self.platform,
            )
        if kind == "dcat-ap":
            return normalize_dcat_ap(
                raw.payload,
                self.source,
                feed_url=self.feed_url,
                fetched_at=raw.fetched_at,
                platform=self.platform,
            )
        record = normalize_dataset(
            raw,
            self.source,
            catalog_url=self.feed_url,
            platform=self.platform,
            series=self.series,
        )
        return mark_services(record)

    # -- probe --------------------------------------------------------------------------------

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None:
        """Recognize a portal (``/sharing/rest?f=json`` answers ``currentVersion``) or a Hub
        site (a DCAT-US feed whose datasets carry ArcGIS marks)."""
        return await probe_portal(client, portal_root(url)) or await probe_hub(
            client, hub_site(url)
        )
