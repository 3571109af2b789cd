"""Licence recognition: CKAN ids, English/French titles, URLs, HTML, real fixture values."""

from __future__ import annotations

import pytest

from catalog.model import LicenceRef
from catalog.vocab import licence_title, normalize_licence
from tests.fixture_docs import dicts, documents


def _ckan_licences() -> list[tuple[str, str, str]]:
    """Every distinct (license_id, license_title, license_url) of the CKAN fixtures."""
    found = set()
    for doc in documents("ckan"):
        for d in dicts(doc):
            if "license_id" in d or "license_title" in d:
                found.add(
                    tuple(
                        str(d.get(k) or "") for k in ("license_id", "license_title", "license_url")
                    )
                )
    return sorted(found)  # type: ignore[arg-type]


def _dcat_us_licences() -> list[str]:
    found = set()
    for doc in documents("dcat-us", "arcgis", "socrata", pattern="*.json"):
        for d in dicts(doc):
            value = d.get("license")
            if isinstance(value, str) and value.strip():
                found.add(value)
    return sorted(found)


@pytest.mark.parametrize(
    ("value", "spdx", "is_open"),
    [
        ("cc-by", "CC-BY-4.0", True),
        ("cc-by-sa", "CC-BY-SA-4.0", True),
        ("cc-zero", "CC0-1.0", True),
        ("cc-nc", "CC-BY-NC-2.0", False),
        ("cc-by-nc", "CC-BY-NC-4.0", False),  # Données Québec / Montréal scheming
        ("odc-by", "ODC-By-1.0", True),
        ("odc-odbl", "ODbL-1.0", True),
        ("odc-pddl", "PDDL-1.0", True),
        ("uk-ogl", "OGL-UK-3.0", True),
        ("gfdl", "GFDL-1.3", True),
        ("ca-ogl-lgo", "OGL-Canada-2.0", True),
        ("OGL-Canada-2.0", "OGL-Canada-2.0", True),
        ("lov2", "etalab-2.0", True),
        ("cc-by-igo", "CC-BY-3.0-IGO", True),
        ("CC-BY-4.0", "CC-BY-4.0", True),
        ("cc-by-4.0", "CC-BY-4.0", True),
        ("CC BY-NC-ND 4.0", "CC-BY-NC-ND-4.0", False),
        ("CC0 1.0", "CC0-1.0", True),
    ],
)
def test_ckan_ids_and_short_names(value: str, spdx: str, is_open: bool) -> None:
    ref = normalize_licence(value)
    assert ref is not None
    assert (ref.id, ref.open) == (spdx, is_open)
    assert ref.uri and ref.uri.startswith("https://")
    assert ref.title


@pytest.mark.parametrize(
    ("value", "title", "is_open"),
    [
        ("other-open", "Other (Open)", True),
        ("other-pd", "Other (Public Domain)", True),
        ("other-at", "Other (Attribution)", True),
        ("other-nc", "Other (Non-Commercial)", False),
        ("other-closed", "Other (Not Open)", False),
        ("notspecified", "License not specified", None),
    ],
)
def test_ckan_generic_choices(value: str, title: str, is_open: bool | None) -> None:
    assert normalize_licence(value) == LicenceRef(id=None, uri=None, title=title, open=is_open)


