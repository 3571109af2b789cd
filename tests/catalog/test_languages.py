"""Language codes: ISO 639 codes, locales, names, URIs, real fixture values."""

from __future__ import annotations

import json

import pytest

from catalog.vocab import language_code, language_codes, language_tag, language_uri
from tests.paths import fixture


@pytest.mark.parametrize(
    "value",
    [
        "fr",
        "fre",
        "fra",
        "FR",
        "FRA",
        "fr-CA",
        "fr_CA",
        "French",
        "français",
        "Francais",
        " FRANÇAIS ",
        "http://publications.europa.eu/resource/authority/language/FRA",
        "https://publications.europa.eu/resource/authority/language/FRA",
        "http://publications.europa.eu/resource/authority/language/FRE",
        "http://id.loc.gov/vocabulary/iso639-1/fr",
        "http://lexvo.org/id/iso639-3/fra",
    ],
)
def test_french(value: str) -> None:
    assert language_code(value) == "FRA"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en", "ENG"),
        ("en-US", "ENG"),
        ("English", "ENG"),
        ("anglais", "ENG"),
        ("eng", "ENG"),
        ("es", "SPA"),
        ("Español", "SPA"),
        ("SP", "SPA"),
        ("de", "DEU"),
        ("ger", "DEU"),
        ("Deutsch", "DEU"),
        ("it", "ITA"),
        ("pt-BR", "POR"),
        ("Portuguese", "POR"),
        ("nl", "NLD"),
        ("dut", "NLD"),
        ("ca", "CAT"),
        ("Català", "CAT"),
        ("ar", "ARA"),
        ("zh", "ZHO"),
        ("zh-Hans-CN", "ZHO"),
        ("ja", "JPN"),
        ("ru", "RUS"),
        ("iu", "IKU"),
        ("Inuktitut", "IKU"),
        ("cr", "CRE"),
        ("Cree", "CRE"),
        ("moh", "MOH"),
        ("Mohawk", "MOH"),
        ("el", "ELL"),
        ("gre", "ELL"),
        ("cs", "CES"),
        ("http://publications.europa.eu/resource/authority/language/ZXX", "ZXX"),
        ("http://publications.europa.eu/resource/authority/language/HAW", "HAW"),
    ],
)
def test_codes(value: str, code: str) -> None:
    assert language_code(value) == code


@pytest.mark.parametrize("value", [None, "", "  ", "klingon", "xx", "français canadien!", "123"])
def test_unknown(value: str | None) -> None:
    assert language_code(value) is None


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("FR_EN", ["FRA", "ENG"]),  # Montréal scheming choice "French and English"
        ("fr, en", ["FRA", "ENG"]),
        ("French and English", ["FRA", "ENG"]),
        ("Français et anglais", ["FRA", "ENG"]),
        (["en", "ca", "es"], ["ENG", "CAT", "SPA"]),
        (["fr", "fr-CA", "bogus"], ["FRA"]),
        ("fr_CA", ["FRA"]),
        (["http://publications.europa.eu/resource/authority/language/DEU"], ["DEU"]),
        (None, []),
        ("", []),
    ],
)
def test_language_codes(value: str | list[str] | None, codes: list[str]) -> None:
    assert language_codes(value) == codes


@pytest.mark.parametrize(
    ("code", "tag"),
    [("FRA", "fr"), ("ENG", "en"), ("fra", "fr"), ("IKU", "iu"), ("MOH", "moh"), ("XYZ", None)],
)
def test_language_tag(code: str, tag: str | None) -> None:
    assert language_tag(code) == tag


def test_round_trip_of_every_two_letter_tag() -> None:
    for tag in ["fr", "en", "es", "de", "it", "pt", "nl", "ca", "ar", "zh", "ja", "ru", "iu", "cr"]:
        code = language_code(tag)
        assert code is not None and language_tag(code) == tag


def test_language_uri() -> None:
    assert language_uri("FRA") == "http://publications.europa.eu/resource/authority/language/FRA"


def _scheming_language_choices() -> list[tuple[str, dict[str, str]]]:
    schema = json.loads(fixture("ckan", "donneesquebec_montreal_scheming_schema.json").read_text())
    fields = [f for f in schema["dataset_fields"] if f.get("field_name") == "language"]
    return [(c["value"], c["label"]) for c in fields[0]["choices"]]


@pytest.mark.parametrize(("value", "label"), _scheming_language_choices())
def test_montreal_scheming_language_choices(value: str, label: dict[str, str]) -> None:
    codes = language_codes(value)
    assert codes, value
    assert codes == language_codes(label["en"]) == language_codes(label["fr"])
