"""Reading OpenDataSoft API answers: URLs, ODSQL filters, page shapes (no I/O here).

Two generations of the catalogue API are met in the wild:

* Explore API v2.1 — ``GET /api/explore/v2.1/catalog/datasets?limit=&offset=&where=&order_by=``
  answers ``{"total_count": n, "results": [dataset, …]}`` (``limit`` ≤ 100, ``offset + limit``
  ≤ 10 000; the ``catalog/exports/{format}`` endpoints have no such limit). A dataset is
  ``{dataset_id, dataset_uid, has_records, data_visible, features, fields, attachments,
  alternative_exports, metas: {default: {…}, dcat: {…}, inspire: {…}, …}}``. Errors are
  ``{"error_code": "…", "message": "…"}``. (v2.0 wrapped each item as ``{"dataset": {…}}``:
  unwrapped here too.)
* API v1 — ``GET /api/datasets/1.0/search/?rows=&start=`` answers ``{"nhits": n, "datasets":
  [{datasetid, metas: {…flat default metadata…}, interop_metas: {dcat, inspire}, …}]}``
  (``rows`` ≤ 1 000). Errors are ``{"error": "…"}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson

from connectors.errors import SourceProtocolError

V21 = "/api/explore/v2.1"
V1_SEARCH = "/api/datasets/1.0/search/"
OFFSET_LIMIT = 10_000
"""``offset + limit`` may not exceed this on v2.1 ``catalog/datasets`` (and v1 search)."""
MAX_LIMIT_V21 = 100
MAX_ROWS_V1 = 1000

_API_MARKERS = ("/api/explore/", "/api/datasets/", "/api/records/", "/api/v2")


def site_url(url: str) -> str:
    """The portal root of a site or API URL (``…/api/explore/v2.1/…`` stripped)."""
    url = url.strip().rstrip("/")
    for marker in _API_MARKERS:
        index = url.find(marker)
        if index >= 0:
            return url[:index]
    if url.endswith("/api"):
        return url[: -len("/api")]
    for suffix in ("/explore", "/pages/home"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def catalog_url(site: str) -> str:
    """The v2.1 ``catalog/datasets`` endpoint of a portal."""
    return f"{site}{V21}/catalog/datasets"


def catalog_export_url(site: str, fmt: str) -> str:
    """A v2.1 whole-catalogue export (``json``, ``dcat``, …)."""
    return f"{site}{V21}/catalog/exports/{fmt}"


def v1_search_url(site: str) -> str:
    """The v1 dataset search endpoint of a portal."""
    return f"{site}{V1_SEARCH}"


def _quoted(dataset_id: str) -> str:
    return quote(dataset_id, safe="")


def landing_page(site: str, dataset_id: str) -> str:
    """The dataset's page on the portal: ``{site}/explore/dataset/{id}/``."""
    return f"{site}/explore/dataset/{_quoted(dataset_id)}/"


def dataset_api_url(site: str, dataset_id: str, *, v1: bool = False) -> str:
    """The dataset's lookup URL in the API that served it."""
    if v1:
        return f"{site}/api/datasets/1.0/{_quoted(dataset_id)}/"
    return f"{catalog_url(site)}/{_quoted(dataset_id)}"


def odsql_string(value: str) -> str:
    """``value`` as an ODSQL string literal (double quotes, backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def odsql_datetime(value: datetime) -> str:
    """An ODSQL date literal in UTC (``date'2024-01-31T12:00:00Z'``); naive means UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return "date'" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


def build_where(where: str | None, since: datetime | None) -> str | None:
    """The v2.1 ``where`` combining the configured filter and ``since``.

    Catalogue metadata are named ``<template>.<name>`` in ODSQL (``default.modified``)."""
    parts: list[str] = []
    if where and where.strip():
        parts.append(f"({where.strip()})")
    if since is not None:
        parts.append(f"default.modified>={odsql_datetime(since)}")
    return " AND ".join(parts) or None


def refine_params(refine: dict[str, str], *, v1: bool) -> list[tuple[str, str]]:
    """Facet refinements: v2.1 ``refine=facet:"value"``, v1 ``refine.facet=value``."""
    if v1:
        return [(f"refine.{facet}", value) for facet, value in refine.items()]
    return [("refine", f"{facet}:{odsql_string(value)}") for facet, value in refine.items()]


def v1_since_query(since: datetime) -> str:
    """The v1 ``q`` field query for "modified since" (day precision, so never too narrow)."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return "modified>=" + since.astimezone(UTC).strftime("%Y/%m/%d")


def ods_error(body: Any) -> str | None:
    """OpenDataSoft's own message from an error body (v2.1 ``error_code``/``message``, v1
    ``error``)."""
    if not isinstance(body, dict):
        return None
    message = body.get("message") or body.get("error")
    code = body.get("error_code")
    if isinstance(message, str) and message.strip():
        return f"{message.strip()} ({code})" if isinstance(code, str) and code else message.strip()
    return code if isinstance(code, str) and code else None


def unwrap(item: Any) -> Any:
    """A dataset object from a listing item (v2.0 wraps it as ``{"dataset": {…}}``)."""
    if isinstance(item, dict) and isinstance(item.get("dataset"), dict) and "metas" not in item:
        return item["dataset"]
    return item


def dataset_id(dataset: Any) -> str | None:
    """The dataset's identifier: v2 ``dataset_id``, v1 ``datasetid``."""
    if not isinstance(dataset, dict):
        return None
    for key in ("dataset_id", "datasetid"):
        value = dataset.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def is_v1(dataset: dict[str, Any]) -> bool:
    """Whether ``dataset`` is an API v1 object (``datasetid``, flat ``metas``)."""
    return "datasetid" in dataset and "dataset_id" not in dataset


def _page(
    body: Any, *, items_key: str, count_key: str, url: str
) -> tuple[list[dict[str, Any]], int | None]:
    if not isinstance(body, dict) or not isinstance(body.get(items_key), list):
        raise SourceProtocolError(
            f"{url} returned no {items_key!r} list: is this an OpenDataSoft catalogue?",
            detail=orjson.dumps(body)[:500].decode("utf-8", "replace"),
            url=url,
        )
    datasets: list[dict[str, Any]] = []
    for item in body[items_key]:
        dataset = unwrap(item)
        if not isinstance(dataset, dict):
            raise SourceProtocolError(
                f"{url} returned {type(item).__name__} items instead of dataset objects",
                detail=repr(item)[:200],
                url=url,
            )
        datasets.append(dataset)
    count = body.get(count_key)
    return datasets, count if isinstance(count, int) and count >= 0 else None


def v21_page(body: Any, *, url: str) -> tuple[list[dict[str, Any]], int | None]:
    """The datasets and ``total_count`` of one v2.1 (or v2.0 ``datasets``) page."""
    key = "datasets" if isinstance(body, dict) and "results" not in body else "results"
    return _page(body, items_key=key, count_key="total_count", url=url)


def v1_page(body: Any, *, url: str) -> tuple[list[dict[str, Any]], int | None]:
    """The datasets and ``nhits`` of one v1 search page."""
    return _page(body, items_key="datasets", count_key="nhits", url=url)
