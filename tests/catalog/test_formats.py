"""Format normalization: CKAN strings, media types, URIs, URL guesses, real fixture values."""

from __future__ import annotations

import pytest

from catalog.vocab import (
    FormatInfo,
    file_type_uri,
    is_open_format,
    is_tabular,
    media_type_uri,
    normalize_format,
)
from tests.fixture_docs import dicts, documents


def _distinct(key: str, *platforms: str) -> list[str]:
    values = {
        v.strip()
        for doc in documents(*platforms)
        for d in dicts(doc)
        if isinstance(v := d.get(key), str) and v.strip()
    }
    return sorted(values)


@pytest.mark.parametrize(
    ("fmt", "label", "file_type"),
    [
        (".csv", "CSV", "CSV"),
        ("csv", "CSV", "CSV"),
        ("CSV ", "CSV", "CSV"),
        ("text/csv", "CSV", "CSV"),
        ("Comma Separated Values", "CSV", "CSV"),
        ("Esri REST", "Esri REST", "REST"),
        ("ArcGIS GeoServices REST API", "Esri REST", "REST"),
        ("geojson", "GeoJSON", "GEOJSON"),
        ("application/vnd.geo+json", "GeoJSON", "GEOJSON"),
        ("SHP", "Shapefile", "SHP"),
        ("Shapefile (zip)", "Shapefile", "SHP"),
        ("zip:csv", "CSV (ZIP)", "ZIP"),
        ("ZIP+CSV", "CSV (ZIP)", "ZIP"),
        ("ZIP", "ZIP", "ZIP"),
        ("OGC:WMS", "WMS", "WMS_SRVC"),
        ("OGC WFS", "WFS", "WFS_SRVC"),
        ("XSLX", "XLSX", "XLSX"),  # a real typo in a DCAT-US feed
        ("xlsx", "XLSX", "XLSX"),
        ("Web page", "HTML", "HTML"),
        ("HT ML", "HTML", "HTML"),
        ("CSV LonLat/XY", "CSV", "CSV"),
        ("TIF", "TIFF", "TIFF"),
        ("GeoTIFF", "GeoTIFF", "GEOTIFF"),
        ("GEOPARQUET", "GeoParquet", "PARQUET"),
        ("ttl", "Turtle", "RDF_TURTLE"),
        ("JSON-LD", "JSON-LD", "JSON_LD"),
        ("RDF", "RDF", "RDF"),
        ("application/rdf+xml", "RDF/XML", "RDF_XML"),
        ("gpkg", "GPKG", "GPKG"),
        ("KMZ", "KMZ", "KMZ"),
        ("ODS", "ODS", "ODS"),
        ("DOCX", "DOCX", "DOCX"),
        ("text/plain", "TXT", "TXT"),
        ("application/json; charset=utf-8", "JSON", "JSON"),
        (
            "http://publications.europa.eu/resource/authority/file-type/GEOJSON",
            "GeoJSON",
            "GEOJSON",
        ),
        ("https://www.iana.org/assignments/media-types/text/csv", "CSV", "CSV"),
    ],
)
def test_format_strings(fmt: str, label: str, file_type: str) -> None:
    info = normalize_format(fmt)
    assert info is not None
    assert (info.label, info.file_type) == (label, file_type)


def test_media_type_is_canonical() -> None:
    assert normalize_format("csv") == FormatInfo("CSV", "text/csv", "CSV")
    assert normalize_format(media_type="Text/CSV; charset=UTF-8") == normalize_format("csv")


def test_unknown_eu_code_is_kept() -> None:
    info = normalize_format("http://publications.europa.eu/resource/authority/file-type/MRSID")
    assert info == FormatInfo("MRSID", None, "MRSID")


@pytest.mark.parametrize(
    ("fmt", "media_type", "expected"),
    [
        ("hdfjpg", None, FormatInfo("hdfjpg", None, None)),
        ("  Some   Format ", None, FormatInfo("Some Format", None, None)),
        ("application/x-foo", None, FormatInfo("application/x-foo", "application/x-foo", None)),
        ("mystery", "text/x-mystery", FormatInfo("mystery", "text/x-mystery", None)),
    ],
)
def test_unknown_formats_keep_their_text(
    fmt: str, media_type: str | None, expected: FormatInfo
) -> None:
    assert normalize_format(fmt, media_type=media_type) == expected


def test_format_wins_over_media_type_and_fills_a_missing_one() -> None:
    assert normalize_format("HTML", media_type="text/csv") == normalize_format("html")
    assert normalize_format("Shapefile", media_type="application/zip") == FormatInfo(
        "Shapefile", "application/zip", "SHP"
    )


