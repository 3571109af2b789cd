"""Serving recorded Socrata responses from ../shared/fixtures/socrata to httpx.MockTransport."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.paths import fixture

DISCOVERY = "discovery_catalog_v1_multi-domain.json"
HOP_BY_HOP = frozenset({"transfer-encoding", "connection", "content-length", "content-encoding"})


def load(name: str) -> Any:
    """The parsed JSON of one Socrata fixture."""
    return json.loads(fixture("socrata", name).read_text(encoding="utf-8"))


def discovery_results() -> list[dict[str, Any]]:
    """The results of the recorded Discovery API page."""
    results: list[dict[str, Any]] = load(DISCOVERY)["results"]
    return results


@dataclass(frozen=True)
class RawHttp:
    """One recorded raw HTTP response: status line, headers, body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> httpx.Response:
        """As an httpx response (hop-by-hop framing headers dropped: the body is whole)."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in HOP_BY_HOP]
        return httpx.Response(self.status, headers=headers, content=self.body)


def raw_http(name: str) -> RawHttp:
    """Parse a ``*.http`` fixture (CRLF or LF line ends, headers, blank line, body)."""
    data = fixture("socrata", name).read_bytes()
    head, _, body = data.replace(b"\r\n", b"\n").partition(b"\n\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\n")
    _, status, reason = status_line.split(" ", 2)
    headers = [
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in header_lines if line.strip())
    ]
    return RawHttp(int(status), reason, headers, body)


def with_ids(results: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` copies of the recorded results cycled, with fresh 4x4 ids (``a000-0000``…)."""
    made: list[dict[str, Any]] = []
    for n in range(count):
        item = copy.deepcopy(results[n % len(results)])
        item["resource"]["id"] = f"a{n:03d}-{n:04d}"
        made.append(item)
    return made


@dataclass
class Catalog:
    """A Discovery API answering ``scroll_id`` (id order) or ``offset``/``limit`` paging.

    ``size`` overrides ``resultSetSize``; ``ignore_paging`` serves the first page again
    and again in its given order (a server ignoring ``scroll_id``/``offset``);
    ``order=updatedAt DESC`` is honoured unless ``ignore_order``; ``views`` serves
    ``/api/views/{id}.json``."""

    results: list[dict[str, Any]]
    size: int | None = None
    ignore_paging: bool = False
    ignore_order: bool = False
    views: dict[str, Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.startswith("/api/views/"):
            key = path.removeprefix("/api/views/").removesuffix(".json")
            if key in self.views:
                return httpx.Response(200, json=self.views[key])
            return httpx.Response(404, json=load("error_404_view_not_found.json"))
        if path != "/api/catalog/v1":
            return httpx.Response(404, json=load("error_404_dataset_missing_soda.json"))
        params = request.url.params
        limit = int(params.get("limit", 100))
        items = self.results
        if params.get("order") == "updatedAt DESC" and not self.ignore_order:
            items = sorted(items, key=lambda r: r["resource"]["updatedAt"], reverse=True)
        if self.ignore_paging:
            page = items[:limit]
        elif "scroll_id" in params:
            after = params["scroll_id"]
            ordered = sorted(items, key=lambda r: r["resource"]["id"])
            page = [r for r in ordered if r["resource"]["id"] > after][:limit]
        else:
            offset = int(params.get("offset", 0))
            page = items[offset : offset + limit]
        size = len(self.results) if self.size is None else self.size
        return httpx.Response(200, json={"results": page, "resultSetSize": size, "timings": {}})

    def catalog_requests(self) -> list[httpx.QueryParams]:
        return [r.url.params for r in self.requests if r.url.path == "/api/catalog/v1"]
