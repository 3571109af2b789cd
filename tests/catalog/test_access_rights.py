"""Access rights: DCAT-US accessLevel, French words, EU URIs, real fixture values."""

from __future__ import annotations

import re

import pytest

from catalog.vocab import access_right_code, access_right_uri
from tests.paths import FIXTURES


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("public", "PUBLIC"),
        ("Public", "PUBLIC"),
        ("PUBLIC", "PUBLIC"),
        ("ouvert", "PUBLIC"),
        ("Accès public", "PUBLIC"),
        ("restricted public", "RESTRICTED"),
        ("restricted", "RESTRICTED"),
        ("restreint", "RESTRICTED"),
        ("Accès restreint", "RESTRICTED"),
        ("non-public", "NON_PUBLIC"),
        ("non public", "NON_PUBLIC"),
        ("NON_PUBLIC", "NON_PUBLIC"),
        ("private", "NON_PUBLIC"),
        ("privé", "NON_PUBLIC"),
        ("http://publications.europa.eu/resource/authority/access-right/PUBLIC", "PUBLIC"),
        (
            "https://publications.europa.eu/resource/authority/access-right/RESTRICTED/",
            "RESTRICTED",
        ),
        ("http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC", "NON_PUBLIC"),
    ],
)
def test_access_right_code(value: str, code: str) -> None:
    assert access_right_code(value) == code


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        " ",
        "maybe",
        "https://example.org/PUBLIC",
        "http://publications.europa.eu/resource/authority/access-right/SENSITIVE",
    ],
)
def test_unknown(value: str | None) -> None:
    assert access_right_code(value) is None


def test_access_right_uri() -> None:
    assert (
        access_right_uri("PUBLIC")
        == "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    )


def _fixture_values() -> list[str]:
    found: set[str] = set()
    for path in FIXTURES.glob("*/*"):
        if path.suffix in {".json", ".xml", ".rdf", ".ttl", ".jsonld"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            found.update(re.findall(r'"accessLevel":\s*"([^"]+)"', text))
            found.update(
                re.findall(
                    r"https?://publications\.europa\.eu/resource/authority/"
                    r"access-right/[A-Z_]+",
                    text,
                )
            )
    return sorted(found)


@pytest.mark.parametrize("value", _fixture_values())
def test_every_fixture_access_right_is_recognized(value: str) -> None:
    assert access_right_code(value) in {"PUBLIC", "RESTRICTED", "NON_PUBLIC"}
