"""Socrata views API metadata (``/api/views/{id}.json``) → DatasetRecord, and the merge of a
Discovery record with the view of the same asset (enrichment).

The views API is richer than the Discovery API on some points: licence id and terms link,
custom fields, uploaded blobs, attachments, geographic extent, and what makes a view
derived (``modifyingViewUid``, ``viewFilters``, a filter condition in ``query``).
Timestamps are epoch seconds (``createdAt``, ``rowsUpdatedAt``, ``viewLastModified``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalog.model import DatasetRecord, SpatialCoverage
from connectors.base import SourceSpec
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.socrata_api import asset_url, dataset_uri, permalink, view_file_url, view_url
from connectors.socrata_distributions import Blob, blob_size, distributions
from connectors.socrata_fields import CustomFields, publisher_name
from connectors.socrata_mapping import (
    agents,
    from_custom,
    keywords,
    latest,
    markers,
    provenance,
    themes,
)
from connectors.values import dedupe, strings, text, url

NOT_DATASET_DISPLAYS = frozenset(
    {"chart", "story", "calendar", "form", "visualization", "data_lens", "page", "api"}
)
"""``displayType``/``viewType`` values of presentations, not datasets."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_derived(view: dict[str, Any]) -> bool:
    """A view computed from another one: ``modifyingViewUid``, or filters in the view."""
    query = _dict(view.get("query"))
    return bool(
        text(view.get("modifyingViewUid"))
        or view.get("viewFilters")
        or query.get("filterCondition")
        or query.get("groupBys")
    )


def view_kind(view: dict[str, Any]) -> str:
    """The kind of dataset a view is (``dataset``, ``filter``, ``map``, ``file``, ``href``),
    or ``RecordSkipped`` for charts, stories and other presentations."""
    view_type = (text(view.get("viewType")) or "tabular").lower()
    display = (text(view.get("displayType")) or "table").lower()
    key = text(view.get("id")) or "?"
    if view_type in NOT_DATASET_DISPLAYS or display in NOT_DATASET_DISPLAYS:
        raise RecordSkipped(f"view {key} is a {display}, not a dataset")
    if view_type == "blobby" or display == "blob":
        return "file"
    if view_type == "href" or display == "href":
        return "href"
    if view_type == "geo" or display == "map":
        return "map"
    return "filter" if is_derived(view) else "dataset"


def check_included(view: dict[str, Any]) -> None:
    """``RecordSkipped`` for unpublished or deleted views."""
    key = text(view.get("id")) or "?"
    stage = text(view.get("publicationStage"))
    if stage and stage != "published":
        raise RecordSkipped(f"view {key} is {stage}, not published")
    if (text(view.get("state")) or "normal").lower() == "deleted":
        raise RecordSkipped(f"view {key} is deleted")


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def extent(view: dict[str, Any]) -> list[SpatialCoverage]:
    """The bounding box from ``metadata.geo.bbox`` (WGS 84) or ``northWest``/``southEast``."""
    geo = _dict(_dict(view.get("metadata")).get("geo"))
    crs = (text(geo.get("bboxCrs")) or "EPSG:4326").upper()
    raw = text(geo.get("bbox"))
    if raw and crs == "EPSG:4326":
        parts = [_number(p) for p in raw.split(",")]
        if len(parts) == 4 and all(p is not None for p in parts):
            west, south, east, north = (float(p) for p in parts if p is not None)
            return [SpatialCoverage(bbox=(west, south, east, north))]
    north_west, south_east = _dict(view.get("northWest")), _dict(view.get("southEast"))
    corners = [
        _number(north_west.get("long")),
        _number(south_east.get("lat")),
        _number(south_east.get("long")),
        _number(north_west.get("lat")),
    ]
    if all(c is not None for c in corners):
        west, south, east, north = (float(c) for c in corners if c is not None)
        return [SpatialCoverage(bbox=(west, south, east, north))]
    return []


