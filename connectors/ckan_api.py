"""Reading CKAN Action API answers: envelopes, result shapes and URLs (no I/O here).

CKAN wraps every answer as ``{"help": …, "success": true, "result": …}``; failures are
``{"success": false, "error": {"message": …, "__type": …}}``. Variants met in the wild:
``help`` holding the whole docstring (old CKAN), ``result`` that is a one-element list
(DKAN's ``package_show``), a bare result without envelope, and API v2 / Solr documents whose
package is a JSON string in ``data_dict``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from connectors.errors import SourceProtocolError

_API_SUFFIXES = ("/api/3/action", "/api/action", "/api/3", "/api")


def api_url_for(url: str, api_path: str | None = None) -> str:
    """The Action API base (``…/api/3/action``) for a site root or any API URL."""
    url = url.strip().rstrip("/")
    if api_path:
        return site_url(url) + "/" + api_path.strip("/")
    for suffix in _API_SUFFIXES:
        if url.endswith(suffix):
            return url if suffix.endswith("action") else url[: -len(suffix)] + "/api/3/action"
    return url + "/api/3/action"


def site_url(url: str) -> str:
    """The portal root of a site or API URL (``…/api/3/action`` stripped)."""
    url = url.strip().rstrip("/")
    for suffix in _API_SUFFIXES:
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def dataset_page(site: str, name_or_id: str) -> str:
    """The dataset's page on the portal: ``{site}/dataset/{name}``."""
    return f"{site.rstrip('/')}/dataset/{quote(name_or_id, safe='')}"


def package_show_url(api_url: str, name_or_id: str) -> str:
    """The ``package_show`` URL of one package."""
    return f"{api_url.rstrip('/')}/package_show?id={quote(name_or_id, safe='')}"


def ckan_error(body: Any) -> str | None:
    """CKAN's own message from a ``success: false`` body, e.g. "Not found (Not Found Error)"."""
    if not isinstance(body, dict) or body.get("success") is not False:
        return None
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        kind = error.get("__type")
        parts = [
            str(message) if message else None,
            *(f"{k}: {v}" for k, v in error.items() if k not in ("message", "__type")),
        ]
        text = "; ".join(p for p in parts if p) or "no message"
        return f"{text} ({kind})" if kind else text
    return str(error) if error else "no message"


def unwrap(body: Any, *, action: str, url: str) -> Any:
    """The ``result`` of an Action API answer; ``success: false`` → SourceProtocolError."""
    if isinstance(body, dict):
        if body.get("success") is False:
            raise SourceProtocolError(
                f"{action} at {url} failed: {ckan_error(body)}",
                detail=orjson.dumps(body)[:2000].decode("utf-8", "replace"),
                url=url,
            )
        if "result" in body and ("success" in body or "help" in body):
            return body["result"]
    return body  # a bare result without envelope


def as_package(value: Any) -> dict[str, Any] | None:
    """A package dict from a result item: the dict itself, DKAN's one-element list, or an
    API v2 / Solr document whose ``data_dict`` / ``validated_data_dict`` is a JSON string.
    ``None`` when ``value`` is not a package (a name, an organization…)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        return None
    for key in ("validated_data_dict", "data_dict"):
        embedded = value.get(key)
        if isinstance(embedded, str) and "resources" not in value:
            try:
                decoded = orjson.loads(embedded)
            except orjson.JSONDecodeError:
                continue
            if isinstance(decoded, dict):
                return decoded
    return value


def search_page(result: Any, *, url: str) -> tuple[list[dict[str, Any]], int | None]:
    """The packages and the total ``count`` of one ``package_search`` result.

    Accepts ``{"count", "results"}`` (CKAN, API v2) and a plain list of packages (DKAN, count
    unknown). A list of names (``package_list``) or anything else → SourceProtocolError."""
    count: int | None = None
    if isinstance(result, dict) and isinstance(result.get("results"), list):
        items = result["results"]
        raw_count = result.get("count")
        count = raw_count if isinstance(raw_count, int) and raw_count >= 0 else None
    elif isinstance(result, list):
        items = result
    else:
        raise SourceProtocolError(
            f"package_search at {url} returned no results list",
            detail=orjson.dumps(result)[:500].decode("utf-8", "replace"),
            url=url,
        )
    packages: list[dict[str, Any]] = []
    for item in items:
        package = as_package(item)
        if package is None:
            raise SourceProtocolError(
                f"package_search at {url} returned {type(item).__name__} items, not packages"
                " (is this package_list or organization_list?)",
                detail=repr(item)[:200],
                url=url,
            )
        packages.append(package)
    return packages, count


def remote_id(package: dict[str, Any]) -> str | None:
    """The key a package is harvested under: its ``id``, else its ``name``."""
    for key in ("id", "name"):
        value = package.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return None
