"""Opaque keyset cursors: base64url JSON of the sort, the last row's key and a fingerprint
of the query, so a cursor cannot be replayed against another query or sort."""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from typing import Any

import orjson


class CursorError(ValueError):
    """A cursor that is malformed or belongs to another query."""


@dataclass(frozen=True, slots=True)
class Cursor:
    sort: str
    key: tuple[Any, ...]
    fingerprint: int


def fingerprint(*parts: Any) -> int:
    """A short checksum of the query a cursor belongs to."""
    return zlib.crc32(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS))


def encode(cursor: Cursor) -> str:
    raw = orjson.dumps({"s": cursor.sort, "k": list(cursor.key), "f": cursor.fingerprint})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, *, sort: str, expected: int) -> Cursor:
    """The cursor in ``token``; :class:`CursorError` unless it is one of ours for this
    ``sort`` and query fingerprint."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor = Cursor(str(data["s"]), tuple(data["k"]), int(data["f"]))
    except (binascii.Error, ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise CursorError("not a cursor returned by this API") from None
    if cursor.sort != sort or cursor.fingerprint != expected:
        raise CursorError("the cursor belongs to another query or sort order")
    return cursor
