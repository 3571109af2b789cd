"""Serving recorded CKAN responses from ../shared/fixtures/ckan to httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.paths import fixture


def load(name: str) -> Any:
    """The parsed JSON of one CKAN fixture."""
    return json.loads(fixture("ckan", name).read_text(encoding="utf-8"))


def load_lines(name: str) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-lines fixture."""
    for line in fixture("ckan", name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def result_of(name: str) -> Any:
    """The ``result`` of an enveloped fixture, or the whole document when bare."""
    data = load(name)
    return data["result"] if isinstance(data, dict) and "result" in data else data


RECORDED_SEARCHES = (
    "ridl-unhcr_package_search_start0_rows5.json",
    "ridl-unhcr_package_search_fq_visibility_rows10.json",
    "dadosgovbr_package_search_q_all.json",
    "dadosgovbr_package_search_start3.json",
)
"""``package_search`` answers of two portals whose packages tests page through."""


def search_results(*names: str) -> list[dict[str, Any]]:
    """The packages of several ``package_search`` fixtures, without duplicate ids."""
    packages: dict[str, dict[str, Any]] = {}
    for name in names:
        for package in result_of(name)["results"]:
            packages.setdefault(package["id"], package)
    return list(packages.values())


@dataclass
class PagedSearch:
    """A ``package_search`` endpoint serving ``packages`` by ``start``/``rows``.

    ``ignore_start`` replays the first page forever (a facade that ignores ``start``);
    ``fail_on_page`` answers that page with CKAN's ``success: false``; ``count`` overrides
    the advertised total."""

    packages: list[dict[str, Any]]
    count: int | None = None
    ignore_start: bool = False
    fail_on_page: int | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not request.url.path.endswith("/package_search"):
            return httpx.Response(404, json={"success": False, "error": {"message": "Not found"}})
        start = 0 if self.ignore_start else int(request.url.params.get("start", 0))
        rows = int(request.url.params.get("rows", 10))
        if self.fail_on_page is not None and len(self.requests) == self.fail_on_page:
            return httpx.Response(
                409,
                json={
                    "help": "https://portal.example.org/api/3/action/help_show?name=package_search",
                    "success": False,
                    "error": {"message": "Search error: bad sort", "__type": "Search Query Error"},
                },
            )
        count = len(self.packages) if self.count is None else self.count
        body = {
            "help": "https://portal.example.org/api/3/action/help_show?name=package_search",
            "success": True,
            "result": {"count": count, "results": self.packages[start : start + rows]},
        }
        return httpx.Response(200, json=body)

    def params(self, index: int) -> httpx.QueryParams:
        return self.requests[index].url.params


def mixed_packages() -> list[dict[str, Any]]:
    """Real packages: Brazilian, UNHCR and data.gov searches plus bilingual open.canada ones."""
    packages = search_results(
        "ridl-unhcr_package_search_start0_rows5.json",
        "datagov_catalog-dev_package_search.json",
        "dadosgovbr_package_search_rows2.json",
    )
    return packages + list(load_lines("open-canada_packages_fluent.jsonl"))


def recorded_exchange(name: str) -> tuple[httpx.MockTransport, list[dict[str, Any]]]:
    """A transport replaying a recorded exchange (udata snapshot format), matched on path and
    ``id``; returns it with the recorded interactions."""
    history: list[dict[str, Any]] = load(name)["requests_history"]
    by_key: dict[tuple[str, str | None], dict[str, Any]] = {}
    for item in history:
        url = httpx.URL(item["request"]["url"])
        by_key[(url.path, url.params.get("id"))] = item["response"]

    def handler(request: httpx.Request) -> httpx.Response:
        response = by_key.get((request.url.path, request.url.params.get("id")))
        if response is None:
            return httpx.Response(404, json={"success": False, "error": {"message": "unrecorded"}})
        headers = {
            k: v
            for k, v in response["headers"].items()
            if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")
        }
        body = response["body"]
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return httpx.Response(response["status_code"], headers=headers, content=content)

    return httpx.MockTransport(handler), history