def test_a_format_name_in_the_mimetype_field() -> None:
    # Hauts-de-France DKAN stores "xlsx" as the resource mimetype.
    assert normalize_format("", media_type="xlsx") == normalize_format("XLSX")


def test_known_media_type_beats_unknown_format() -> None:
    assert normalize_format("Données", media_type="text/csv") == normalize_format("csv")


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://example.org/files/data.CSV", "CSV"),
        ("https://example.org/a/b/export.geojson?x=1", "GeoJSON"),
        ("https://example.org/a/b.csv.zip", "CSV (ZIP)"),
        ("https://example.org/a/b.tar.gz", "TAR.GZ"),
        ("https://services.arcgis.com/x/arcgis/rest/services/Parcels/FeatureServer/0", "Esri REST"),
        ("https://example.org/arcgis/rest/services/P/FeatureServer/0/query?f=geojson", "GeoJSON"),
        ("https://example.org/geoserver/ows?service=WFS&request=GetCapabilities", "WFS"),
        (
            "https://geocatalogue.hautsdefrance.fr/geonetwork/srv/api/records/4b5f/"
            "attachments/coordonnees_antennes.xlsx",
            "XLSX",
        ),
    ],
)
def test_guess_from_url(url: str, label: str) -> None:
    info = normalize_format(None, url=url)
    assert info is not None and info.label == label


def test_url_is_only_a_fallback() -> None:
    assert normalize_format("PDF", url="https://example.org/data.csv") == normalize_format("pdf")
    info = normalize_format("", media_type="application/octet-stream", url="https://x.org/a.json")
    assert info == normalize_format("json")


@pytest.mark.parametrize(
    ("fmt", "media_type", "url"),
    [
        (None, None, None),
        ("", "", ""),
        ("   ", None, "https://example.org/no-extension"),
        (None, "application/octet-stream", None),
    ],
)
def test_nothing_usable(fmt: str | None, media_type: str | None, url: str | None) -> None:
    assert normalize_format(fmt, media_type=media_type, url=url) is None


@pytest.mark.parametrize(
    ("fmt", "is_open", "tabular"),
    [
        ("csv", True, True),
        ("zip+csv", True, True),
        ("json", True, False),
        ("geojson", True, False),
        ("xml", True, False),
        ("rdf", True, False),
        ("ods", True, True),
        ("txt", True, False),
        ("kml", True, False),
        ("gpkg", True, False),
        ("parquet", True, True),
        ("xls", False, True),
        ("xlsx", False, True),
        ("pdf", False, False),
        ("doc", False, False),
        ("zip", False, False),
        ("html", False, False),
        ("Esri REST", False, False),
        ("hdfjpg", False, False),
    ],
)
def test_open_and_tabular(fmt: str, is_open: bool, tabular: bool) -> None:
    info = normalize_format(fmt)
    assert is_open_format(info) is is_open
    assert is_tabular(info) is tabular


def test_open_and_tabular_of_nothing() -> None:
    assert is_open_format(None) is False
    assert is_tabular(None) is False


def test_uris() -> None:
    assert file_type_uri("CSV") == "http://publications.europa.eu/resource/authority/file-type/CSV"
    assert media_type_uri("text/csv") == "https://www.iana.org/assignments/media-types/text/csv"


# Formats that genuinely have no EU file-type code.
_NO_FILE_TYPE = {"API", "Stata", "GTFS-RT"}


@pytest.mark.parametrize("fmt", _distinct("format", "ckan"))
def test_every_ckan_fixture_format_is_recognized(fmt: str) -> None:
    info = normalize_format(fmt)
    assert info is not None and info.label
    assert info.file_type is not None or info.label in _NO_FILE_TYPE, info


# dcat-us / arcgis Hub formats we deliberately leave unrecognized (too vague or unknown).
_VAGUE = {"APP", "APPLICATION", "IMG", "hdfjpg", "video"}


@pytest.mark.parametrize("fmt", _distinct("format", "dcat-us", "arcgis", "socrata"))
def test_every_dcat_us_fixture_format_is_recognized(fmt: str) -> None:
    info = normalize_format(fmt)
    assert info is not None and info.label
    if fmt not in _VAGUE:
        assert info.file_type is not None or info.label in _NO_FILE_TYPE, info


# Media types that name no data format (or one the EU table lacks).
_GENERIC_MEDIA = {"application/octet-stream", "application/http", "application/x-erdas-hfa"}


@pytest.mark.parametrize("media", _distinct("mediaType", "dcat-us", "arcgis", "socrata"))
def test_every_fixture_media_type_is_recognized(media: str) -> None:
    info = normalize_format(media_type=media)
    if media in _GENERIC_MEDIA:
        assert info is None or info.file_type is None
    else:
        assert info is not None and info.file_type is not None, media
        assert info.media_type is not None
