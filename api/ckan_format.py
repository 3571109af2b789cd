"""Moisson records in CKAN's shapes (package, organization) and CKAN's search syntax
(``fq``, ``sort``, ``facet.field``) in Moisson's terms. Partners are CKAN organizations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from catalog.model import DatasetRecord
from catalog.text import pick
from harvester.search.fields import normalize
from harvester.search.filters import Filters
from harvester.store.tables import Dataset, Partner

CKAN_VERSION = "2.10.4"

FIELDS: dict[str, str] = {
    "organization": "partner",
    "owner_org": "partner",
    "tags": "keyword",
    "res_format": "format",
    "license_id": "licence",
    "groups": "theme",
    "publisher": "publisher",
    "source": "source",
    "language": "language",
}
"""CKAN search field → Moisson facet."""

SORTS: dict[str, str] = {
    "score desc": "relevance",
    "score desc, metadata_modified desc": "relevance",
    "metadata_modified desc": "modified",
    "title_string asc": "title",
    "name asc": "title",
}

_FQ = re.compile(r'([+-]?)(\w+):("[^"]*"|\[[^\]]*\]|\S+)')
_FIELD_PREFIX = re.compile(r"\b\w+:")


class CkanQueryError(ValueError):
    """A search parameter Moisson cannot honour (CKAN's "Search Query Error")."""


def _iso(value: date | datetime | None) -> str | None:
    """CKAN's form of a time: a naive UTC date-time (an offset is applied, not dropped:
    ``00:00-05:00`` is ``05:00`` UTC). CKAN's times always have one (its columns are
    timestamps, and clients parse them as such): a date is its midnight."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00"
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def free_text(q: str | None) -> str | None:
    """CKAN's ``q`` as Moisson full text (``*:*`` is everything, field prefixes dropped)."""
    if q is None or q.strip() in ("", "*:*", "*"):
        return None
    return _FIELD_PREFIX.sub("", q)


def _range_start(value: str) -> datetime | None:
    start = value.strip("[]").split(" TO ")[0].strip()
    if start in ("*", ""):
        return None
    return datetime.fromisoformat(start.replace("Z", "+00:00").replace("NOW", ""))


def parse_fq(fq: str | None) -> Filters:
    """``organization:x tags:"y z" res_format:CSV metadata_modified:[2024-01-01T00:00:00Z TO *]``."""
    filters = Filters()
    for sign, field, raw in _FQ.findall(fq or ""):
        value = raw.strip('"')
        if sign == "-":
            raise CkanQueryError(f"negative filters are not supported: {field}")
        if field in ("metadata_modified", "metadata_created") and raw.startswith("["):
            try:
                filters.modified_since = _range_start(raw)
            except ValueError:
                raise CkanQueryError(f"bad date range {raw}") from None
            continue
        facet = FIELDS.get(field)
        if facet is None:
            raise CkanQueryError(f"cannot filter on {field}; use one of {', '.join(FIELDS)}")
        filters.facets.setdefault(facet, []).append(normalize(facet, value))
    return filters


def organization(partner: Partner, count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": partner.id,
        "name": partner.id,
        "title": partner.name,
        "display_name": partner.name,
        "description": "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": _iso(partner.created_at),
        "extras": [{"key": "kind", "value": partner.kind}],
    }
    if count is not None:
        data["package_count"] = count
    return data


def _resource(record: DatasetRecord, n: int, row: Dataset) -> dict[str, Any]:
    d = record.distributions[n]
    return {
        "id": d.identifier or f"{row.id}-{n}",
        "package_id": row.id,
        "name": pick(d.title) or d.format or f"resource {n + 1}",
        "description": pick(d.description) or "",
        "url": d.download_url or d.access_url or "",
        "format": d.format or "",
        "mimetype": d.media_type,
        "size": d.byte_size,
        "created": _iso(d.issued),
        "last_modified": _iso(d.modified),
        "datastore_active": d.api_access,
        "position": n,
        "state": "active",
    }


def _record_part(row: Dataset) -> tuple[dict[str, Any], date | datetime | None]:
    """What a package takes from its stored record and the columns fixed with it (its id,
    source and remote id), with the record's ``modified``: the per-call keys hold None, in
    their places."""
    record = DatasetRecord.model_validate(row.record)
    tags = sorted({term for terms in record.keywords.values() for term in terms})
    resources = [_resource(record, n, row) for n in range(len(record.distributions))]
    licence = record.licence
    part = {
        "id": row.id,
        "name": row.id,
        "title": pick(record.title) or row.title,
        "notes": pick(record.description) or "",
        "url": record.landing_page or record.provenance.original_url or "",
        "type": "dataset",
        "state": None,
        "private": False,
        "metadata_created": None,
        "metadata_modified": None,
        "license_id": licence.id if licence else None,
        "license_title": (licence.title or licence.id) if licence else None,
        "license_url": licence.uri if licence else None,
        "author": pick(record.publisher.name) if record.publisher else None,
        "maintainer": record.contact_points[0].name if record.contact_points else None,
        "maintainer_email": record.contact_points[0].email if record.contact_points else None,
        "version": record.version,
        "owner_org": None,
        "organization": None,
        "tags": [{"name": tag, "display_name": tag, "state": "active"} for tag in tags],
        "num_tags": len(tags),
        "groups": [{"name": theme, "title": theme} for theme in record.themes],
        "resources": resources,
        "num_resources": len(resources),
        "extras": [
            {"key": "moisson_source", "value": row.source_id},
            {"key": "moisson_remote_id", "value": row.remote_id},
            {"key": "original_url", "value": record.provenance.original_url or ""},
        ],
        "title_translated": record.title,
        "notes_translated": record.description,
    }
    return part, record.modified


def package(
    row: Dataset, partner: Partner | None, base: str, kept: dict[str, Any]
) -> dict[str, Any]:
    """A CKAN package dict for one dataset (withdrawn ones have state ``deleted``).
    ``kept``: a dict kept with the row's record (:mod:`harvester.search.record_cache`), in
    which the part taken from the record alone is kept between calls; the state, dates,
    organization and links are the row's, the partner's and the request's each call."""
    found = kept.get("ckan")
    if found is None:
        found = kept["ckan"] = _record_part(row)
    part, modified = found
    source, remote, original = part["extras"]
    return {
        **part,
        "state": "deleted" if row.withdrawn_at else "active",
        "metadata_created": _iso(row.first_seen),
        "metadata_modified": _iso(modified or row.updated_at),
        "owner_org": partner.id if partner else None,
        "organization": organization(partner) if partner else None,
        "extras": [
            source,
            remote,
            {"key": "dcat_uri", "value": f"{base}/datasets/{row.id}"},
            original,
        ],
    }
