"""DCAT-US distributions → DCAT-AP distributions.

``downloadURL`` is the download URL; ``accessURL`` the access URL, or the download URL when
only that is given (DCAT-AP makes the access URL mandatory). ``format``/``mediaType`` go
through :func:`catalog.vocab.normalize_format`. ``conformsTo`` and the ``describedBy`` data
dictionary both become ``conforms_to`` (DCAT-AP 3: the schema the distribution follows).
A distribution without its own ``license``/``rights`` (DCAT-US 1.1 has none) gets the
dataset's.

``api_access`` marks endpoints that answer queries: format ``API`` or a service format
(Esri REST, WMS…), Esri REST ``FeatureServer``/``MapServer``/``ImageServer`` URLs and Socrata
SODA ``/resource/xxxx-xxxx`` URLs; ``endpoint_url`` is then that URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from catalog.html_text import plain_text
from catalog.model import Distribution, LicenceRef
from catalog.vocab import FormatInfo, is_service, normalize_format
from connectors.values import dedupe, text, url

API_FORMATS = frozenset(
    {"api", "esri rest", "arcgis geoservices rest api", "geoservice", "rest", "soda", "odata"}
)
_ESRI_SERVICE = re.compile(
    r"/rest/services/.+/(?:FeatureServer|MapServer|ImageServer|GeocodeServer|WMSServer"
    r"|WFSServer|SceneServer|VectorTileServer)(?:/|$|\?)",
    re.I,
)
_SODA = re.compile(r"/resource/[a-z0-9]{4}-[a-z0-9]{4}(?:\.\w+)?(?:$|\?)", re.I)


def link(value: Any) -> str | None:
    """An http(s) URL from a string or a DCAT-US 3 ``{"@id": …}`` object."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return url(value)


def is_api_url(address: str | None) -> bool:
    """Whether ``address`` is an Esri REST service or a Socrata SODA resource endpoint."""
    return bool(address) and bool(
        _ESRI_SERVICE.search(address or "") or _SODA.search(address or "")
    )


def _api(raw_format: str | None, info: FormatInfo | None, address: str | None) -> bool:
    folded = (raw_format or "").strip().lower()
    if folded in API_FORMATS or is_service(raw_format, info.file_type if info else None):
        return True
    if info is not None and info.file_type == "REST":
        return True
    return is_api_url(address)


def links(item: dict[str, Any], *keys: str) -> list[str]:
    """The URLs of ``item``'s ``keys`` (each a link or a list of links), repeats dropped."""
    found: list[str] = []
    for key in keys:
        value = item.get(key)
        for entry in value if isinstance(value, list) else [value]:
            address = link(entry)
            if address:
                found.append(address)
    return dedupe(found)


def distribution(
    item: dict[str, Any],
    *,
    licence: LicenceRef | None,
    rights: str | None,
    lang: str = "",
    own_licence: LicenceRef | None = None,
) -> Distribution | None:
    """One DCAT-US distribution (None when it has no URL at all)."""
    download = link(item.get("downloadURL"))
    access = link(item.get("accessURL")) or download
    if access is None:
        return None
    raw_format = text(item.get("format"))
    media = text(item.get("mediaType"))
    info = normalize_format(raw_format, media_type=media, url=download or access)
    api = _api(raw_format, info, access)
    title = plain_text(item.get("title"))
    description = plain_text(item.get("description"))
    return Distribution(
        identifier=text(item.get("identifier")) or text(item.get("@id")),
        uri=url(item.get("@id")),
        title={lang: title} if title else {},
        description={lang: description} if description else {},
        access_url=access,
        download_url=download,
        format=info.label if info else raw_format,
        file_type=info.file_type if info else None,
        media_type=(info.media_type if info else None)
        or (media if media and "/" in media else None),
        licence=own_licence or licence,
        rights=plain_text(item.get("rights")) or rights,
        api_access=api,
        endpoint_url=access if api else None,
        conforms_to=links(item, "conformsTo", "describedBy"),
    )


def distributions(
    dataset: dict[str, Any],
    *,
    licence: LicenceRef | None,
    rights: str | None,
    lang: str = "",
    licence_of: Callable[[dict[str, Any]], LicenceRef | None] | None = None,
) -> list[Distribution]:
    """The dataset's distributions in order; ``licence_of(item)`` reads a distribution's own
    licence (DCAT-US 3), falling back to the dataset ``licence``."""
    value = dataset.get("distribution")
    found: list[Distribution] = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            continue
        own = licence_of(item) if licence_of is not None else None
        mapped = distribution(item, licence=licence, rights=rights, lang=lang, own_licence=own)
        if mapped is not None:
            found.append(mapped)
    return found


def service_distribution(dataset: dict[str, Any], known: list[Distribution]) -> Distribution | None:
    """An API distribution for the ArcGIS Open Data ``webService`` URL when no distribution
    already points at it."""
    address = url(dataset.get("webService"))
    if address is None or any(address in (d.access_url, d.endpoint_url) for d in known):
        return None
    info = normalize_format("Esri REST") if _ESRI_SERVICE.search(address) else None
    return Distribution(
        access_url=address,
        format=info.label if info else None,
        file_type=info.file_type if info else None,
        api_access=True,
        endpoint_url=address,
    )
