"""Reading Socrata answers and building Socrata URLs (no I/O here).

Three APIs are involved:

* the **Discovery API** (``/api/catalog/v1``, "Cetera"): one page is
  ``{"results": [...], "resultSetSize": n, "timings": …}``; each result carries
  ``resource``, ``classification``, ``metadata``, ``permalink``, ``link``, ``owner``;
* the **views API** (``/api/views/{id}.json``): the full metadata of one asset, timestamps
  in epoch seconds;
* **SODA** (``/resource/{id}.json``): the rows, with the column schema in the
  ``X-SODA2-Fields`` / ``X-SODA2-Types`` response headers.

Errors come as ``{"error": true, "message": …}``, sometimes with a ``code``
(``dataset.missing``, ``not_found``) and ``data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from connectors.errors import SourceProtocolError

CATALOG_PATH = "/api/catalog/v1"
MAX_OFFSET_PLUS_LIMIT = 10_000
"""The Discovery API refuses ``offset + limit`` above this; ``scroll_id`` has no such cap."""


def site_url(url: str) -> str:
    """``scheme://host`` of any portal or API URL (Socrata lives at the domain root)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip().rstrip("/")
    return f"{parts.scheme}://{parts.netloc}"


def host_of(url: str) -> str:
    """The host name of ``url`` (lower case, no port)."""
    return (urlsplit(url.strip()).hostname or "").lower()


def catalog_url(site: str) -> str:
    """The Discovery API endpoint of a site (``https://host/api/catalog/v1``)."""
    return site_url(site) + CATALOG_PATH


def _domain_root(domain: str) -> str:
    return f"https://{domain}"


def _id(asset_id: str) -> str:
    return quote(asset_id, safe="")


def permalink(domain: str, asset_id: str) -> str:
    """The asset's stable page: ``https://{domain}/d/{id}``."""
    return f"{_domain_root(domain)}/d/{_id(asset_id)}"


def dataset_uri(domain: str, asset_id: str) -> str:
    """The dataset URI Socrata's own DCAT-US ``data.json`` uses as ``identifier``:
    ``https://{domain}/api/views/{id}`` (kept so both harvests of a site agree)."""
    return f"{_domain_root(domain)}/api/views/{_id(asset_id)}"


def view_url(domain: str, asset_id: str) -> str:
    """The views API metadata of one asset: ``https://{domain}/api/views/{id}.json``."""
    return f"{_domain_root(domain)}/api/views/{_id(asset_id)}.json"


def asset_catalog_url(domain: str, asset_id: str) -> str:
    """The Discovery answer for this one asset (``…/api/catalog/v1?ids={id}``)."""
    return f"{_domain_root(domain)}{CATALOG_PATH}?ids={_id(asset_id)}"


def soda_url(domain: str, asset_id: str, extension: str = "json") -> str:
    """The SODA 2 endpoint answering SoQL queries: ``https://{domain}/resource/{id}.json``."""
    return f"{_domain_root(domain)}/resource/{_id(asset_id)}.{extension}"


def rows_export_url(domain: str, asset_id: str, extension: str) -> str:
    """A full export of a tabular asset: ``/api/views/{id}/rows.csv?accessType=DOWNLOAD``."""
    return f"{_domain_root(domain)}/api/views/{_id(asset_id)}/rows.{extension}?accessType=DOWNLOAD"


def geo_export_url(domain: str, asset_id: str, fmt: str) -> str:
    """A geospatial export: ``/api/geospatial/{id}?method=export&format=GeoJSON``."""
    return f"{_domain_root(domain)}/api/geospatial/{_id(asset_id)}?method=export&format={fmt}"


def blob_download_url(domain: str, asset_id: str, mime_type: str) -> str:
    """The file behind a blob asset, as Socrata's data.json lists it:
    ``/download/{id}/{mime type}``."""
    return f"{_domain_root(domain)}/download/{_id(asset_id)}/{quote(mime_type, safe='')}"


def view_file_url(domain: str, asset_id: str, file_id: str, filename: str | None) -> str:
    """A file attached to a view (blob or attachment):
    ``/api/views/{id}/files/{file id}?download=true&filename=…``."""
    base = f"{_domain_root(domain)}/api/views/{_id(asset_id)}/files/{quote(file_id, safe='')}"
    suffix = f"&filename={quote(filename, safe='')}" if filename else ""
    return f"{base}?download=true{suffix}"


def asset_url(domain: str, blob_id: str) -> str:
    """An attachment stored as a bare asset: ``/api/assets/{blob id}?download=true``."""
    return f"{_domain_root(domain)}/api/assets/{quote(blob_id, safe='')}?download=true"


def socrata_error(body: Any) -> str | None:
    """Socrata's own message from an error body, e.g. "Not found (dataset.missing)"."""
    if not isinstance(body, dict) or not (body.get("error") or body.get("code")):
        return None
    message = body.get("message")
    code = body.get("code")
    text = str(message).strip() if message else "no message"
    return f"{text} ({code})" if code else text


def _dump(value: Any, limit: int = 500) -> str:
    return orjson.dumps(value, default=str)[:limit].decode("utf-8", "replace")


def catalog_page(
    body: Any, *, url: str, what: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """The results and ``resultSetSize`` of one Discovery API page.

    A body flagged ``error``, without a ``results`` list, or with results that are not
    objects → SourceProtocolError (naming ``what`` of ``url``)."""
    subject = f"{what} of {url}" if what else url
    said = socrata_error(body)
    if said is not None:
        raise SourceProtocolError(
            f"{subject} answered with an error: {said}", detail=_dump(body), url=url
        )
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        kind = type(body).__name__
        raise SourceProtocolError(
            f"{subject} returned no Discovery API results list (got {kind})",
            detail=_dump(body),
            url=url,
        )
    results = body["results"]
    for item in results:
        if not isinstance(item, dict):
            raise SourceProtocolError(
                f"{subject} returned {type(item).__name__} results, not assets",
                detail=_dump(item),
                url=url,
            )
    size = body.get("resultSetSize")
    return results, size if isinstance(size, int) and not isinstance(size, bool) else None


def resource_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """The ``resource`` object of a Discovery result (empty when missing)."""
    resource = result.get("resource")
    return resource if isinstance(resource, dict) else {}


def asset_id(result: Mapping[str, Any]) -> str | None:
    """The 4x4 id of a Discovery result (``resource.id``)."""
    value = resource_of(result).get("id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def asset_domain(result: Mapping[str, Any]) -> str | None:
    """The domain owning a Discovery result (``metadata.domain``)."""
    metadata = result.get("metadata")
    value = metadata.get("domain") if isinstance(metadata, dict) else None
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def soda_schema(headers: Mapping[str, str]) -> dict[str, str]:
    """Field name → SODA type from a SODA response's ``X-SODA2-Fields``/``-Types`` headers.

    System fields (``:id``, ``:updated_at``…) are left out; missing, malformed or
    mismatched headers give ``{}``."""
    try:
        fields = orjson.loads(headers.get("x-soda2-fields", "") or "null")
        types = orjson.loads(headers.get("x-soda2-types", "") or "null")
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(fields, list) or not isinstance(types, list) or len(fields) != len(types):
        return {}
    return {
        str(name): str(kind)
        for name, kind in zip(fields, types, strict=True)
        if isinstance(name, str) and not name.startswith(":")
    }
