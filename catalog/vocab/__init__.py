"""Controlled vocabularies: formats, licences, languages, frequencies, access rights.

Each module turns the loose values portals publish into the short codes of the EU
authority tables (or SPDX ids for licences) and builds their URIs.
"""

from catalog.vocab.access_rights import access_right_code, access_right_uri
from catalog.vocab.formats import (
    FormatInfo,
    file_type_uri,
    is_open_format,
    is_service,
    is_tabular,
    media_type_uri,
    normalize_format,
)
from catalog.vocab.frequencies import frequency_code, frequency_uri
from catalog.vocab.languages import language_code, language_codes, language_tag, language_uri
from catalog.vocab.licences import licence_title, normalize_licence

__all__ = [
    "FormatInfo",
    "access_right_code",
    "access_right_uri",
    "file_type_uri",
    "frequency_code",
    "frequency_uri",
    "is_open_format",
    "is_service",
    "is_tabular",
    "language_code",
    "language_codes",
    "language_tag",
    "language_uri",
    "licence_title",
    "media_type_uri",
    "normalize_format",
    "normalize_licence",
]