@pytest.mark.parametrize(
    ("title", "spdx"),
    [
        ("Creative Commons Attribution 4.0", "CC-BY-4.0"),
        ("Attribution 4.0 International (CC BY 4.0)", "CC-BY-4.0"),
        ("Creative Commons Attribution-ShareAlike 4.0 International", "CC-BY-SA-4.0"),
        ("Creative Commons Attribution 3.0 Unported", "CC-BY-3.0"),
        ("Creative Commons Attribution", "CC-BY-4.0"),
        ("Creative Commons CCZero", "CC0-1.0"),
        ("Licence ouverte / Open Licence 2.0", "etalab-2.0"),
        ("Licence Ouverte", "etalab-2.0"),
        ("Licence Ouverte (Etalab)", "etalab-2.0"),
        ("Open Government Licence - Canada", "OGL-Canada-2.0"),
        ("Licence du gouvernement ouvert - Canada", "OGL-Canada-2.0"),
        ("Licence du gouvernement ouvert – Canada", "OGL-Canada-2.0"),
        ("Open Data Commons Open Database License (ODbL)", "ODbL-1.0"),
        ("UK Open Government Licence (OGL)", "OGL-UK-3.0"),
    ],
)
def test_titles(title: str, spdx: str) -> None:
    ref = normalize_licence(title=title)
    assert ref is not None and ref.id == spdx


