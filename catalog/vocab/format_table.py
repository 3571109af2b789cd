"""The format table behind :func:`catalog.vocab.formats.normalize_format`, and the
format classes (open, tabular, service) the quality checks use.

File-type codes are those of the EU authority table
``http://publications.europa.eu/resource/authority/file-type``; media types are IANA
registrations (``None`` where a format has no registered type, e.g. Shapefile).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormatInfo:
    """A normalized format: display label, IANA media type, EU file-type code."""

    label: str
    media_type: str | None
    file_type: str | None


# One row per format: label, IANA media type, EU file-type code, then "|"-separated
# aliases. An alias starting with "." is also a file extension; one shaped like a media
# type is also looked up as one. The first row claiming an alias wins (TIFF before GeoTIFF).
# fmt: off
ROWS: tuple[tuple[str, str | None, str | None, str], ...] = (
    ("CSV", "text/csv", "CSV",
     ".csv|comma separated values|comma-separated values|csv file|text/comma-separated-values"
     "|application/csv|text/x-csv|application/x-csv|text/x-comma-separated-values"),
    ("TSV", "text/tab-separated-values", "TSV", ".tsv|.tab|tab separated values"),
    ("JSON", "application/json", "JSON", ".json|text/json|application/x-json"),
    ("GeoJSON", "application/geo+json", "GEOJSON",
     ".geojson|geo json|application/vnd.geo+json|geo+json"),
    ("XML", "application/xml", "XML", ".xml|text/xml"),
    ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
     ".xlsx|xslx|excel xlsx|ms excel xlsx|excel 2007"),
    ("XLS", "application/vnd.ms-excel", "XLS", ".xls|excel|ms excel|excel xls|microsoft excel"),
    ("ODS", "application/vnd.oasis.opendocument.spreadsheet", "ODS", ".ods"),
    ("ODT", "application/vnd.oasis.opendocument.text", "ODT", ".odt"),
    ("DOC", "application/msword", "DOC", ".doc|word|ms word"),
    ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "DOCX", ".docx"),
    ("PPT", "application/vnd.ms-powerpoint", "PPT", ".ppt|powerpoint"),
    ("PPTX", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
     "PPTX", ".pptx"),
    ("PDF", "application/pdf", "PDF", ".pdf|pdf file|application/x-pdf"),
    ("RTF", "application/rtf", "RTF", ".rtf|text/rtf"),
    ("ZIP", "application/zip", "ZIP", ".zip|zip archive|application/x-zip-compressed"
     "|application/x-zip"),
    ("7Z", None, "7Z", ".7z|7zip|7-zip|application/x-7z-compressed"),
    ("GZIP", "application/gzip", "GZIP", ".gz|gz|gzip|application/x-gzip"),
    ("TAR", None, "TAR", ".tar|application/x-tar"),
    ("TAR.GZ", None, "TAR_GZ", ".tgz|tar.gz|tar gz|tgz"),
    ("RAR", None, "RAR", ".rar|application/vnd.rar|application/x-rar-compressed"),
    ("KML", "application/vnd.google-earth.kml+xml", "KML", ".kml"),
    ("KMZ", "application/vnd.google-earth.kmz", "KMZ", ".kmz"),
    ("Shapefile", None, "SHP",
     ".shp|shape|shapefile|esri shapefile|shape file|shp zip|zipped shapefile"
     "|x-gis/x-shapefile|application/x-shapefile|application/x-esri-shape"),
    ("GPKG", "application/geopackage+sqlite3", "GPKG",
     ".gpkg|geopackage|geo package|application/x-gpkg"),
    ("GML", "application/gml+xml", "GML", ".gml"),
    ("TIFF", "image/tiff", "TIFF", ".tif|.tiff|tif"),
    ("GeoTIFF", "image/tiff", "GEOTIFF", ".geotiff|geotif|geo tiff|cog"),
    ("JPEG", "image/jpeg", "JPEG", ".jpg|.jpeg|jpg"),
    ("PNG", "image/png", "PNG", ".png"),
    ("GIF", "image/gif", "GIF", ".gif"),
    ("SVG", "image/svg+xml", "SVG", ".svg"),
    ("ECW", None, "ECW", ".ecw|application/x-raster-ecw"),
    ("GDB", None, "GDB", ".gdb|file geodatabase|esri file geodatabase|fgdb"),
    ("LAS", "application/vnd.las", "LAS", ".las|lidar"),
    ("LAZ", None, "LAZ", ".laz"),
    ("DXF", "image/vnd.dxf", "DXF", ".dxf"),
    ("DWG", "image/vnd.dwg", "DWG", ".dwg"),
    ("DBF", "application/vnd.dbf", "DBF", ".dbf"),
    ("MDB", None, "MDB", ".mdb|ms access|access"),
    ("NetCDF", None, "NETCDF", ".nc|netcdf|cdf|application/x-netcdf"),
    ("HDF", None, "HDF", ".hdf|.h5|hdf5|application/x-hdf"),
    ("WMS", None, "WMS_SRVC", "ogc:wms|ogc wms|wms|web map service|application/vnd.ogc.wms_xml"),
    ("WFS", None, "WFS_SRVC", "ogc:wfs|ogc wfs|wfs|web feature service"),
    ("WCS", None, "WCS_SRVC", "ogc:wcs|ogc wcs|wcs|web coverage service"),
    ("WMTS", None, "WMTS_SRVC", "ogc:wmts|ogc wmts|wmts"),
    ("Esri REST", None, "REST",
     "esri rest|esri:rest|arcgis rest|arcgis geoservices rest api|arcgis server|geoservice"
     "|geoservices|feature service|featureserver|mapserver|arcgis map service|esri rest api"),
    ("API", None, None, "api|rest api|web api|json api"),
    ("HTML", "text/html", "HTML",
     ".html|.htm|htm|web page|webpage|web site|website|page web|site web"
     "|application/xhtml+xml|xhtml"),
    ("TXT", "text/plain", "TXT", ".txt|text|plain text|texte|plain"),
    ("RDF", "application/rdf+xml", "RDF", "rdf"),
    ("RDF/XML", "application/rdf+xml", "RDF_XML", ".rdf|.owl|rdf xml|rdf+xml"),
    ("Turtle", "text/turtle", "RDF_TURTLE", ".ttl|ttl|rdf turtle|rdf/turtle|application/x-turtle"),
    ("JSON-LD", "application/ld+json", "JSON_LD", ".jsonld|jsonld|json ld"),
    ("N-Triples", "application/n-triples", "RDF_N_TRIPLES", ".nt|nt|ntriples|n triples"),
    ("N3", "text/n3", "N3", ".n3|notation3"),
    ("SPARQL", "application/sparql-query", "SPARQLQ", "sparql|sparql endpoint"),
    ("Parquet", "application/vnd.apache.parquet", "PARQUET",
     ".parquet|apache parquet|application/x-parquet"),
    ("GeoParquet", "application/vnd.apache.parquet", "PARQUET", "geo parquet"),
    ("SQL", "application/sql", "SQL", ".sql"),
    ("YAML", "application/yaml", "YAML", ".yaml|.yml|yml|text/yaml"),
    ("RSS", "application/rss+xml", "RSS", ".rss|georss|rss feed"),
    ("Atom", "application/atom+xml", "ATOM", ".atom|atom feed"),
    ("GTFS", None, "GTFS", "gtfs static"),
    ("GTFS-RT", None, None, "gtfs rt|gtfs realtime|gtfs-realtime"),
    ("ICS", "text/calendar", "ICS", ".ics|ical|icalendar"),
    ("MP4", "video/mp4", "MPEG4", ".mp4|mpeg4"),
    ("Stata", "application/x-stata-dta", None, ".dta|dta|stata dta"),
)
# fmt: on
TABLE: tuple[tuple[FormatInfo, tuple[str, ...]], ...] = tuple(
    (FormatInfo(label, media, code), tuple(aliases.split("|")))
    for label, media, code, aliases in ROWS
)

GENERIC_MEDIA_TYPES = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/download",
        "application/force-download",
        "application/unknown",
        "application/x-download",
    }
)
"""Media types that say nothing of the format (a download URL's ``Content-Type``)."""

OPEN_FILE_TYPES = frozenset(
    {
        "CSV",
        "TSV",
        "JSON",
        "GEOJSON",
        "XML",
        "ODS",
        "ODT",
        "TXT",
        "KML",
        "KMZ",
        "GPKG",
        "GML",
        "PARQUET",
        "RDF",
        "RDF_XML",
        "RDF_TURTLE",
        "JSON_LD",
        "RDF_N_TRIPLES",
        "N3",
        "NETCDF",
        "HDF",
        "LAS",
        "LAZ",
        "GEOTIFF",
        "GTFS",
        "YAML",
        "RSS",
        "ATOM",
        "ICS",
        "WMS_SRVC",
        "WFS_SRVC",
        "WCS_SRVC",
        "WMTS_SRVC",
        "SPARQLQ",
    }
)
"""File-type codes of machine-readable, non-proprietary formats."""

TABULAR_FILE_TYPES = frozenset({"CSV", "TSV", "XLS", "XLSX", "ODS", "PARQUET", "DBF"})
"""File-type codes of rows-and-columns formats."""

SERVICE_FORMATS = frozenset(
    {
        "api",
        "wms",
        "wfs",
        "wmts",
        "wcs",
        "esri rest",
        "arcgis rest",
        "arcgis geoservices rest api",
        "ogc api",
        "ogc api features",
        "sparql",
        "odata",
        "rest",
        "soap",
        "graphql",
    }
)
"""Format names (lower case) of queryable services and APIs rather than files."""
