"""The distributions of a Socrata asset, by kind.

Socrata serves every asset through fixed URLs, so distributions are built from the asset id
and its domain rather than read from the metadata:

==========  ==================================================================================
kind        distributions
==========  ==================================================================================
dataset     CSV and JSON exports (``/api/views/{id}/rows.csv?accessType=DOWNLOAD``) and the
filter      SODA endpoint ``/resource/{id}.json`` (``api_access``: the data answers SoQL)
map         GeoJSON, KML, KMZ and Shapefile exports (``/api/geospatial/{id}?method=export…``),
            plus the SODA endpoint when the map has columns (a queryable layer)
file        the uploaded file (``/download/{id}/{mime}`` or, from the views API, its blob)
href        the external access points declared in the views API metadata, if any
==========  ==================================================================================

A blob uploaded with any kind (a zipped shapefile behind a map) is listed too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from catalog.model import Distribution
from catalog.vocab import normalize_format
from connectors.socrata_api import (
    blob_download_url,
    geo_export_url,
    rows_export_url,
    soda_url,
    view_file_url,
)
from connectors.values import byte_size, text, url

TABULAR_EXPORTS = (("csv", "CSV"), ("json", "JSON"))
GEO_EXPORTS = ("GeoJSON", "KML", "KMZ", "Shapefile")
SODA_DOCS = "https://dev.socrata.com/docs/endpoints.html"


@dataclass(frozen=True)
class Blob:
    """A file uploaded to an asset (views API ``blob*`` fields, Discovery ``blob_mime_type``)."""

    mime_type: str | None = None
    file_id: str | None = None
    filename: str | None = None
    size: int | None = None


def _formatted(
    ident: str,
    fmt: str | None,
    *,
    title: str,
    download: str | None = None,
    access: str | None = None,
    media_type: str | None = None,
    modified: date | datetime | None = None,
    size: int | None = None,
) -> Distribution:
    info = normalize_format(fmt, media_type=media_type, url=download)
    return Distribution(
        identifier=ident,
        title={"": title},
        access_url=access or download,
        download_url=download,
        format=info.label if info else fmt,
        file_type=info.file_type if info else None,
        media_type=(info.media_type if info else None) or media_type,
        byte_size=size,
        modified=modified,
    )


def soda_distribution(
    domain: str, asset_id: str, modified: date | datetime | None = None
) -> Distribution:
    """The SODA 2 endpoint as an API-access distribution."""
    endpoint = soda_url(domain, asset_id)
    info = normalize_format("JSON")
    return Distribution(
        identifier=f"{asset_id}-soda",
        title={"": "SODA API"},
        access_url=endpoint,
        format=info.label if info else "JSON",
        file_type=info.file_type if info else None,
        media_type=info.media_type if info else None,
        modified=modified,
        api_access=True,
        endpoint_url=endpoint,
        conforms_to=[SODA_DOCS],
    )


def _exports(
    asset_id: str, modified: date | datetime | None, exports: Iterable[tuple[str, str, str]]
) -> list[Distribution]:
    """One "{format} export" download per ``(id suffix, format, URL)``."""
    return [
        _formatted(
            f"{asset_id}-{suffix}",
            fmt,
            title=f"{fmt} export",
            download=address,
            modified=modified,
        )
        for suffix, fmt, address in exports
    ]


def tabular(domain: str, asset_id: str, modified: date | datetime | None) -> list[Distribution]:
    """CSV and JSON exports."""
    return _exports(
        asset_id,
        modified,
        ((ext, fmt, rows_export_url(domain, asset_id, ext)) for ext, fmt in TABULAR_EXPORTS),
    )


def geospatial(domain: str, asset_id: str, modified: date | datetime | None) -> list[Distribution]:
    """GeoJSON, KML, KMZ and Shapefile exports of a map."""
    return _exports(
        asset_id,
        modified,
        ((fmt.lower(), fmt, geo_export_url(domain, asset_id, fmt)) for fmt in GEO_EXPORTS),
    )


def blob(
    domain: str, asset_id: str, found: Blob, modified: date | datetime | None
) -> list[Distribution]:
    """The uploaded file, when its id or media type is known."""
    mime = (found.mime_type or "").split(";")[0].strip() or None
    if found.file_id:
        address = view_file_url(domain, asset_id, found.file_id, found.filename)
    elif mime:
        address = blob_download_url(domain, asset_id, mime)
    else:
        return []
    extension = (
        found.filename.rsplit(".", 1)[-1] if found.filename and "." in found.filename else None
    )
    return [
        _formatted(
            f"{asset_id}-file",
            extension,
            title=found.filename or "File",
            download=address,
            media_type=mime,
            modified=modified,
            size=found.size,
        )
    ]


def access_points(asset_id: str, points: Any) -> list[Distribution]:
    """External access points of an ``href`` asset (views ``metadata.accessPoints``:
    ``{format: url}``)."""
    found: list[Distribution] = []
    for fmt, address in points.items() if isinstance(points, dict) else []:
        link = url(address)
        if link:
            label = text(fmt) or "link"
            found.append(_formatted(f"{asset_id}-{label.lower()}", label, title=label, access=link))
    return found


def distributions(
    kind: str,
    domain: str,
    asset_id: str,
    *,
    modified: date | datetime | None = None,
    has_columns: bool = False,
    found_blob: Blob | None = None,
    points: Any = None,
) -> list[Distribution]:
    """Every distribution of an asset of ``kind`` (see the module docstring)."""
    result: list[Distribution] = []
    if kind in ("dataset", "filter"):
        result += tabular(domain, asset_id, modified)
        result.append(soda_distribution(domain, asset_id, modified))
    elif kind == "map":
        result += geospatial(domain, asset_id, modified)
        if has_columns:
            result.append(soda_distribution(domain, asset_id, modified))
    elif kind == "href":
        result += access_points(asset_id, points)
    if found_blob is not None:
        result += blob(domain, asset_id, found_blob, modified)
    return result


def blob_size(value: Any) -> int | None:
    """A blob size in bytes (int or digit string)."""
    return byte_size(value) if value is not None else None
