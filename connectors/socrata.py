"""Socrata connector: pages the Discovery API, maps assets with :mod:`connectors.socrata_mapping`.

Listing: ``GET https://{host}/api/catalog/v1?domains={domain}&search_context={domain}
&only=dataset,filter,map,file,href&limit={page_size}``. Paging:

* **full harvest** — ``scroll_id`` (default): the first page asks ``scroll_id=`` (blank),
  each next page passes the id of the last asset received; Socrata then answers in id
  order with no depth limit. Pages must come in strictly increasing id order: any other
  order (a server ignoring ``scroll_id``) stops paging without completing.
  ``paging = "offset"`` uses ``offset``/``limit`` instead, capped by the API at
  ``offset + limit <= 10000``.
* **incremental** (``since``) — the Discovery API has no modified-since filter, but it
  sorts: ``order=updatedAt DESC`` with offset paging, stopping at the first asset older
  than ``since`` (as long as the answers really are in that order; otherwise the whole
  listing is read and old assets are dropped here).

``stats.complete`` is True only when the enumeration reached ``resultSetSize`` (or, without
one, an empty or short page) — a scroll only at its end (a short or empty page), having
listed at least ``resultSetSize`` assets, since assets deleted while it runs would make the
count come early; an empty page before it, a repeated or unordered page, a
``resultSetSize`` changing under offset paging, the page or offset cap, or any error leave
it False, so nothing is withdrawn (DESIGN §5).

Resuming (:meth:`SocrataConnector.resume_from`): ``stats.cursor`` holds ``scroll_id`` and
``served`` (assets listed up to it) under scroll paging, ``offset`` under offset paging,
as of the last page whose assets were all yielded. A resumed scroll continues after that id
(ids do not shift); offset paging continues one page early.

Enrichment: with ``enrich_views``, each page's assets are completed from
``/api/views/{id}.json`` (``views_concurrency`` requests at a time); the view travels in the
raw payload under ``"view"`` so normalization replays without refetching. A view that
fails to load leaves its asset as the Discovery API described it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.model import DatasetRecord
from connectors.base import BaseConnector, FetchStats, ProbeResult, RawRecord, SourceSpec
from connectors.errors import RecordInvalid, RecordSkipped, SourceProtocolError, SourceUnavailable
from connectors.http import Fetched, get_bytes, get_json, json_body
from connectors.read_ahead import PageReader, depth_for, following_offsets, listed
from connectors.resume import one_page_early, positive_int
from connectors.socrata_api import (
    MAX_OFFSET_PLUS_LIMIT,
    asset_domain,
    asset_id,
    catalog_page,
    catalog_url,
    host_of,
    resource_of,
    socrata_error,
    view_url,
)
from connectors.socrata_mapping import DEFAULT_ONLY, normalize_asset
from connectors.socrata_views import merge, normalize_view
from connectors.values import as_datetime, when

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 10_000
INCREMENTAL_ORDER = "updatedAt DESC"

Position = tuple[str, int, int]
"""A listing page: ``(scroll_id, offset, number)`` (the scroll id is blank under offset
paging)."""


class SocrataOptions(BaseModel):
    """Per-source options for a Socrata site (``[sources.options]`` in sources.toml)."""

    model_config = ConfigDict(extra="forbid")

    domain: str | None = None
    """The Socrata domain to list (default: the source URL's host; set it when the URL is
    a shared API host such as ``api.us.socrata.com``)."""
    page_size: int = Field(default=100, ge=1, le=MAX_OFFSET_PLUS_LIMIT)
    only: list[str] = Field(default_factory=lambda: list(DEFAULT_ONLY), min_length=1)
    """Discovery asset types to list (``dataset``, ``filter``, ``map``, ``file``, ``href``…)."""
    paging: Literal["scroll", "offset"] = "scroll"
    official_only: bool = False
    """List only ``provenance=official`` assets (no community-made views)."""
    enrich_views: bool = False
    views_concurrency: int = Field(default=4, ge=1, le=16)
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, ge=1)

    @field_validator("domain")
    @classmethod
    def _bare_domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = value.strip().lower().removeprefix("https://").removeprefix("http://")
        return cleaned.strip("/") or None


@dataclass(frozen=True, slots=True)
class ListingPosition:
    """Where ``fetch()`` starts: after the asset id ``after`` (scroll paging, ``served``
    assets listed before it) or at ``offset`` (offset paging)."""

    after: str = ""
    served: int = 0
    offset: int = 0


def updated_at(result: dict[str, Any]) -> datetime | None:
    """``resource.updatedAt`` as an aware datetime."""
    found = when(resource_of(result).get("updatedAt"))
    return as_datetime(found) if isinstance(found, datetime) else None


class SocrataConnector(BaseConnector):
    """Harvests a Socrata site through its Discovery API (optionally its views API)."""

    platform: ClassVar[str] = "socrata"
    portable_mapping = True
    Options: ClassVar[type[BaseModel]] = SocrataOptions
    options: SocrataOptions

    def __init__(
        self, source: SourceSpec, client: httpx.AsyncClient, *, max_pages: int | None = None
    ) -> None:
        super().__init__(source, client)
        self.api_url = catalog_url(source.url)
        self.domain = self.options.domain or host_of(source.url)
        self.max_pages = max_pages or self.options.max_pages
        self.resume_at = ListingPosition()

    def resume_from(self, cursor: dict[str, Any]) -> bool:
        """Make the next ``fetch()`` continue an interrupted run: after the saved
        ``scroll_id`` (id order: nothing shifts), or one page before the saved ``offset``
        (assets removed meanwhile shift the offsets; the overlap is upserted again). False
        for a cursor without a position or of the other paging."""
        after, served = cursor.get("scroll_id"), positive_int(cursor, "served")
        if isinstance(after, str) and after and served is not None:
            if self.options.paging != "scroll":
                return False
            self.resume_at = ListingPosition(after=after, served=served)
            return True
        offset = positive_int(cursor, "offset")
        if offset is None or "api" in cursor:  # "api": an OpenDataSoft cursor
            return False
        self.resume_at = ListingPosition(offset=one_page_early(offset, self.options.page_size))
        return True

    def params(self, *, since: datetime | None, cursor: str, offset: int) -> dict[str, Any]:
        """The query of one Discovery API page."""
        params: dict[str, Any] = {
            "domains": self.domain,
            "search_context": self.domain,
            "only": ",".join(self.options.only),
            "limit": self.options.page_size,
        }
        if self.options.official_only:
            params["provenance"] = "official"
        if since is not None:
            params["order"] = INCREMENTAL_ORDER
        if since is None and self.options.paging == "scroll":
            params["scroll_id"] = cursor
        else:
            params["offset"] = offset
            params["limit"] = min(self.options.page_size, MAX_OFFSET_PLUS_LIMIT - offset)
        return params

    async def _request(self, since: datetime | None, key: Position) -> Fetched:
        cursor, offset, number = key
        return await get_bytes(
            self.client,
            self.api_url,
            params=self.params(since=since, cursor=cursor, offset=offset),
            accept="application/json",
            what=f"page {number}",
            describe_error=socrata_error,
            on_body=self._count_bytes,
        )

    def _page(self, fetched: Fetched, number: int) -> tuple[list[dict[str, Any]], int | None]:
        what = f"page {number}"
        return catalog_page(json_body(fetched, self.api_url, what), url=self.api_url, what=what)

    def _following(
        self,
        key: Position,
        results: list[Any],
        size: int | None,
        first_size: int | None,
        *,
        scroll: bool,
    ) -> list[Position]:
        """The pages that come after this one (``key`` names the next), as far as known:
        under scroll paging the next one, when this page was full; under offset paging the
        following offsets up to ``resultSetSize`` and the API's cap (without a size, the
        next one when this page was full)."""
        _, offset, number = key
        full = len(results) >= self.options.page_size
        if scroll:
            return [key] if full and number <= self.max_pages else []
        if size != first_size or (size is None and not full):
            return []
        found = following_offsets(
            offset, size, self.options.page_size, number, self.max_pages, cap=MAX_OFFSET_PLUS_LIMIT
        )
        return [("", at, n) for at, n in found]

    async def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]:
        """Yield every listed asset (changed since ``since`` when given)."""
        self.stats = FetchStats()
        scroll = since is None and self.options.paging == "scroll"
        since = as_datetime(since) if since is not None else None
        # the next page (scroll) or the following ones (offset) requested ahead when slow;
        # one only for an incremental run, which stops at the first older asset: pages read
        # ahead past it would be requested for nothing
        depth = 1 if scroll or since is not None else depth_for(self.options.page_size)
        reader: PageReader[Position, Fetched] = PageReader(
            lambda key: self._request(since, key), depth=depth
        )
        async for record in listed(reader, self._listing(reader, since, scroll), self.stats):
            yield record

    async def _listing(
        self, reader: PageReader[Position, Fetched], since: datetime | None, scroll: bool
    ) -> AsyncGenerator[RawRecord, None]:
        start = self.resume_at
        cursor, offset = (start.after, 0) if scroll else ("", start.offset)
        served = start.served if scroll else start.offset  # listed before this run's pages
        if cursor or offset:
            self.stats.cursor["resumed_at"] = cursor or offset
        first_size: int | None = None
        previous: list[str | None] | None = None
        seen: set[str] = set()
        ordered, last_update = True, None  # incremental: answers sorted by updatedAt desc?
        while True:
            if self.stats.pages >= self.max_pages:
                self._stop("page cap", pages=self.stats.pages)
                return
            if not scroll and offset >= MAX_OFFSET_PLUS_LIMIT:
                self._stop("offset cap", offset=offset)
                return
            number = self.stats.pages + 1
            results, size = self._page(await reader.page((cursor, offset, number)), number)
            self.stats.pages += 1
            if self.stats.pages == 1:
                first_size = self.stats.expected = size
            ids = [asset_id(r) for r in results]
            if not results:
                if size is not None and served + len(seen) < size:
                    self._stop("short listing", served=served + len(seen), size=size)
                    return
                break
            if scroll and not _increasing(cursor, ids):
                self._stop("unordered scroll page", after=cursor, first=ids[0])
                return
            if not scroll and ids == previous:
                self._stop("repeated page", offset=offset)
                return
            previous = ids
            reached_older = False
            batch: list[dict[str, Any]] = []
            for result, key in zip(results, ids, strict=True):
                if key is None or key in seen:
                    continue
                seen.add(key)
                if since is not None:
                    changed = updated_at(result)
                    if changed is not None and last_update is not None and changed > last_update:
                        ordered = False
                    last_update = changed or last_update
                    if changed is not None and changed < since:
                        reached_older = reached_older or ordered
                        continue
                batch.append(result)
            if scroll:
                cursor = ids[-1] or cursor
            else:
                offset += len(results)
            older_next = reached_older and ordered  # incremental: the rest is older
            if not older_next:
                following = (cursor, offset, self.stats.pages + 1)
                reader.ahead(*self._following(following, results, size, first_size, scroll=scroll))
            async for raw in self._records(batch):
                yield raw
            self.stats.cursor.update(
                {"scroll_id": cursor, "served": served + len(seen)}
                if scroll
                else {"offset": offset}
            )
            if older_next:
                break
            if scroll:
                if len(results) < self.options.page_size:  # the scroll ran dry
                    if size is not None and served + len(seen) < size:
                        self._stop("short listing", served=served + len(seen), size=size)
                        return
                    break
                continue
            if size != first_size:
                self._stop("resultSetSize changed", first=first_size, now=size)
                return
            if size is not None and (served + len(seen) >= size or offset >= size):
                break
            if size is None and len(results) < self.options.page_size:
                break
        self.stats.complete = True

    async def _records(self, results: list[dict[str, Any]]) -> AsyncIterator[RawRecord]:
        views = await self._views(results) if self.options.enrich_views else {}
        fetched_at = datetime.now(UTC)
        for result in results:
            key = asset_id(result) or ""
            view = views.get(key)
            payload = {**result, "view": view} if view is not None else result
            yield RawRecord(remote_id=key, payload=payload, fetched_at=fetched_at)

    async def _views(self, results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The views API metadata of ``results``, a bounded number of requests at a time."""
        limit = asyncio.Semaphore(self.options.views_concurrency)

        async def one(result: dict[str, Any]) -> tuple[str, Any]:
            key = asset_id(result) or ""
            address = view_url(asset_domain(result) or self.domain, key)
            async with limit:
                try:
                    return key, await get_json(
                        self.client,
                        address,
                        what=f"view {key}",
                        describe_error=socrata_error,
                        on_body=self._count_bytes,
                    )
                except (SourceProtocolError, SourceUnavailable) as error:
                    failed = self.stats.cursor.get("views_failed", 0) + 1
                    self.stats.cursor["views_failed"] = failed
                    log.warning("socrata %s: %s", self.source.id, error.message)
                    return key, None

        found = await asyncio.gather(*(one(r) for r in results))
        return {
            key: view for key, view in found if isinstance(view, dict) and view.get("id") == key
        }

    def normalize(self, raw: RawRecord) -> DatasetRecord:
        """Map one fetched asset (Discovery result, optionally with its view; or a bare
        views API answer) to the canonical record."""
        payload = raw.payload
        if not isinstance(payload, dict):
            raise RecordInvalid(f"record {raw.remote_id} is not a Socrata asset object")
        if "resource" not in payload:
            if "id" in payload and ("viewType" in payload or "displayType" in payload):
                return normalize_view(
                    payload, self.source, domain=self.domain, fetched_at=raw.fetched_at
                )
            raise RecordInvalid(f"record {raw.remote_id} is neither a Discovery result nor a view")
        record = normalize_asset(
            payload, self.source, fetched_at=raw.fetched_at, domain=self.domain
        )
        view = payload.get("view")
        if not isinstance(view, dict):
            return record
        domain = asset_domain(payload) or self.domain
        try:
            extra = normalize_view(view, self.source, domain=domain, fetched_at=raw.fetched_at)
        except (RecordInvalid, RecordSkipped) as error:
            log.info("socrata %s: view of %s ignored: %s", self.source.id, raw.remote_id, error)
            return record
        return merge(record, extra)

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None:
        """Recognize a Socrata site: its Discovery API answers ``resultSetSize``."""
        host = host_of(url)
        if not host:
            return None
        api_url = catalog_url(url)
        params = {
            "domains": host,
            "search_context": host,
            "only": ",".join(DEFAULT_ONLY),
            "limit": 0,
        }
        try:
            body = await get_json(
                client,
                api_url,
                params=params,
                attempts=1,
                max_bytes=4 * 1024 * 1024,
                what="Discovery API",
                describe_error=socrata_error,
            )
        except (SourceProtocolError, SourceUnavailable):
            return None
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            return None
        size = body.get("resultSetSize")
        if not isinstance(size, int) or isinstance(size, bool):
            return None
        return ProbeResult(
            platform=cls.platform, api_url=api_url, dataset_count=size, notes=[f"domain {host}"]
        )


def _increasing(after: str, ids: list[str | None]) -> bool:
    """Whether ``ids`` come in strictly increasing order, all after ``after``."""
    present = [i for i in ids if i is not None]
    return all(b > a for a, b in zip([after, *present], present, strict=False))
