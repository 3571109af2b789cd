"""Distribution formats → a display label, an IANA media type and an EU file-type code.

Portals describe formats loosely: CKAN ``format`` strings in any case (``".csv"``,
``"CSV "``, ``"zip+csv"``, ``"Esri REST"``), media types with parameters
(``"text/csv; charset=utf-8"``), EU file-type or IANA URIs, or nothing at all but a
download URL. :func:`normalize_format` maps all of these to one :class:`FormatInfo`.

The format table (labels, media types, file-type codes, aliases) is in
:mod:`catalog.vocab.format_table`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import parse_qs, urlsplit

from catalog.vocab._fold import fold_spaces
from catalog.vocab.format_table import (
    GENERIC_MEDIA_TYPES,
    OPEN_FILE_TYPES,
    SERVICE_FORMATS,
    TABLE,
    TABULAR_FILE_TYPES,
    FormatInfo,
)

__all__ = [
    "FILE_TYPE_BASE",
    "MEDIA_TYPE_BASE",
    "SERVICE_FORMATS",
    "FormatInfo",
    "file_type_uri",
    "is_open_format",
    "is_service",
    "is_tabular",
    "media_type_uri",
    "normalize_format",
]

FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"

_MEDIA_RE = re.compile(
    r"^(?:application|text|image|audio|video|model|font|multipart|message|chemical|x-[\w.-]+)"
    r"/[\w.+!#$&^-]+$"
)
_PACKAGED_RE = re.compile(r"^(?P<inner>.+) \(ZIP\)$")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9.+-]+")
_PACKAGE_SEP = re.compile(r"\s*[+:]\s*")
_PAREN = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)$")
_URL_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/(?:featureserver|mapserver|imageserver)(?:/|$)", re.I), "esri rest"),
    (re.compile(r"/arcgis/rest/services", re.I), "esri rest"),
)


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces, no leading dot."""
    return fold_spaces(text).lstrip(".").strip()


def _build() -> tuple[
    dict[str, FormatInfo], dict[str, FormatInfo], dict[str, FormatInfo], dict[str, FormatInfo]
]:
    names: dict[str, FormatInfo] = {}
    media: dict[str, FormatInfo] = {}
    exts: dict[str, FormatInfo] = {}
    codes: dict[str, FormatInfo] = {}
    for info, aliases in TABLE:
        for name in (info.label, *((info.file_type,) if info.file_type else ()), *aliases):
            names.setdefault(_fold(name), info)
            names.setdefault(_fold(name).replace("_", " "), info)
        if info.media_type:
            media.setdefault(info.media_type, info)
        if info.file_type:
            codes.setdefault(info.file_type, info)
        for alias in aliases:
            if alias.startswith("."):
                exts.setdefault(alias, info)
            elif _MEDIA_RE.match(alias):
                media.setdefault(alias, info)
    return names, media, exts, codes


_BY_NAME, _BY_MEDIA, _BY_EXT, _BY_CODE = _build()
_ZIP = _BY_CODE["ZIP"]
_BY_MEDIA["application/rdf+xml"] = _BY_CODE["RDF_XML"]  # the type names the syntax


def file_type_uri(code: str) -> str:
    """The EU file-type authority URI of ``code`` (e.g. ``"CSV"``)."""
    return FILE_TYPE_BASE + code


def media_type_uri(media_type: str) -> str:
    """The IANA URI of ``media_type`` (e.g. ``"text/csv"``)."""
    return MEDIA_TYPE_BASE + media_type