def attachments(view: dict[str, Any], domain: str, key: str) -> list[str]:
    """Download URLs of the documents attached to a view (``metadata.attachments``)."""
    found: list[str] = []
    for item in _dict(view.get("metadata")).get("attachments") or []:
        if not isinstance(item, dict):
            continue
        asset = text(item.get("assetId"))
        blob_id = text(item.get("blobId"))
        filename = text(item.get("filename")) or text(item.get("name"))
        if asset:
            found.append(view_file_url(domain, key, asset, filename))
        elif blob_id:
            found.append(asset_url(domain, blob_id))
    return found


def blob_of(view: dict[str, Any]) -> Blob | None:
    """The file uploaded to a view (``blobId``, ``blobFilename``, ``blobMimeType``…)."""
    file_id = text(view.get("blobId"))
    mime = text(view.get("blobMimeType"))
    if not (file_id or mime):
        return None
    return Blob(
        mime_type=mime,
        file_id=file_id,
        filename=text(view.get("blobFilename")),
        size=blob_size(view.get("blobFileSize")),
    )


def _public(view: dict[str, Any]) -> str | None:
    grants = view.get("grants")
    for grant in grants if isinstance(grants, list) else []:
        if isinstance(grant, dict) and "public" in strings(grant.get("flags")):
            return "PUBLIC"
    return None


def normalize_view(
    view: Any, source: SourceSpec, *, domain: str, fetched_at: datetime
) -> DatasetRecord:
    """Map one views API answer (the asset on ``domain``) to a DatasetRecord."""
    if not isinstance(view, dict):
        raise RecordInvalid(f"Socrata view is a {type(view).__name__}, not an object")
    key = text(view.get("id"))
    if not key:
        raise RecordInvalid("Socrata view has no id")
    kind = view_kind(view)
    check_included(view)
    title = text(view.get("name"))
    if not title:
        raise RecordInvalid(f"Socrata view {key} has no name")
    metadata = _dict(view.get("metadata"))
    custom = CustomFields.from_custom_fields(metadata.get("custom_fields"))
    publisher, creators = agents(
        source,
        declared=publisher_name(custom),
        attribution=text(view.get("attribution")),
        attribution_link=text(view.get("attributionLink")),
        domain=domain,
    )
    licence_info = _dict(view.get("license"))
    page = permalink(domain, key)
    modified = latest(view.get("rowsUpdatedAt"), view.get("viewLastModified"))
    description = text(view.get("description"))
    return DatasetRecord(
        identifier=key,
        uri=dataset_uri(domain, key),
        title={"": title},
        description={"": description} if description else {},
        keywords=keywords(strings(view.get("tags")), markers(kind, is_derived(view))),
        themes=themes(view.get("category")),
        publisher=publisher,
        creators=creators,
        modified=modified,
        landing_page=page,
        **from_custom(
            custom,
            licences=(
                text(view.get("licenseId")),
                url(licence_info.get("termsLink")),
                text(licence_info.get("name")),
            ),
            access=_public(view),
            created=(view.get("createdAt"), view.get("publicationDate")),
            extents=extent(view),
            pages=attachments(view, domain, key),
        ),
        distributions=distributions(
            kind,
            domain,
            key,
            modified=latest(view.get("rowsUpdatedAt")) or modified,
            has_columns=bool(view.get("columns")),
            found_blob=blob_of(view),
            points=metadata.get("accessPoints"),
        ),
        provenance=provenance(source, key, page, view_url(domain, key), fetched_at),
    )


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge(primary: DatasetRecord, extra: DatasetRecord) -> DatasetRecord:
    """``primary`` with its empty fields filled from ``extra`` (same asset), keywords
    united and ``extra``'s distributions and pages that ``primary`` lacks appended."""
    data = primary.model_dump()
    more = extra.model_dump()
    for name, value in more.items():
        if name != "provenance" and _empty(data.get(name)):
            data[name] = value
    terms: dict[str, list[str]] = {}
    for found in (primary.keywords, extra.keywords):
        for lang, values in found.items():
            terms[lang] = keywords([*terms.get(lang, []), *values], []).get("", [])
    data["keywords"] = terms
    data["documentation"] = dedupe([*primary.documentation, *extra.documentation])
    if primary.distributions:
        known = {d.identifier for d in primary.distributions}
        data["distributions"] += [d for d in more["distributions"] if d["identifier"] not in known]
    return DatasetRecord.model_validate(data)
