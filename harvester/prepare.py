"""What a harvested record needs before it is written, derived from the record alone.

Pure CPU work whose results are plain picklable values, so a run can do it in a mapping
process (:mod:`harvester.mapping_pool`) while it fetches and writes. :func:`dumped` is what
decides whether the record changed; :func:`derived` is needed when it did, and when a
re-mapped record is the same but what is derived from it may not be (its ``digest``, stored
as ``dataset.derived_hash``, tells).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import orjson

from catalog.hashing import content_hash_of_dump
from catalog.model import DatasetRecord
from catalog.text import pick
from harvester.positional import PickledByPosition
from harvester.quality_facts import QualityFacts, quality_facts
from harvester.search.fields import IndexFields, PartnerInfo, index_fields
from harvester.search.pg_vectors import vectors
from harvester.search.text import SearchDocument, search_document


@dataclass(slots=True)
class Dumped(PickledByPosition):
    """A record as stored (``model_dump(mode="json")`` as JSON bytes) and its content hash.
    Bytes travel between processes much faster than nested dicts, and the JSON column
    writes them as they are (an ``orjson.Fragment``)."""

    json: bytes
    content_hash: str


@dataclass(slots=True)
class Derived(PickledByPosition):
    """The columns, search text, facets and quality facts of a record."""

    fields: IndexFields
    title: str | None
    publisher_name: str | None
    licence_id: str | None
    modified: datetime | None
    search: SearchDocument
    quality: QualityFacts
    digest: str = ""
    """A digest of all the above (:func:`derived_digest`): equal digests, equal rows."""


def json_bytes(value: Any) -> bytes:
    """``value`` as JSON, in a buffer of its own size: the bytes orjson returns keep room for
    the worst case of escaping (~10× a long string's length) for as long as they are held."""
    return memoryview(orjson.dumps(value)).tobytes()


def dumped(record: DatasetRecord) -> Dumped:
    """``record`` as stored, with its content hash."""
    data = record.model_dump(mode="json")
    return Dumped(json_bytes(data), content_hash_of_dump(data))


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def derived(
    record: DatasetRecord, source_id: str, partner: PartnerInfo, *, pg_vectors: bool = False
) -> Derived:
    """Everything the dataset row, the search index and the quality table take from
    ``record`` (``partner`` is the partner of its source, for the facets); with
    ``pg_vectors``, the search text's PostgreSQL vectors too (written where the mapping
    runs, not by the process that waits for the database)."""
    search = search_document(record)
    if pg_vectors:
        search = replace(search, vectors=vectors(search) or ())  # (): declined, for good
    result = Derived(
        fields=index_fields(record, source_id, partner),
        title=pick(record.title),
        publisher_name=pick(record.publisher.name) if record.publisher else None,
        licence_id=record.licence.id if record.licence else None,
        modified=_as_datetime(record.modified),
        search=search,
        quality=quality_facts(record),
    )
    result.digest = derived_digest(result)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} in derived values")


@dataclass(frozen=True, slots=True)
class _Texts:
    """A search document's texts as the digest has always read them: its vectors, when
    the mapping wrote them, are derived from these."""

    title_fr: str
    title_en: str
    body_fr: str
    body_en: str


def derived_digest(values: Derived) -> str:
    """128-bit BLAKE2b (hex) of ``values`` but their ``digest``, in canonical JSON."""
    search = values.search
    texts = _Texts(search.title_fr, search.title_en, search.body_fr, search.body_en)
    unsigned = replace(values, digest="", search=texts)  # type: ignore[arg-type]
    canonical = orjson.dumps(unsigned, default=_plain, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()