def _clean_media_type(value: str) -> str | None:
    """``"Text/CSV; charset=utf-8"`` → ``"text/csv"``; ``None`` when not a media type."""
    value = value.strip()
    for prefix in (MEDIA_TYPE_BASE, "http://www.iana.org/assignments/media-types/"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    value = value.split(";", 1)[0].strip().lower()
    return value if _MEDIA_RE.match(value) else None


def _packaged(inner: FormatInfo) -> FormatInfo:
    if inner.file_type in {"ZIP", "SHP"}:  # shapefiles travel zipped by nature
        return inner
    return FormatInfo(f"{inner.label} (ZIP)", _ZIP.media_type, _ZIP.file_type)


def _by_name(text: str) -> FormatInfo | None:
    """Look a format string up, trying its compound and multi-word forms."""
    key = _fold(text)
    if not key:
        return None
    for candidate in (key, key.replace(" ", ""), key.replace("_", " ")):
        if candidate in _BY_NAME:
            return _BY_NAME[candidate]
    parts = [p for p in _PACKAGE_SEP.split(key) if p]
    if match := _PAREN.match(key):
        parts = [match["outer"], match["inner"]]
    if len(parts) == 2:
        found = [_BY_NAME.get(p) for p in parts]
        if all(found) and _ZIP in found:
            other = found[0] if found[1] is _ZIP else found[1]
            return _packaged(other) if other else None
        if found[0]:
            return found[0]
    tokens = [t for t in _TOKEN_SPLIT.split(key) if len(t) > 1]
    if len(tokens) <= 5:
        for token in tokens:
            if token in _BY_NAME and _BY_NAME[token] is not _ZIP:
                return _BY_NAME[token]
    return None


def _by_eu_uri(text: str) -> FormatInfo | None:
    lowered = text.strip()
    for base in (FILE_TYPE_BASE, FILE_TYPE_BASE.replace("http:", "https:")):
        if lowered.startswith(base):
            code = lowered[len(base) :].strip("/").upper()
            return _BY_CODE.get(code) or (FormatInfo(code, None, code) if code else None)
    return None


def _from_string(text: str) -> FormatInfo | None:
    if info := _by_eu_uri(text):
        return info
    media = _clean_media_type(text)
    if media:
        return _BY_MEDIA.get(media)
    return _by_name(text)


def _from_url(url: str) -> FormatInfo | None:
    parts = urlsplit(url.strip())
    query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
    for key in ("f", "format", "outputformat", "service"):
        for value in query.get(key, ()):
            if info := _from_string(value):
                return info
    for pattern, name in _URL_HINTS:
        if pattern.search(parts.path):
            return _BY_NAME[name]
    suffixes = [s.lower() for s in PurePosixPath(parts.path).suffixes[-2:]]
    if len(suffixes) == 2 and "".join(suffixes) == ".tar.gz":
        return _BY_NAME["tar.gz"]
    if suffixes and suffixes[-1] in _BY_EXT:
        info = _BY_EXT[suffixes[-1]]
        if info is _ZIP and len(suffixes) == 2 and suffixes[0] in _BY_EXT:
            return _packaged(_BY_EXT[suffixes[0]])
        return info
    return None


def _label(text: str) -> str:
    return " ".join(text.split()).lstrip(".")[:100]


def normalize_format(
    fmt: str | None = None, *, media_type: str | None = None, url: str | None = None
) -> FormatInfo | None:
    """Normalize a format string, media type or URL to a :class:`FormatInfo`.

    A recognized ``fmt`` wins over ``media_type``, which wins over a guess from ``url``
    (extension, ``?f=``/``?service=``, ArcGIS paths). An unrecognized ``fmt`` whose media
    type says nothing more keeps its cleaned text as label. ``None`` when nothing usable
    is given.
    """
    if type(fmt or "") is str and type(media_type or "") is str:
        final, info, media = _by_text_cached(fmt or "", media_type or "")
    else:
        final, info, media = _by_text(fmt, media_type)
    if final:
        return info
    if url and (info := _from_url(url)):
        return info
    if media:
        return FormatInfo(media, media, None)
    return None


def _by_text(fmt: str | None, media_type: str | None) -> tuple[bool, FormatInfo | None, str | None]:
    """The part of :func:`normalize_format` that does not read the URL: ``(True, answer,
    _)`` when the format or media type decide, else ``(False, None, media)`` with the
    cleaned media type for the URL fallback."""
    fmt = (fmt or "").strip()
    raw_media = (media_type or "").strip()
    media = _clean_media_type(raw_media) if raw_media else None
    if media in GENERIC_MEDIA_TYPES:
        media = None
    if fmt and (info := _from_string(fmt)):
        if info.media_type is None and media:
            return True, FormatInfo(info.label, media, info.file_type), media
        return True, info, media
    if raw_media and not media and "/" not in raw_media and (info := _by_name(raw_media)):
        return True, info, media  # a format name stored in a mimetype field ("xlsx")
    if media and (info := _BY_MEDIA.get(media)):
        return (
            True,
            (info if info.media_type else FormatInfo(info.label, media, info.file_type)),
            media,
        )
    if fmt:
        fmt_media = _clean_media_type(fmt)
        return True, FormatInfo(_label(fmt), media or fmt_media, None), media
    return False, None, media


_by_text_cached = lru_cache(maxsize=8192)(_by_text)
"""Format strings and media types repeat across a catalogue, and :class:`FormatInfo` is
frozen, so answers can be shared; URLs are mostly unique and stay out of the key."""


def _unpack(info: FormatInfo) -> FormatInfo:
    """The format inside a ``"CSV (ZIP)"`` package, else ``info`` itself."""
    match = _PACKAGED_RE.match(info.label)
    if info.file_type == "ZIP" and match:
        return _BY_NAME.get(_fold(match["inner"]), info)
    return info


def is_open_format(info: FormatInfo | None) -> bool:
    """Machine-readable and non-proprietary (CSV, JSON, GeoJSON, RDF, ODS…; not XLS/PDF)."""
    return info is not None and _unpack(info).file_type in OPEN_FILE_TYPES


def is_tabular(info: FormatInfo | None) -> bool:
    """Rows and columns: CSV, TSV, spreadsheets, Parquet, DBF."""
    return info is not None and _unpack(info).file_type in TABULAR_FILE_TYPES


def is_service(raw_format: str | None, file_type: str | None) -> bool:
    """Whether a format names a queryable service (WMS, WFS, "OGC:WMS", Esri REST, API…),
    given the raw format text and its EU file-type code (``*_SRVC`` codes are services)."""
    if file_type and file_type.upper().endswith("_SRVC"):
        return True
    if not raw_format:
        return False
    folded = raw_format.lower().strip()
    return folded in SERVICE_FORMATS or folded.removeprefix("ogc:") in SERVICE_FORMATS
