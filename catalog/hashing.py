"""The content hash that decides whether a harvested record changed."""

from __future__ import annotations

import hashlib

import orjson

from catalog.model import DatasetRecord


def canonical_json(record: DatasetRecord) -> bytes:
    """The record as stable JSON (sorted keys), without the harvest timestamp."""
    data = record.model_dump(mode="json", exclude={"provenance": {"harvested_at"}})
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def content_hash(record: DatasetRecord) -> str:
    """SHA-256 of the canonical JSON: equal hashes mean nothing to rewrite."""
    return hashlib.sha256(canonical_json(record)).hexdigest()
