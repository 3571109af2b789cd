"""OpenDataSoft connector: pages the Explore API v2.1 catalogue (or API v1 search).

v2.1 pages ``catalog/datasets`` with ``limit``/``offset`` ordered by ``dataset_id`` (stable
while the run pages); "modified since" is the ODSQL filter ``default.modified>=date'…'``.
The API refuses ``offset + limit`` past 10 000: when ``total_count`` is larger the connector
switches, before yielding anything, to the streamed ``catalog/exports/json`` export with
the same filters (:mod:`connectors.opendatasoft_stream`). v1 pages
``/api/datasets/1.0/search/`` with ``start``/``rows`` and stops, incomplete, at the same
10 000 limit (v1 has no export fallback here). With ``use_dcat_export`` the portal's DCAT
RDF export is harvested instead (:mod:`connectors.opendatasoft_dcat`).

The enumeration is *complete* only when it reaches ``total_count``/``nhits`` (or, without a
count, an empty or short page), or when the export ends cleanly with as many datasets as
announced; an empty page before the count, a repeated page, the page cap, a count that
changed or any error leave ``stats.complete`` False (DESIGN §5).

Resuming (:meth:`OpenDataSoftConnector.resume_from`): the paged listings save ``offset``
(and ``api``) as of the last page whose datasets were all yielded; a resumed run of the
same API version continues one page early (offsets shift when datasets are removed). The
exports (``catalog/exports/json``, ``use_dcat_export``) are one document each and cannot be
resumed: such a run starts again from the beginning.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog.model import DatasetRecord
from connectors.base import BaseConnector, FetchStats, ProbeResult, RawRecord, SourceSpec
from connectors.errors import RecordInvalid, SourceProtocolError, SourceUnavailable
from connectors.http import Fetched, get_bytes, get_json, json_body
from connectors.http_stream import read_until_whole
from connectors.opendatasoft_api import (
    MAX_LIMIT_V21,
    MAX_ROWS_V1,
    OFFSET_LIMIT,
    V21,
    build_where,
    catalog_export_url,
    catalog_url,
    dataset_id,
    ods_error,
    refine_params,
    site_url,
    v1_page,
    v1_search_url,
    v1_since_query,
    v21_page,
)
from connectors.opendatasoft_dcat import export_records, is_dcat_payload, normalize_export_record
from connectors.opendatasoft_mapping import normalize_dataset
from connectors.opendatasoft_stream import stream_json_array
from connectors.read_ahead import PageReader, depth_for, following_offsets, listed
from connectors.resume import one_page_early, positive_int

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 10_000
ORDER_BY = "dataset_id"
V1_SORT = "-modified"
"""v1 sorts descending by default; ``-`` asks for ascending modification date."""

Page = tuple[list[dict[str, Any]], int | None]
Params = list[tuple[str, str | int | float | bool | None]]


class OpenDataSoftOptions(BaseModel):
    """Per-source options for an OpenDataSoft portal (``[sources.options]``)."""

    model_config = ConfigDict(extra="forbid")

    api_version: Literal["v2.1", "v1"] = "v2.1"
    page_size: int = Field(default=100, ge=1, le=MAX_ROWS_V1)
    """Datasets per page: at most 100 on v2.1, 1 000 on v1."""
    where: str | None = None
    """An ODSQL filter (v2.1), or a v1 ``q`` query, e.g. ``publisher="Ville de Gap"``."""
    refine: dict[str, str] = Field(default_factory=dict)
    """Facet refinements, e.g. ``{"publisher": "CCAS Guérande"}``."""
    use_dcat_export: bool = False
    """Harvest the portal's ``catalog/exports/dcat`` RDF instead of the JSON catalogue."""
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, ge=1)

    @model_validator(mode="after")
    def _page_size_fits_version(self) -> OpenDataSoftOptions:
        if self.api_version == "v2.1" and self.page_size > MAX_LIMIT_V21:
            raise ValueError(f"page_size is at most {MAX_LIMIT_V21} with api_version v2.1")
        if self.use_dcat_export and self.api_version == "v1":
            raise ValueError("use_dcat_export needs api_version v2.1")
        return self


