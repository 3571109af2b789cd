"""The content hash that decides whether a harvested record changed."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from catalog.model import DatasetRecord


def _without_harvest_time(data: dict[str, Any]) -> dict[str, Any]:
    provenance = {k: v for k, v in data["provenance"].items() if k != "harvested_at"}
    return {**data, "provenance": provenance}


def canonical_json(record: DatasetRecord) -> bytes:
    """The record as stable JSON (sorted keys), without the harvest timestamp."""
    return _canonical(record.model_dump(mode="json"))


def _canonical(data: dict[str, Any]) -> bytes:
    return orjson.dumps(_without_harvest_time(data), option=orjson.OPT_SORT_KEYS)


def content_hash(record: DatasetRecord) -> str:
    """SHA-256 of the canonical JSON: equal hashes mean nothing to rewrite."""
    return content_hash_of_dump(record.model_dump(mode="json"))


def content_hash_of_dump(data: dict[str, Any]) -> str:
    """``content_hash`` of a record already dumped with ``model_dump(mode="json")``."""
    return hashlib.sha256(_canonical(data)).hexdigest()
