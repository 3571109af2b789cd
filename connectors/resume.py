"""Reading an interrupted run's saved cursor, which comes back from the database.

A connector that can continue an interrupted run implements
``resume_from(cursor) -> bool`` (:class:`connectors.base.Resumable`): True when it will
continue from the cursor, False when the cursor is not one of its own, or not usable (then
the run starts from the beginning, as a fresh one). These helpers read cursor values
defensively: a cursor is data, possibly from another platform or an older version.
"""

from __future__ import annotations

from typing import Any

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


def positive_int(cursor: dict[str, Any], key: str) -> int | None:
    """``cursor[key]`` when it is an int above zero (not a bool), else None."""
    value = cursor.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def one_page_early(position: int, page_size: int, first: int = 0) -> int:
    """Where to continue from ``position`` when offsets may have shifted: a page earlier
    (never before ``first``). The overlap is upserted again, never duplicated."""
    return max(first, position - page_size)


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base``: a page URL saved in a
    cursor is followed only on the source's own site."""
    try:
        one, two = httpx.URL(url), httpx.URL(base)
    except (httpx.InvalidURL, TypeError):
        return False
    if one.scheme not in DEFAULT_PORTS or one.scheme != two.scheme or not one.host:
        return False
    default = DEFAULT_PORTS[one.scheme]
    return one.host.lower() == two.host.lower() and (one.port or default) == (two.port or default)
