"""OpenDataSoft dataset → DCAT distributions: exports, records API, attachments.

* Exports of the records (only when ``has_records`` and the data is visible), at
  ``/api/explore/v2.1/catalog/datasets/{id}/exports/{format}`` for v2.1 datasets and the v1
  download API ``/api/records/1.0/download/?dataset={id}&format=`` for v1 ones: CSV, JSON,
  Excel and Parquet (v2.1) always; GeoJSON, KML and Shapefile only for datasets with the
  ``geo`` feature, Shapefile only up to :data:`SHAPEFILE_RECORDS_LIMIT` records (ODS cuts
  bigger shapefile exports, so it would be a partial download).
* The records API (v2.1 ``…/records``, v1 ``/api/records/1.0/search/?dataset=``) as an
  API-access distribution: it answers queries on the data.
* ``attachments`` and ``alternative_exports``: files attached by the publisher, whose
  ``odsfile://name`` URLs are resolved to the download endpoints of the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlencode

from catalog.model import Distribution, LicenceRef
from catalog.vocab import FormatInfo, normalize_format
from connectors.values import strings, text, url

SHAPEFILE_RECORDS_LIMIT = 50_000
"""Above this many records ODS shapefile exports are truncated (as udata-ods assumes)."""


@dataclass(frozen=True, slots=True)
class Export:
    """One export format of the records."""

    fmt: str
    label: str
    geo_only: bool = False
    v1: bool = True


EXPORTS = (
    Export("csv", "CSV"),
    Export("json", "JSON"),
    Export("xlsx", "Excel", v1=False),
    Export("xls", "Excel", v1=True),
    Export("parquet", "Parquet", v1=False),
    Export("geojson", "GeoJSON", geo_only=True),
    Export("kml", "KML", geo_only=True),
    Export("shp", "Shapefile", geo_only=True),
)


@dataclass(frozen=True, slots=True)
class Context:
    """What every distribution of one dataset shares."""

    site: str
    dataset_id: str
    v1: bool
    title: str
    lang: str
    licence: LicenceRef | None
    modified: date | datetime | None


def _id(value: str) -> str:
    return quote(value, safe="")


def export_url(ctx: Context, fmt: str) -> str:
    """The download URL of the records in ``fmt``."""
    if ctx.v1:
        query = urlencode({"dataset": ctx.dataset_id, "format": fmt})
        return f"{ctx.site}/api/records/1.0/download/?{query}"
    return f"{ctx.site}/api/explore/v2.1/catalog/datasets/{_id(ctx.dataset_id)}/exports/{fmt}"


def records_url(ctx: Context) -> str:
    """The records API endpoint of the dataset."""
    if ctx.v1:
        return f"{ctx.site}/api/records/1.0/search/?{urlencode({'dataset': ctx.dataset_id})}"
    return f"{ctx.site}/api/explore/v2.1/catalog/datasets/{_id(ctx.dataset_id)}/records"


def file_url(ctx: Context, kind: str, item: dict[str, Any]) -> str | None:
    """The download URL of an attachment or alternative export.

    An http(s) ``url`` is kept; ``odsfile://`` files are served by the portal under
    ``…/attachments/{id}`` (v2.1) or the v1 ``/api/datasets/1.0/{dataset}/{kind}s/{id}``."""
    direct = url(item.get("url")) or url(item.get("href"))
    if direct:
        return direct
    file_id = text(item.get("id"))
    if not file_id:
        return None
    if kind == "attachment" and not ctx.v1:
        base = f"{ctx.site}/api/explore/v2.1/catalog/datasets/{_id(ctx.dataset_id)}"
        return f"{base}/attachments/{_id(file_id)}"
    return f"{ctx.site}/api/datasets/1.0/{_id(ctx.dataset_id)}/{kind}s/{_id(file_id)}"


def _exports_for(dataset: dict[str, Any], records_count: int | None, v1: bool) -> list[Export]:
    geo = "geo" in strings(dataset.get("features"))
    chosen: list[Export] = []
    for export in EXPORTS:
        if export.v1 != v1 and export.fmt in ("xls", "xlsx", "parquet"):
            continue
        if export.geo_only and not geo:
            continue
        if export.fmt == "shp" and (records_count or 0) > SHAPEFILE_RECORDS_LIMIT:
            continue
        chosen.append(export)
    return chosen


def _localized(value: str | None, lang: str) -> dict[str, str]:
    return {lang: value} if value else {}


def export_distribution(ctx: Context, export: Export) -> Distribution:
    """One export of the records as a downloadable distribution."""
    address = export_url(ctx, export.fmt)
    info = normalize_format(export.fmt)
    return Distribution(
        identifier=f"{ctx.dataset_id}/exports/{export.fmt}",
        title=_localized(f"{ctx.title} ({export.label})", ctx.lang),
        access_url=address,
        download_url=address,
        format=info.label if info else export.label,
        file_type=info.file_type if info else None,
        media_type=info.media_type if info else None,
        licence=ctx.licence,
        modified=ctx.modified,
    )


def records_distribution(ctx: Context) -> Distribution:
    """The records API as an API-access distribution (queryable data)."""
    endpoint = records_url(ctx)
    return Distribution(
        identifier=f"{ctx.dataset_id}/records",
        title=_localized(f"{ctx.title} (API)", ctx.lang),
        access_url=endpoint,
        format="API",
        licence=ctx.licence,
        modified=ctx.modified,
        api_access=True,
        endpoint_url=endpoint,
    )


def file_format(mimetype: str | None, name: str) -> FormatInfo | None:
    """The format of an attached file from its MIME type, else its file name's extension
    (``odsfile://extra.xls`` with the non-standard ``application/xls`` → XLS)."""
    media = mimetype if mimetype and "/" in mimetype else None
    info = normalize_format(None, media_type=media) if media else None
    if info is None or info.file_type is None:
        path = name.removeprefix("odsfile://").split("?", 1)[0]
        suffix = PurePosixPath(path).suffix.lstrip(".")
        by_name = normalize_format(suffix) if suffix else None
        if by_name is not None and by_name.file_type:
            info = by_name
    return info


def file_distribution(ctx: Context, kind: str, item: dict[str, Any]) -> Distribution | None:
    """An attachment or alternative export as a distribution (None without id or URL)."""
    address = file_url(ctx, kind, item)
    if address is None:
        return None
    mimetype = text(item.get("mimetype"))
    info = file_format(mimetype, text(item.get("url")) or address)
    title = text(item.get("title")) or text(item.get("id"))
    return Distribution(
        identifier=f"{ctx.dataset_id}/{kind}s/{text(item.get('id')) or address}",
        title=_localized(title, ctx.lang),
        description=_localized(text(item.get("description")), ctx.lang),
        access_url=address,
        download_url=address,
        format=info.label if info else None,
        file_type=info.file_type if info else None,
        media_type=(info.media_type if info else None) or mimetype,
        licence=ctx.licence,
        modified=ctx.modified,
    )


def distributions(
    dataset: dict[str, Any], ctx: Context, *, records_count: int | None
) -> list[Distribution]:
    """Every distribution of the dataset: exports and records API (when it has visible
    records), then attachments and alternative exports."""
    found: list[Distribution] = []
    if dataset.get("has_records") is True and dataset.get("data_visible") is not False:
        found.extend(
            export_distribution(ctx, e) for e in _exports_for(dataset, records_count, ctx.v1)
        )
        found.append(records_distribution(ctx))
    for kind in ("alternative_export", "attachment"):
        items = dataset.get(f"{kind}s")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                made = file_distribution(ctx, kind, item)
                if made is not None:
                    found.append(made)
    return found