class OpenDataSoftConnector(BaseConnector):
    """Harvests an OpenDataSoft portal through its Explore API v2.1 (or API v1)."""

    platform: ClassVar[str] = "opendatasoft"
    portable_mapping = True
    Options: ClassVar[type[BaseModel]] = OpenDataSoftOptions
    options: OpenDataSoftOptions

    def __init__(
        self, source: SourceSpec, client: httpx.AsyncClient, *, max_pages: int | None = None
    ) -> None:
        super().__init__(source, client)
        self.site = site_url(source.url)
        self.max_pages = max_pages or self.options.max_pages
        self.first_offset = 0

    def resume_from(self, cursor: dict[str, Any]) -> bool:
        """Make the next ``fetch()`` continue a paged listing one page before the saved
        ``offset``. False for an export, another API version's cursor or no position."""
        offset = positive_int(cursor, "offset")
        if (
            offset is None
            or self.options.use_dcat_export
            or cursor.get("api") != self.options.api_version
            or "mode" in cursor
        ):
            return False
        self.first_offset = one_page_early(offset, self.options.page_size)
        return True

    def _v21_params(self, since: datetime | None, *, ordered: bool = True) -> Params:
        params: Params = [("order_by", ORDER_BY)] if ordered else []
        where = build_where(self.options.where, since)
        if where:
            params.append(("where", where))
        params.extend(refine_params(self.options.refine, v1=False))
        return params

    def _v1_params(self, since: datetime | None) -> Params:
        params: Params = [("sort", V1_SORT), ("interopmetas", "true")]
        queries = [q for q in (self.options.where, since and v1_since_query(since)) if q]
        if queries:
            params.append(("q", " AND ".join(f"({q})" for q in queries)))
        params.extend(refine_params(self.options.refine, v1=True))
        return params

    @property
    def _listing_url(self) -> str:
        v1 = self.options.api_version == "v1"
        return v1_search_url(self.site) if v1 else catalog_url(self.site)

    def _page_size(self, offset: int) -> int:
        """The size of the page at ``offset`` (short before the offset limit)."""
        return min(self.options.page_size, OFFSET_LIMIT - offset)

    async def _request(self, since: datetime | None, offset: int, number: int) -> Fetched:
        size = self._page_size(offset)
        if self.options.api_version == "v1":
            params = [*self._v1_params(since), ("rows", size), ("start", offset)]
        else:
            params = [*self._v21_params(since), ("limit", size), ("offset", offset)]
        return await get_bytes(
            self.client,
            self._listing_url,
            params=httpx.QueryParams(params),
            accept="application/json",
            what=f"page {number}",
            describe_error=ods_error,
            on_body=self._count_bytes,
        )

    def _page(self, fetched: Fetched, number: int) -> Page:
        url = self._listing_url
        read = v1_page if self.options.api_version == "v1" else v21_page
        return read(json_body(fetched, url, f"page {number}"), url=url)

    def _following(
        self, offset: int, datasets: list[Any], count: int | None, first_count: int | None
    ) -> list[tuple[int, int]]:
        """The pages (offset, number) that come after this one (at ``offset``), as far as
        the count and the offset limit go (without a count, the next page when this one was
        full)."""
        if count != first_count or (count is None and len(datasets) < self._page_size(offset)):
            return []
        return following_offsets(
            offset + len(datasets),
            count,
            self.options.page_size,
            self.stats.pages + 1,
            self.max_pages,
            cap=OFFSET_LIMIT,
        )

    async def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]:
        """Yield every dataset of the portal (modified since ``since`` when given)."""
        self.stats = FetchStats()
        self.stats.cursor["api"] = self.options.api_version
        if self.options.use_dcat_export:
            params = self._v21_params(since, ordered=False)
            async for raw in export_records(self.client, self.site, params, self.stats):
                yield raw
            return
        # pages by (offset, number), the following ones requested ahead when the portal is slow
        reader: PageReader[tuple[int, int], Fetched] = PageReader(
            lambda key: self._request(since, *key), depth=depth_for(self.options.page_size)
        )
        async for record in listed(reader, self._listing(reader, since), self.stats):
            yield record

    async def _listing(
        self, reader: PageReader[tuple[int, int], Fetched], since: datetime | None
    ) -> AsyncGenerator[RawRecord, None]:
        v1 = self.options.api_version == "v1"
        offset = self.first_offset
        if offset:
            self.stats.cursor["resumed_at"] = offset
        previous: list[str] | None = None
        first_count: int | None = None
        seen: set[str] = set()
        while True:
            if self.stats.pages >= self.max_pages:
                self._stop("page cap", pages=self.stats.pages, offset=offset)
                return
            size = self._page_size(offset)
            if size <= 0:
                self._stop("offset limit", offset=offset, count=first_count)
                return
            number = self.stats.pages + 1
            datasets, count = self._page(await reader.page((offset, number)), number)
            self.stats.pages += 1
            if self.stats.pages == 1:
                first_count = self.stats.expected = count
                if not v1 and count is not None and count > OFFSET_LIMIT:
                    async for raw in self._fetch_export(since, count):
                        yield raw
                    return
            ids = [dataset_id(d) or "" for d in datasets]
            if not datasets:
                if count != first_count:
                    self._stop("count changed", first=first_count, now=count)
                elif count is not None and offset < count:
                    self._stop("short listing", served=offset, count=count)
                else:
                    break
                return
            if ids == previous:
                self._stop("repeated page", offset=offset)
                return
            previous = ids
            reader.ahead(*self._following(offset, datasets, count, first_count))
            fetched_at = datetime.now(UTC)
            for dataset, key in zip(datasets, ids, strict=True):
                if key and key not in seen:
                    seen.add(key)
                    yield RawRecord(remote_id=key, payload=dataset, fetched_at=fetched_at)
                elif not key:
                    log.warning("opendatasoft %s: dataset without id skipped", self.source.id)
            offset += len(datasets)
            self.stats.cursor["offset"] = offset
            if count is not None:
                if count != first_count:
                    self._stop("count changed", first=first_count, now=count)
                    return
                if offset >= count:
                    break
            elif len(datasets) < size:
                break
        self.stats.complete = True

    async def _fetch_export(
        self, since: datetime | None, expected: int
    ) -> AsyncIterator[RawRecord]:
        """Stream ``catalog/exports/json`` (more than 10 000 datasets); one that breaks off
        midway is streamed again, the datasets already yielded skipped."""
        url = catalog_export_url(self.site, "json")
        self.stats.cursor["mode"] = "exports/json"
        seen: set[str] = set()

        async def stream() -> AsyncIterator[RawRecord]:
            self.stats.pages += 1
            async for item in stream_json_array(
                self.client, url, params=self._v21_params(since), on_bytes=self._count_bytes
            ):
                key = dataset_id(item)
                if key and key not in seen and isinstance(item, dict):
                    seen.add(key)
                    yield RawRecord(remote_id=key, payload=item, fetched_at=datetime.now(UTC))

        async for raw in read_until_whole(stream, on_cut=self._read_again):
            yield raw
        self.stats.cursor["exported"] = len(seen)
        if len(seen) != expected:
            self._stop("count changed", first=expected, now=len(seen))
            return
        self.stats.complete = True

    def normalize(self, raw: RawRecord) -> DatasetRecord:
        """Map one fetched dataset object to the canonical record."""
        if is_dcat_payload(raw.payload):
            return normalize_export_record(raw, self.source, self.site)
        if not isinstance(raw.payload, dict):
            raise RecordInvalid(f"record {raw.remote_id} is not an OpenDataSoft dataset object")
        return normalize_dataset(
            raw.payload, self.source, site=self.site, fetched_at=raw.fetched_at
        )

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None:
        """Recognize an OpenDataSoft portal: Explore API v2.1, else API v1 search."""
        site = site_url(url)
        body = await _try_json(client, catalog_url(site), [("limit", 0)])
        if isinstance(body, dict) and _count(body, "total_count", "results") is not None:
            return ProbeResult(
                platform=cls.platform,
                api_url=f"{site}{V21}",
                dataset_count=_count(body, "total_count", "results"),
                notes=["Explore API v2.1"],
            )
        body = await _try_json(client, v1_search_url(site), [("rows", 0)])
        if isinstance(body, dict) and _count(body, "nhits", "datasets") is not None:
            return ProbeResult(
                platform=cls.platform,
                api_url=f"{site}/api/datasets/1.0",
                dataset_count=_count(body, "nhits", "datasets"),
                notes=['API v1 only: set api_version = "v1"'],
            )
        return None


def _count(body: dict[str, Any], count_key: str, items_key: str) -> int | None:
    count = body.get(count_key)
    if (
        isinstance(count, int)
        and not isinstance(count, bool)
        and isinstance(body.get(items_key), list)
    ):
        return count
    return None


async def _try_json(client: httpx.AsyncClient, url: str, params: Params) -> Any:
    """The JSON at ``url``, or None when it does not answer JSON (SSRF refusals propagate)."""
    try:
        return await get_json(
            client,
            url,
            params=httpx.QueryParams(params),
            attempts=1,
            max_bytes=4 * 1024 * 1024,
            what="probe",
        )
    except (SourceProtocolError, SourceUnavailable):
        return None
