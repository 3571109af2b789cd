"""ArcGIS Online / Enterprise portals: portal URLs and the ``/sharing/rest/search`` API.

Search (``{portal}/sharing/rest/search?q=…&start=1&num=100&f=json``) answers
``{total, start, num, nextStart, results}``; ``nextStart`` is ``-1`` on the last page and
only the first 10 000 results can be paged (``start + num - 1 ≤ 10 000``, ArcGIS Online's
search window). Errors come back with status 200 as ``{"error": {"code", "message",
"details"}}``. Items are mapped in :mod:`connectors.arcgis_portal`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from connectors.errors import SourceProtocolError

Item = dict[str, Any]

SEARCH_WINDOW = 10_000
"""``start + num - 1`` may not exceed this on ArcGIS Online search."""


# -- portal URLs -----------------------------------------------------------------------------


def portal_root(url: str) -> str:
    """The portal root of a portal, sharing API or item URL (``https://org.maps.arcgis.com``,
    ``https://gis.example.org/portal``)."""
    base = url.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    for marker in ("/sharing/rest", "/sharing", "/home", "/apps"):
        index = base.lower().find(marker)
        if index >= 0:
            return base[:index]
    return base


def sharing_url(root: str) -> str:
    """The sharing REST API of a portal root."""
    return f"{root.rstrip('/')}/sharing/rest"


def item_page(root: str, item_id: str) -> str:
    """The item's page on the portal."""
    return f"{root.rstrip('/')}/home/item.html?id={quote(item_id, safe='')}"


def item_url(root: str, item_id: str, suffix: str = "") -> str:
    """``{portal}/sharing/rest/content/items/{id}{suffix}``."""
    return f"{sharing_url(root)}/content/items/{quote(item_id, safe='')}{suffix}"


def is_portal_url(url: str) -> bool:
    """Whether ``url`` names an ArcGIS Online / Enterprise portal rather than a Hub site."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    return (
        host in ("www.arcgis.com", "arcgis.com")
        or host.endswith(".maps.arcgis.com")
        or "/sharing" in path
        or path.rstrip("/").endswith("/portal")
        or path.startswith("/home")
    )


# -- search -----------------------------------------------------------------------------------


def epoch_ms_19(value: datetime) -> str:
    """``value`` as the zero-padded 19-digit epoch milliseconds ArcGIS date ranges use."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{int(value.timestamp() * 1000):019d}"


def build_query(
    *,
    query: str | None = None,
    group: str | None = None,
    org_id: str | None = None,
    item_types: list[str] | tuple[str, ...] = (),
    since: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """The search ``q`` combining the configured query, group, organization, item types
    and ``since`` (a ``modified`` range)."""
    parts: list[str] = []
    if query and query.strip():
        parts.append(f"({query.strip()})")
    if group:
        parts.append(f"group:{group.strip()}")
    if org_id and not parts:
        parts.append(f"orgid:{org_id}")
    if item_types:
        parts.append("(" + " OR ".join(f'type:"{t}"' for t in item_types) + ")")
    if since is not None:
        until = now or datetime.now(UTC)
        parts.append(f"modified:[{epoch_ms_19(since)} TO {epoch_ms_19(until)}]")
    return " AND ".join(parts)


def arcgis_error(body: Any) -> str | None:
    """ArcGIS's own message from an ``{"error": {code, message, details}}`` body."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    details = error.get("details")
    extra = "; ".join(str(d) for d in details if d) if isinstance(details, list) else ""
    message = str(error.get("message") or "no message")
    code = error.get("code")
    said = f"{message} (code {code})" if code is not None else message
    return f"{said}: {extra}" if extra else said


def check(body: Any, *, url: str, what: str) -> dict[str, Any]:
    """``body`` when it is a JSON object without ArcGIS's ``error`` member."""
    said = arcgis_error(body)
    if said is not None:
        hint = (
            " (the portal wants a token: is the content public?)"
            if "498" in said or ("499" in said)
            else ""
        )
        raise SourceProtocolError(
            f"{what} of {url} failed: {said}{hint}",
            detail=orjson.dumps(body)[:2000].decode("utf-8", "replace"),
            url=url,
        )
    if not isinstance(body, dict):
        raise SourceProtocolError(
            f"{what} of {url} is a JSON {type(body).__name__}, not an object", url=url
        )
    return body


def search_page(body: Any, *, url: str, what: str) -> tuple[list[Item], int | None, int | None]:
    """``(items, total, nextStart)`` of one search answer (nextStart -1 → None)."""
    body = check(body, url=url, what=what)
    results = body.get("results")
    if not isinstance(results, list):
        raise SourceProtocolError(f"{what} of {url} has no results list", url=url)
    items = [item for item in results if isinstance(item, dict)]
    total = body.get("total")
    following = body.get("nextStart")
    return (
        items,
        total if isinstance(total, int) and total >= 0 else None,
        following if isinstance(following, int) and following > 0 else None,
    )


# -- organization ----------------------------------------------------------------------------

_ORG_ID = re.compile(r"^[A-Za-z0-9]{8,32}$")


def org_id_of(portal_self: Any) -> str | None:
    """The organization id from ``/sharing/rest/portals/self`` (None for a public portal)."""
    if not isinstance(portal_self, dict):
        return None
    value = portal_self.get("id")
    return value if isinstance(value, str) and _ORG_ID.match(value) else None
