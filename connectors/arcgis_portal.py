"""ArcGIS Online / Enterprise portals: item mapping.

Portal URLs and the ``/sharing/rest/search`` API live in
:mod:`connectors.arcgis_portal_search`; their names are re-exported here.

Item → DatasetRecord (pure, :func:`normalize_item`)::

    id / title / snippet, description (HTML → text)      identifier / title / description
    tags, categories                                     keywords, themes (last path part)
    culture                                              language (and the text's tag)
    created / modified (epoch ms)                        issued / modified
    extent [[xmin, ymin], [xmax, ymax]] (WGS 84)         spatial bbox
    licenseInfo (HTML)                                   licence (normalize_licence)
    accessInformation (credits)                          publisher, when it is a short name
    owner                                                creator (with the user's page)
    access ≠ public                                      RecordSkipped
    url of a service item                                API-access distribution (endpoint)
    file items (CSV, Shapefile, GeoJSON, FGDB, KML…)     download …/content/items/{id}/data
    Web Map / Web Scene / Feature Collection             its JSON definition (…/data)
    "Metadata" type keyword                              documentation: formal metadata XML

Items whose type is not a data type (apps, Hub sites, dashboards, story maps…) are skipped
unless the source lists their type in ``item_types``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from catalog.dates import parse_date
from catalog.model import (
    Agent,
    DatasetRecord,
    Distribution,
    LicenceRef,
    Provenance,
    SpatialCoverage,
)
from catalog.vocab import language_code, language_tag, normalize_format, normalize_licence
from connectors.arcgis_portal_search import (
    SEARCH_WINDOW,
    Item,
    arcgis_error,
    build_query,
    check,
    epoch_ms_19,
    is_portal_url,
    item_page,
    item_url,
    org_id_of,
    portal_root,
    search_page,
    sharing_url,
)
from connectors.base import SourceSpec
from connectors.ckan_values import dedupe, text, url
from connectors.dcat_us_text import plain_text
from connectors.errors import RecordInvalid, RecordSkipped

__all__ = [
    "DEFINITION",
    "FILE",
    "ITEM_TYPES",
    "MAX_CREDIT_NAME",
    "SEARCH_WINDOW",
    "SERVICE",
    "Item",
    "arcgis_error",
    "build_query",
    "check",
    "check_included",
    "creators",
    "distributions",
    "documentation",
    "epoch_ms_19",
    "extent_bbox",
    "is_portal_url",
    "item_id",
    "item_page",
    "item_url",
    "language",
    "licence",
    "normalize_item",
    "org_id_of",
    "portal_root",
    "publisher",
    "search_page",
    "sharing_url",
]

MAX_CREDIT_NAME = 120
"""An ``accessInformation`` longer than this is a credits paragraph, not a publisher name."""

SERVICE, FILE, DEFINITION = "service", "file", "definition"
ITEM_TYPES: dict[str, tuple[str, str]] = {
    "Feature Service": (SERVICE, "Esri REST"),
    "Map Service": (SERVICE, "Esri REST"),
    "Image Service": (SERVICE, "Esri REST"),
    "Vector Tile Service": (SERVICE, "Esri REST"),
    "Scene Service": (SERVICE, "Esri REST"),
    "WMS": (SERVICE, "WMS"),
    "WFS": (SERVICE, "WFS"),
    "WMTS": (SERVICE, "WMTS"),
    "OGCFeatureServer": (SERVICE, "OGC API Features"),
    "CSV": (FILE, "CSV"),
    "CSV Collection": (FILE, "ZIP"),
    "Microsoft Excel": (FILE, "XLSX"),
    "Shapefile": (FILE, "Shapefile"),
    "GeoJson": (FILE, "GeoJSON"),
    "File Geodatabase": (FILE, "File Geodatabase"),
    "KML": (FILE, "KML"),
    "KML Collection": (FILE, "ZIP"),
    "GeoPackage": (FILE, "GeoPackage"),
    "PDF": (FILE, "PDF"),
    "Microsoft Word": (FILE, "Microsoft Word"),
    "CAD Drawing": (FILE, "DWG"),
    "Image": (FILE, "GeoTIFF"),
    "Web Map": (DEFINITION, "JSON"),
    "Web Scene": (DEFINITION, "JSON"),
    "Feature Collection": (DEFINITION, "JSON"),
}
"""Item type → (how its data is reached, format name for :func:`normalize_format`)."""

_CREDITS_PREFIX = re.compile(r"^\s*(?:sources?|credits?|courtesy of)\s*:\s*", re.I)
_BLANK = frozenset({"", "null", "none", "undefined"})


# -- item mapping -----------------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    cleaned = text(value)
    return None if cleaned is None or cleaned.lower() in _BLANK else cleaned


def item_id(item: Item) -> str | None:
    """The item's id."""
    return _clean(item.get("id"))


def check_included(item: Item, item_types: list[str] | tuple[str, ...] = ()) -> str:
    """The item type; RecordSkipped for items that are not public or not data."""
    kind = _clean(item.get("type")) or "?"
    access = (_clean(item.get("access")) or "public").lower()
    if access != "public":
        raise RecordSkipped(f"item {item.get('id')} is not public (access: {access})")
    if kind not in ITEM_TYPES and kind not in item_types:
        raise RecordSkipped(f"item {item.get('id')} is a {kind}, not a dataset")
    return kind


def language(item: Item) -> str | None:
    """The item's EU language code from its ``culture`` ("fr-ca" → "FRA")."""
    culture = _clean(item.get("culture"))
    return language_code(culture.split("-")[0]) if culture else None


