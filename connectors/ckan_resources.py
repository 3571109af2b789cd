"""CKAN resources → DCAT distributions.

``url`` is always the access URL; it is also the download URL when it looks like a file
(an upload, or a path ending in a data file extension). Queryable endpoints get
``api_access``: the CKAN DataStore (``datastore_active``), OGC/Esri services and API
resources, and ckanext-dcat ``access_services``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from catalog.model import Checksum, Distribution, trusted
from catalog.vocab import language_code, normalize_format, normalize_licence
from catalog.vocab.formats import SERVICE_FORMATS, is_service
from connectors.ckan_values import Package
from connectors.values import (
    blank,
    byte_size,
    decoded,
    strings,
    text,
    translated,
    url,
    when,
)

__all__ = [
    "API_FORMATS",
    "FILE_EXTENSIONS",
    "byte_size",
    "checksum",
    "distribution",
    "distributions",
    "is_service",
    "looks_like_file",
]

FILE_EXTENSIONS = frozenset(
    "csv tsv txt json geojson jsonld xml xls xlsx ods odt pdf doc docx zip gz tgz bz2 7z tar "
    "shp dbf kml kmz gml gpkg gpx tif tiff geotiff png jpg jpeg svg parquet sqlite rdf ttl nt "
    "n3 xsd dwg dxf las laz nc hdf h5 sav dta sas7bdat rds".split()
)
API_FORMATS = SERVICE_FORMATS
_HASH_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def looks_like_file(resource: dict[str, Any], address: str | None) -> bool:
    """Whether the resource URL downloads a file (upload, or a data file extension)."""
    if text(resource.get("url_type")) == "upload" or text(resource.get("resource_type")) in (
        "file.upload",
        "file",
    ):
        return True
    if not address:
        return False
    return _suffix(_url_path(address)).lower().lstrip(".") in FILE_EXTENSIONS


_PLAIN_HTTP = re.compile(r"https?://([^/?#\[\]]*)(?=[/?#]|\Z)([^?#]*)", re.I)


def _url_path(address: str) -> str:
    """``urlsplit(address).path``; read directly for the plain http(s) URLs resources carry
    (ASCII host, no brackets, no white space), which urlsplit would neither clean nor
    reject. Anything else goes through urlsplit (and may raise as it does)."""
    match = _PLAIN_HTTP.match(address)
    if match and match[1].isascii() and address.isprintable() and " " not in address:
        return match[2]
    return urlsplit(address).path


def _suffix(path: str) -> str:
    """``PurePosixPath(path).suffix``, without building the path object: the extension of
    the last part (empty and ``.`` parts dropped), unless it starts or ends the name."""
    parts = [part for part in path.split("/") if part and part != "."]
    name = parts[-1] if parts else ""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def checksum(resource: dict[str, Any]) -> Checksum | None:
    """The resource hash, with its algorithm from ``hash_algorithm``, a prefix or length."""
    value = text(resource.get("hash"))
    if not value:
        return None
    algorithm = text(resource.get("hash_algorithm"))
    if algorithm:
        algorithm = re.split(r"[#_/]", algorithm)[-1].lower()
    elif ":" in value:
        algorithm, _, value = value.partition(":")
    else:
        algorithm = _HASH_ALGORITHMS.get(len(value))
    if not algorithm or not re.fullmatch(r"[0-9a-fA-F]+", value):
        return None
    return Checksum(algorithm=algorithm.lower(), value=value.lower())


def _api(
    resource: dict[str, Any],
    has_file_format: bool,
    api_url: str | None,
    *,
    identifier: str | None,
    address: str | None,
    raw_format: str | None,
) -> tuple[bool, str | None]:
    """Whether the resource answers queries, and its endpoint (``identifier``, ``address``
    and ``raw_format`` are the resource's ``id``, ``url`` and ``format``, already read)."""
    if resource.get("datastore_active") is True and identifier and api_url:
        return True, f"{api_url.rstrip('/')}/datastore_search?resource_id={quote(identifier)}"
    services = resource.get("access_services")
    if services is not None:
        services = decoded(services)
        for service in services if isinstance(services, list) else []:
            endpoints = strings(service.get("endpoint_url")) if isinstance(service, dict) else []
            if endpoints:
                return True, endpoints[0]
    if (raw_format or "").lower() in API_FORMATS:
        return True, address
    kind = (text(resource.get("resource_type")) or "").lower()
    # HDX marks every *link* "api"; only a resource without a file format is an API there.
    if kind in ("api", "web") and not has_file_format and not looks_like_file({}, address):
        return True, address
    return False, None


def _languages(value: Any) -> list[str]:
    if value is None:
        return []
    codes = [language_code(item) for item in strings(value)]
    return list(dict.fromkeys(code for code in codes if code))


def distribution(
    resource: dict[str, Any], *, api_url: str | None, default_lang: str = ""
) -> Distribution:
    """One CKAN resource as a Distribution (bad fields dropped)."""
    get = resource.get
    link = url(get("url"))
    address = url(get("access_url")) or link
    download = url(get("download_url")) or (link if looks_like_file(resource, link) else None)
    mimetype = text(get("mimetype"))
    media_type = mimetype if mimetype and "/" in mimetype else None
    raw_format = text(get("format"))
    info = normalize_format(raw_format, media_type=media_type, url=download or address)
    service = is_service(raw_format, info.file_type if info else None)
    has_file_format = bool(info and info.file_type) and not service
    identifier = text(get("id"))
    api_access, endpoint = _api(
        resource,
        has_file_format,
        api_url,
        identifier=identifier,
        address=link,
        raw_format=raw_format,
    )
    if service and not api_access:
        api_access, endpoint = True, address
    licence_value = get("license") or get("license_id")
    licence = None
    if not blank(licence_value):
        licence = (
            normalize_licence(url=text(licence_value))
            if url(licence_value)
            else normalize_licence(text(licence_value))
        )
    rights_value = get("rights")
    rights = translated(rights_value, default_lang) if rights_value is not None else {}
    hashed = get("hash")
    # every value below already has its exact field type: no validation needed (see trusted)
    return trusted(
        Distribution,
        {
            "identifier": identifier,
            "uri": url(get("uri")),
            "title": translated(get("name_translated"), default_lang)
            or translated(get("name") or get("title"), default_lang),
            "description": translated(get("description_translated"), default_lang)
            or translated(get("description"), default_lang),
            "access_url": address,
            "download_url": download,
            "format": info.label if info else raw_format,
            "file_type": info.file_type if info else None,
            "media_type": (info.media_type if info else None) or media_type,
            "byte_size": byte_size(get("size")),
            "licence": licence,
            "rights": rights.get(default_lang) or next(iter(rights.values()), None),
            "issued": when(get("issued") or get("created")),
            "modified": when(get("modified") or get("last_modified") or get("metadata_modified")),
            "language": _languages(get("language")),
            "checksum": checksum(resource) if hashed is not None and hashed != "" else None,
            "api_access": api_access,
            "endpoint_url": endpoint,
            "conforms_to": strings(get("conforms_to")) if get("conforms_to") is not None else [],
        },
    )


def distributions(
    package: Package, *, api_url: str | None, default_lang: str = ""
) -> list[Distribution]:
    """The package's resources that are not deleted, in CKAN's order."""
    resources = package.get("resources")
    found: list[Distribution] = []
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict):
            continue
        if (text(resource.get("state")) or "active").lower() == "deleted":
            continue
        found.append(distribution(resource, api_url=api_url, default_lang=default_lang))
    return found
