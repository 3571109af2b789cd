"""Readers for CKAN package dicts: the ``extras`` list and field lookup.

The generic readers of loose JSON values (:func:`text`, :func:`strings`, :func:`url`,
:func:`when`…) live in :mod:`connectors.values`; they are re-exported here for the modules
that still import them from this one.
"""

from __future__ import annotations

from typing import Any

from connectors.values import (
    blank,
    decoded,
    dedupe,
    email,
    is_url,
    is_uuid,
    slug,
    strings,
    text,
    translated,
    translated_list,
    url,
    when,
)

__all__ = [
    "Package",
    "blank",
    "decoded",
    "dedupe",
    "email",
    "extras",
    "is_url",
    "is_uuid",
    "lookup",
    "slug",
    "strings",
    "text",
    "translated",
    "translated_list",
    "url",
    "when",
]

Package = dict[str, Any]


def extras(package: Package) -> dict[str, Any]:
    """The package's extras as a dict, whether CKAN sent a ``{key, value}`` list or a dict."""
    raw = package.get("extras")
    if isinstance(raw, dict):
        return dict(raw)
    found: dict[str, Any] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                found.setdefault(item["key"], item.get("value"))
    return found


def lookup(package: Package, *keys: str, extra: dict[str, Any] | None = None) -> Any:
    """The first non-blank value among ``keys`` in the package, then in its extras."""
    for source in (package, extra) if extra else (package,):
        for key in keys:
            value = source.get(key)
            if value is not None and not blank(value):
                return value
    return None