@pytest.mark.parametrize(
    ("url", "spdx"),
    [
        ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0"),
        ("http://creativecommons.org/licenses/by/4.0", "CC-BY-4.0"),
        ("https://www.creativecommons.org/licenses/by/4.0/legalcode", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/legalcode.fr", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/deed.fr", "CC-BY-4.0"),
        ("creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0"),
        ("http://creativecommons.org/licenses/by/3.0/", "CC-BY-3.0"),
        ("http://creativecommons.org/licenses/by/3.0/igo/legalcode", "CC-BY-3.0-IGO"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
        ("http://opendatacommons.org/licenses/odbl/1.0/", "ODbL-1.0"),
        ("https://opendatacommons.org/licenses/by/1-0/", "ODC-By-1.0"),
        ("https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "etalab-2.0"),
        ("http://open.canada.ca/en/open-government-licence-canada", "OGL-Canada-2.0"),
        ("https://open.canada.ca/fr/licence-du-gouvernement-ouvert-canada", "OGL-Canada-2.0"),
        ("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", "OGL-UK-3.0"),
        ("http://reference.data.gov.uk/id/open-government-licence", "OGL-UK-3.0"),
        ("http://www.opendefinition.org/licenses/cc-by", "CC-BY-4.0"),
        ("http://www.opendefinition.org/licenses/cc-zero", "CC0-1.0"),
    ],
)
def test_urls(url: str, spdx: str) -> None:
    for ref in (normalize_licence(url), normalize_licence(url=url)):
        assert ref is not None and ref.id == spdx


def test_old_etalab_url_is_version_one() -> None:
    ref = normalize_licence(
        title="http://www.etalab.gouv.fr/pages/Licence_ouverte_Open_licence-5899923.html"
    )
    assert ref is not None
    assert (ref.id, ref.title, ref.open) == (
        None,
        "Licence Ouverte / Open Licence version 1.0",
        True,
    )


@pytest.mark.parametrize(
    ("html", "spdx"),
    [
        ('<a href="https://creativecommons.org/licenses/by/4.0/">CC BY</a>', "CC-BY-4.0"),
        ("<a href='https://opendatacommons.org/licenses/odbl/'>ODbL</a>", "ODbL-1.0"),
        (
            '<DIV STYLE="text-align:Left;"><DIV><DIV><P><SPAN>Soumis à la licence Etalab : '
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/</SPAN></P></DIV></DIV></DIV>",
            "etalab-2.0",
        ),
        ("<p>Licence&nbsp;Ouverte&nbsp;2.0</p>", "etalab-2.0"),
    ],
)
def test_html_values(html: str, spdx: str) -> None:
    ref = normalize_licence(html)
    assert ref is not None and ref.id == spdx


def test_unknown_keeps_title_and_url() -> None:
    ref = normalize_licence("cmm", title="CMM", url="https://cmquebec.qc.ca/licence")
    assert ref == LicenceRef(id=None, uri="https://cmquebec.qc.ca/licence", title="CMM", open=None)


def test_unknown_url_value() -> None:
    url = "https://project-open-data.cio.gov/unknown-license"
    assert normalize_licence(url) == LicenceRef(id=None, uri=url, title=url, open=None)


def test_unknown_long_html_terms_are_shortened() -> None:
    html = "<p>OPEN DATA TERMS OF USE AGREEMENT</p>" + "<p>You agree to many things.</p>" * 50
    ref = normalize_licence(html)
    assert ref is not None
    assert ref.id is None and ref.uri is None and ref.open is None
    assert ref.title and ref.title.startswith("OPEN DATA TERMS") and len(ref.title) <= 300
    assert "<p>" not in ref.title


@pytest.mark.parametrize("args", [(None,), ("",), ("   ",)])
def test_empty(args: tuple[str | None]) -> None:
    assert normalize_licence(*args, title="", url=None) is None


def test_licence_title() -> None:
    assert (
        licence_title(normalize_licence("cc-by"))
        == "Creative Commons Attribution 4.0 International"
    )
    assert licence_title(LicenceRef(uri="https://x.org/l")) == "https://x.org/l"
    assert licence_title(None) is None


@pytest.mark.parametrize(("license_id", "title", "url"), _ckan_licences())
def test_every_ckan_fixture_licence_has_a_title(license_id: str, title: str, url: str) -> None:
    ref = normalize_licence(license_id, title=title, url=url)
    if not (license_id or title or url):
        assert ref is None
        return
    assert ref is not None and ref.title
    if license_id != "notspecified":
        assert ref.open is True, ref  # every licence in these fixtures is an open one


@pytest.mark.parametrize("value", _dcat_us_licences())
def test_every_dcat_us_fixture_licence_has_a_title(value: str) -> None:
    ref = normalize_licence(value)
    assert ref is not None and ref.title
    assert "<" not in ref.title
    if "creativecommons.org" in value or "Etalab" in value or "opendatacommons" in value:
        assert ref.id is not None, value


@pytest.mark.parametrize(
    ("value", "spdx", "is_open"),
    [
        # Socrata views API licenseId values
        ("CC0_10", "CC0-1.0", True),
        ("CC_30_BY", "CC-BY-3.0", True),
        ("CC_30_BY_SA", "CC-BY-SA-3.0", True),
        ("CC_30_BY_ND", "CC-BY-ND-3.0", False),
        ("CC_30_BY_NC", "CC-BY-NC-3.0", False),
        ("CC_30_BY_NC_SA", "CC-BY-NC-SA-3.0", False),
        ("CC_30_BY_NC_ND", "CC-BY-NC-ND-3.0", False),
        ("CC_30_BY_AUS", "CC-BY-3.0-AU", True),
        ("CC_30_BY_IGO", "CC-BY-3.0-IGO", True),
        ("CC_30_BY_NZ", "CC-BY-3.0-NZ", True),
        ("CC_30_BY_NC_ND_IGO", "CC-BY-NC-ND-3.0-IGO", False),
        ("CC_40_BY", "CC-BY-4.0", True),
        ("CC_40_BY_SA", "CC-BY-SA-4.0", True),
        ("CC_40_BY_ND", "CC-BY-ND-4.0", False),
        ("ODBL", "ODbL-1.0", True),
        ("ODC_ODBL", "ODbL-1.0", True),
        ("OPEN_DATABASE_LICENSE", "ODbL-1.0", True),
        ("ODC_BY", "ODC-By-1.0", True),
        ("PDDL", "PDDL-1.0", True),
        ("UK_OGLV3.0", "OGL-UK-3.0", True),
        ("OGL_CANADA", "OGL-Canada-2.0", True),
    ],
)
def test_socrata_licence_ids(value: str, spdx: str, is_open: bool) -> None:
    ref = normalize_licence(value)
    assert ref is not None and (ref.id, ref.open) == (spdx, is_open)


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("PUBLIC_DOMAIN", "Public Domain"),
        ("USGOV_WORKS", "U.S. Government Work (Public Domain)"),
        ("IODL", "Italian Open Data License 2.0"),
        ("OGL_NOVA_SCOTIA", "Nova Scotia Open Government Licence"),
    ],
)
def test_socrata_licence_ids_without_spdx_id(value: str, title: str) -> None:
    ref = normalize_licence(value)
    assert ref is not None and (ref.title, ref.open) == (title, True)