def extent_bbox(item: Item) -> tuple[float, float, float, float] | None:
    """The item's extent ``[[xmin, ymin], [xmax, ymax]]`` (WGS 84) as a bbox."""
    extent = item.get("extent")
    try:
        (west, south), (east, north) = extent  # type: ignore[misc]
        box = tuple(float(v) for v in (west, south, east, north))
    except (TypeError, ValueError):
        return None
    west, south, east, north = box
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
        return (west, south, east, north)
    return None


def _themes(item: Item) -> list[str]:
    categories = item.get("categories")
    found = [
        part.rstrip("/").rsplit("/", 1)[-1].strip()
        for part in (categories if isinstance(categories, list) else [])
        if isinstance(part, str)
    ]
    return dedupe([f for f in found if f])


def _keywords(item: Item) -> list[str]:
    tags = item.get("tags")
    return dedupe([t for tag in (tags if isinstance(tags, list) else []) if (t := _clean(tag))])


def publisher(item: Item, source: SourceSpec, lang: str) -> Agent | None:
    """The credits (``accessInformation``) when they name someone, else the partner."""
    credits = plain_text(_clean(item.get("accessInformation")))
    credits = _CREDITS_PREFIX.sub("", credits) if credits else None
    if credits and len(credits) <= MAX_CREDIT_NAME and "\n" not in credits:
        kind = source.partner_kind if credits == source.partner_name else None
        return Agent(name={lang: credits}, kind=kind)
    if source.partner_name:
        return Agent(name={"": source.partner_name}, kind=source.partner_kind)
    return None


def creators(item: Item, root: str) -> list[Agent]:
    """The item's owner (a portal user name) with their profile page."""
    owner = _clean(item.get("owner"))
    if not owner:
        return []
    page = f"{root.rstrip('/')}/home/user.html?user={quote(owner, safe='')}"
    return [Agent(name={"": owner}, identifier=owner, homepage=page)]


def licence(item: Item) -> LicenceRef | None:
    """The licence from ``licenseInfo`` (HTML, a name, a URL); ``"null"`` is none."""
    value = _clean(item.get("licenseInfo"))
    return normalize_licence(value) if value else None


def _size(item: Item) -> int | None:
    size = item.get("size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None


def distributions(item: Item, root: str, kind: str, lang: str) -> list[Distribution]:
    """The ways to reach the item's data (see the module docstring)."""
    ident = item_id(item) or ""
    how, fmt = ITEM_TYPES.get(kind, ("", ""))
    address = url(item.get("url"))
    title = {lang: _clean(item.get("title")) or kind}
    info = normalize_format(fmt or None, url=address)
    common: dict[str, Any] = {
        "format": info.label if info else None,
        "file_type": info.file_type if info else None,
        "media_type": info.media_type if info else None,
    }
    if how == SERVICE:
        if not address:
            return []
        return [
            Distribution(
                title=title,
                access_url=address,
                api_access=True,
                endpoint_url=address,
                **common,
            )
        ]
    if how == FILE:
        download = address or item_url(root, ident, "/data")
        return [
            Distribution(
                title=title,
                access_url=download,
                download_url=download,
                byte_size=None if address else _size(item),
                **common,
            )
        ]
    if how == DEFINITION:
        return [
            Distribution(
                title={lang: f"{kind} definition"},
                access_url=item_url(root, ident, "/data"),
                **common,
            )
        ]
    return [Distribution(title=title, access_url=address)] if address else []


def documentation(item: Item, root: str) -> list[str]:
    """``documentation`` when it is a URL, and the formal metadata of items that have one."""
    found = [u] if (u := url(item.get("documentation"))) else []
    keywords = item.get("typeKeywords")
    if isinstance(keywords, list) and "Metadata" in keywords and item_id(item):
        found.append(item_url(root, item_id(item) or "", "/info/metadata/metadata.xml"))
    return found


def normalize_item(
    item: Any,
    source: SourceSpec,
    *,
    root: str,
    fetched_at: datetime,
    item_types: list[str] | tuple[str, ...] = (),
    platform: str = "arcgis",
) -> DatasetRecord:
    """Map one portal item to a DatasetRecord (RecordSkipped/RecordInvalid when it cannot)."""
    if not isinstance(item, dict):
        raise RecordInvalid(f"ArcGIS item is a {type(item).__name__}, not an object")
    ident = item_id(item)
    if not ident:
        raise RecordInvalid(f"ArcGIS item without id in {root}")
    kind = check_included(item, item_types)
    code = language(item)
    lang = (language_tag(code) or "") if code else ""
    name = _clean(item.get("title")) or _clean(item.get("name"))
    if not name:
        raise RecordInvalid(f"item {ident} in {root} has no title")
    about = plain_text(item.get("description")) or plain_text(_clean(item.get("snippet")))
    box = extent_bbox(item)
    keywords = _keywords(item)
    page = item_page(root, ident)
    return DatasetRecord(
        identifier=ident,
        uri=page,
        title={lang: name},
        description={lang: about} if about else {},
        keywords={lang: keywords} if keywords else {},
        themes=_themes(item),
        publisher=publisher(item, source, lang),
        creators=creators(item, root),
        licence=licence(item),
        access_rights="PUBLIC",
        issued=parse_date(item.get("created")),
        modified=parse_date(item.get("modified")),
        spatial=[SpatialCoverage(bbox=box)] if box else [],
        landing_page=page,
        language=[code] if code else [],
        documentation=documentation(item, root),
        distributions=distributions(item, root, kind, lang),
        provenance=Provenance(
            source_id=source.id,
            remote_id=ident,
            platform=platform,
            original_url=page,
            api_url=item_url(root, ident, "?f=json"),
            harvested_at=fetched_at,
        ),
    )
