"""CKAN connector: pages ``package_search``, maps packages with :mod:`connectors.ckan_mapping`.

Paging is offset based (``start``/``rows``) on a stable sort: ``id asc`` for a full harvest
(edits during the run do not reorder), ``metadata_modified asc, id asc`` for an incremental
one. The enumeration is *complete* only when it reaches ``count`` (or, when the portal gives no
count, an empty or short page); an empty page before ``count``, a repeated page, the page
cap, a count that changed underneath us or any error leave ``stats.complete`` False, so
nothing is withdrawn (DESIGN §5). ``stats.cursor["start"]`` is saved with every batch;
:meth:`CkanConnector.resume_from` continues an interrupted run from it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from catalog.model import DatasetRecord
from connectors.base import BaseConnector, FetchStats, ProbeResult, RawRecord, SourceSpec
from connectors.ckan_api import api_url_for, ckan_error, remote_id, search_page, unwrap
from connectors.ckan_mapping import normalize_package
from connectors.errors import RecordInvalid, SourceProtocolError, SourceUnavailable
from connectors.http import Fetched, get_bytes, get_json, json_body
from connectors.read_ahead import PageReader, depth_for, following_offsets, listed
from connectors.resume import one_page_early, positive_int

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 10_000
FULL_SORT = "id asc"
INCREMENTAL_SORT = "metadata_modified asc,id asc"


class CkanOptions(BaseModel):
    """Per-source options for a CKAN portal (``[sources.options]`` in sources.toml)."""

    model_config = ConfigDict(extra="forbid")

    organization: str | None = None
    """Harvest only this CKAN organization (its name)."""
    fq: str | None = None
    """An extra Solr filter query, e.g. ``res_format:CSV``."""
    rows: int = Field(default=100, ge=1, le=1000)
    api_path: str | None = None
    """Action API path under the site root when not ``/api/3/action``."""
    include_private: bool = False
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, ge=1)


def solr_quote(value: str) -> str:
    """``value`` as a quoted Solr term."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def solr_datetime(value: datetime) -> str:
    """``value`` in UTC as Solr wants it (``2024-01-31T12:00:00Z``); naive means UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_fq(*, organization: str | None, fq: str | None, since: datetime | None) -> str | None:
    """The ``fq`` combining the organization, the configured filter and ``since``."""
    parts: list[str] = []
    if organization:
        parts.append(f"organization:{solr_quote(organization)}")
    if fq and fq.strip():
        parts.append(f"({fq.strip()})")
    if since is not None:
        parts.append(f"metadata_modified:[{solr_datetime(since)} TO *]")
    return " AND ".join(parts) or None


class CkanConnector(BaseConnector):
    """Harvests a CKAN (or CKAN-compatible: DKAN, facades) Action API."""

    platform: ClassVar[str] = "ckan"
    portable_mapping = True
    Options: ClassVar[type[BaseModel]] = CkanOptions
    options: CkanOptions

    def __init__(
        self, source: SourceSpec, client: httpx.AsyncClient, *, max_pages: int | None = None
    ) -> None:
        super().__init__(source, client)
        self.api_url = api_url_for(source.url, self.options.api_path)
        self.max_pages = max_pages or self.options.max_pages
        self.first_start = 0

    def resume_from(self, cursor: dict[str, Any]) -> bool:
        """Make the next ``fetch()`` continue where an interrupted run's cursor stopped, one
        page early: packages deleted meanwhile shift the offsets, and the overlap is upserted
        again, never duplicated. False when the cursor holds no position."""
        start = positive_int(cursor, "start")
        if start is None:
            return False
        self.first_start = one_page_early(start, self.options.rows)
        return True

    def _params(self, since: datetime | None, start: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "q": "*:*",
            "rows": self.options.rows,
            "start": start,
            "sort": INCREMENTAL_SORT if since else FULL_SORT,
        }
        fq = build_fq(organization=self.options.organization, fq=self.options.fq, since=since)
        if fq:
            params["fq"] = fq
        if self.options.include_private:
            params["include_private"] = "true"
        return params

    @property
    def _search_url(self) -> str:
        return f"{self.api_url}/package_search"

    async def _request(self, since: datetime | None, start: int, number: int) -> Fetched:
        return await get_bytes(
            self.client,
            self._search_url,
            params=self._params(since, start),
            accept="application/json",
            what=f"page {number}",
            describe_error=ckan_error,
            on_body=self._count_bytes,
        )

    def _page(self, fetched: Fetched, number: int) -> tuple[list[Any], int | None]:
        url = self._search_url
        body = json_body(fetched, url, f"page {number}")
        return search_page(unwrap(body, action="package_search", url=url), url=url)

    def _following(
        self, start: int, count: int | None, first_count: int | None, packages: list[Any]
    ) -> list[tuple[int, int]]:
        """The pages (start, number) that come after this one, as far as the count tells
        (without one, the next page when this one was full)."""
        rows = self.options.rows
        if count != first_count or (count is None and len(packages) < rows):
            return []
        return following_offsets(start, count, rows, self.stats.pages + 1, self.max_pages)

    async def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]:
        """Yield every package of the portal (modified since ``since`` when given)."""
        self.stats = FetchStats()
        start = self.first_start
        if start:
            self.stats.cursor["resumed_at"] = start
        # pages by (start, number), the next one requested ahead when the portal is slow
        reader: PageReader[tuple[int, int], Fetched] = PageReader(
            lambda key: self._request(since, *key), depth=depth_for(self.options.rows)
        )
        async for record in listed(reader, self._listing(reader, start), self.stats):
            yield record

    async def _listing(
        self, reader: PageReader[tuple[int, int], Fetched], start: int
    ) -> AsyncGenerator[RawRecord, None]:
        rows = self.options.rows
        previous: list[str] | None = None
        first_count: int | None = None
        seen = self.seen if self.seen is not None else set()
        while True:
            if self.stats.pages >= self.max_pages:
                self._stop("page cap", pages=self.stats.pages, start=start)
                return
            number = self.stats.pages + 1
            packages, count = self._page(await reader.page((start, number)), number)
            self.stats.pages += 1
            if self.stats.pages == 1:
                first_count = count
                self.stats.expected = count
            ids = [remote_id(p) or "" for p in packages]
            if not packages:
                if count != first_count:
                    self._stop("count changed", first=first_count, now=count)
                    return
                if count is not None and start < count:
                    self._stop("short listing", served=start, count=count)
                    return
                break
            if ids == previous:
                self._stop("repeated page", start=start)
                return
            previous = ids
            reader.ahead(*self._following(start + len(packages), count, first_count, packages))
            fetched_at = datetime.now(UTC)
            for package, key in zip(packages, ids, strict=True):
                if not key:
                    log.warning("ckan %s: package without id or name skipped", self.source.id)
                    continue
                if key in seen:
                    continue
                seen.add(key)
                yield RawRecord(remote_id=key, payload=package, fetched_at=fetched_at)
            start += len(packages)
            self.stats.cursor["start"] = start
            if count is not None:
                if count != first_count:
                    self._stop("count changed", first=first_count, now=count)
                    return
                if start >= count:
                    break
            elif len(packages) < rows:
                break
        self.stats.complete = True

    def normalize(self, raw: RawRecord) -> DatasetRecord:
        """Map one fetched package to the canonical record."""
        if not isinstance(raw.payload, dict):
            raise RecordInvalid(f"record {raw.remote_id} is not a CKAN package object")
        return normalize_package(
            raw.payload,
            self.source,
            api_url=self.api_url,
            fetched_at=raw.fetched_at,
            include_private=self.options.include_private,
        )

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None:
        """Recognize a CKAN Action API behind ``url`` (site root or API URL)."""
        base = url.strip().rstrip("/")
        candidates = [api_url_for(base)]
        if not base.endswith(("/api/3/action", "/api/action", "/api/3", "/api")):
            candidates.append(base + "/api/action")
        for api_url in candidates:
            status = await _try_json(client, f"{api_url}/status_show", "status_show")
            if not isinstance(status, dict) or "ckan_version" not in status:
                continue
            title = status.get("site_title")
            count = await _dataset_count(client, api_url)
            version = status.get("ckan_version")
            return ProbeResult(
                platform=cls.platform,
                api_url=api_url,
                title=title if isinstance(title, str) and title else None,
                dataset_count=count,
                notes=[f"CKAN {version}"] if version else [],
            )
        return None


async def _try_json(client: httpx.AsyncClient, url: str, action: str) -> Any:
    """The ``result`` at ``url``, or None when it is not a CKAN answer (SSRF refusals
    propagate)."""
    try:
        body = await get_json(client, url, attempts=1, max_bytes=4 * 1024 * 1024, what=action)
        if not isinstance(body, dict) or "success" not in body:
            return None
        return unwrap(body, action=action, url=url)
    except (SourceProtocolError, SourceUnavailable):
        return None


async def _dataset_count(client: httpx.AsyncClient, api_url: str) -> int | None:
    result = await _try_json(client, f"{api_url}/package_search?rows=0", "package_search")
    count = result.get("count") if isinstance(result, dict) else None
    return count if isinstance(count, int) else None