@pytest.mark.parametrize(
    ("url", "spdx", "is_open"),
    [
        # dcat-ap.de licence list (GovData, opendata-hro fixtures)
        ("http://dcat-ap.de/def/licenses/cc-by", "CC-BY-4.0", True),
        ("http://dcat-ap.de/def/licenses/cc-by/4.0", "CC-BY-4.0", True),
        ("http://dcat-ap.de/def/licenses/cc-by-nd", "CC-BY-ND-4.0", False),
        ("http://dcat-ap.de/def/licenses/cc-by-sa/4.0", "CC-BY-SA-4.0", True),
        ("http://dcat-ap.de/def/licenses/cc-by-de/3.0", "CC-BY-3.0-DE", True),
        ("http://dcat-ap.de/def/licenses/cc-by-nc-de/3.0", "CC-BY-NC-3.0-DE", False),
        ("http://dcat-ap.de/def/licenses/cc-zero", "CC0-1.0", True),
        ("http://dcat-ap.de/def/licenses/dl-by-de/2.0", "DL-DE-BY-2.0", True),
        ("http://dcat-ap.de/def/licenses/dl-zero-de/2.0", "DL-DE-ZERO-2.0", True),
        ("http://dcat-ap.de/def/licenses/odbl", "ODbL-1.0", True),
        ("http://dcat-ap.de/def/licenses/mozilla", "MPL-2.0", True),
        ("https://www.govdata.de/dl-de/by-2-0", "DL-DE-BY-2.0", True),
        # EU licence authority table
        ("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0", "CC-BY-4.0", True),
        ("http://publications.europa.eu/resource/authority/licence/CC_BY", "CC-BY-4.0", True),
        (
            "http://publications.europa.eu/resource/authority/licence/CC_BYSA_4_0",
            "CC-BY-SA-4.0",
            True,
        ),
        (
            "http://publications.europa.eu/resource/authority/licence/CC_BYNCND_3_0",
            "CC-BY-NC-ND-3.0",
            False,
        ),
        ("http://publications.europa.eu/resource/authority/licence/CC0", "CC0-1.0", True),
        ("http://publications.europa.eu/resource/authority/licence/ODC_BL", "ODbL-1.0", True),
        ("http://publications.europa.eu/resource/authority/licence/OGL_3_0", "OGL-UK-3.0", True),
        (
            "http://publications.europa.eu/resource/authority/licence/DL_DE_BY_2_0",
            "DL-DE-BY-2.0",
            True,
        ),
    ],
)
def test_licence_authority_uris(url: str, spdx: str, is_open: bool) -> None:
    ref = normalize_licence(url=url)
    assert ref is not None and (ref.id, ref.open) == (spdx, is_open)


@pytest.mark.parametrize(
    ("value", "version"),
    [
        ("Licence Ouverte v1.0", "1.0"),
        ("Licence Ouverte v1.0 (Etalab)", "1.0"),
        ("Licence Ouverte version 1.0", "1.0"),
        ("Licence Ouverte / Open Licence v1.0", "1.0"),
        ("Licence Ouverte v2.0 (Etalab)", "2.0"),
        ("Licence Ouverte", "2.0"),
    ],
)
def test_licence_ouverte_keeps_its_version(value: str, version: str) -> None:
    ref = normalize_licence(value)
    assert ref is not None and ref.title == f"Licence Ouverte / Open Licence version {version}"


def test_html_blocks_are_separated_in_licence_titles() -> None:
    ref = normalize_licence(
        "<p>OPEN DATA <span>TERMS OF USE AGREEMENT</span></p><p>Public records</p>"
    )
    assert ref is not None and ref.title == "OPEN DATA TERMS OF USE AGREEMENT Public records"
