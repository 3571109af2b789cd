"""Update frequencies: ISO 8601 durations, English/French words, URIs, real fixture values."""

from __future__ import annotations

import json
import re

import pytest

from catalog.vocab import frequency_code, frequency_uri
from catalog.vocab.frequencies import CODES
from tests.paths import FIXTURES, fixture


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("R/P1D", "DAILY"),
        ("R/P1W", "WEEKLY"),
        ("R/P2W", "BIWEEKLY"),
        ("R/P1M", "MONTHLY"),
        ("R/P3M", "QUARTERLY"),
        ("R/P6M", "ANNUAL_2"),
        ("R/P1Y", "ANNUAL"),
        ("R/P2Y", "BIENNIAL"),
        ("R/P3Y", "TRIENNIAL"),
        ("R/P4Y", "QUADRENNIAL"),
        ("R/P10Y", "DECENNIAL"),
        ("R/PT1H", "HOURLY"),
        ("R/PT1S", "UPDATE_CONT"),
        ("R/P3.5D", "WEEKLY_2"),
        ("R/P0.33W", "WEEKLY_3"),
        ("R/P0.5M", "MONTHLY_2"),
        ("R/P0.33M", "MONTHLY_3"),
        ("R/P2M", "BIMONTHLY"),
        ("R/P4M", "ANNUAL_3"),
        ("P1D", "DAILY"),
        ("P7D", "WEEKLY"),
        ("P12M", "ANNUAL"),
        ("PT24H", "DAILY"),
        ("PT10M", "10MIN"),
        ("PT15M", "15MIN"),
        ("PT12H", "12HRS"),
        ("r/p1d", "DAILY"),
        ("R/2020-01-01T00:00:00Z/P1D", "DAILY"),
        ("R5/P1M", "MONTHLY"),
    ],
)
def test_iso_8601_durations(value: str, code: str) -> None:
    assert frequency_code(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("daily", "DAILY"),
        ("Weekly", "WEEKLY"),
        ("MONTHLY", "MONTHLY"),
        ("quarterly", "QUARTERLY"),
        ("annually", "ANNUAL"),
        ("yearly", "ANNUAL"),
        ("annual", "ANNUAL"),
        ("irregular", "IRREG"),
        ("continual", "UPDATE_CONT"),
        ("as needed", "AS_NEEDED"),
        ("asNeeded", "AS_NEEDED"),
        ("never", "NEVER"),
        ("notPlanned", "NOT_PLANNED"),
        ("semiannual", "ANNUAL_2"),
        ("fortnightly", "BIWEEKLY"),
        ("quotidienne", "DAILY"),
        ("Quotidien", "DAILY"),
        ("hebdomadaire", "WEEKLY"),
        ("mensuelle", "MONTHLY"),
        ("trimestrielle", "QUARTERLY"),
        ("semestrielle", "ANNUAL_2"),
        ("annuelle", "ANNUAL"),
        ("irreguliere", "IRREG"),
        ("Irrégulière", "IRREG"),
        ("temps reel", "UPDATE_CONT"),
        ("Temps réel", "UPDATE_CONT"),
        ("aucune", "NEVER"),
        ("au besoin", "AS_NEEDED"),
        ("Non planifié", "NOT_PLANNED"),
        ("Semi-annuel", "ANNUAL_2"),
        ("  MENSUEL  ", "MONTHLY"),
        ("bimestrielle", "BIMONTHLY"),
    ],
)
def test_words(value: str, code: str) -> None:
    assert frequency_code(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # Socrata custom fields (discovery_catalog_v1_multi-domain.json)
        ("Twice weekly", "WEEKLY_2"),
        ("twice monthly", "MONTHLY_2"),
        ("Twice yearly", "ANNUAL_2"),
        # GeoNetwork DCAT (csw_geo2france_getrecords_dcat_page1.xml)
        ("PUNCTUAL", "IRREG"),
        # dados.gov.br "Periodicidade" extras (dadosgovbr_package_search_start3.json)
        ("Mensal", "MONTHLY"),
        ("Trimestral", "QUARTERLY"),
        ("Semestral", "ANNUAL_2"),
        ("Anual", "ANNUAL"),
        ("Diária", "DAILY"),
        ("Semanal", "WEEKLY"),
    ],
)
def test_fixture_words(value: str, code: str) -> None:
    assert frequency_code(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("http://publications.europa.eu/resource/authority/frequency/ANNUAL_2", "ANNUAL_2"),
        ("https://publications.europa.eu/resource/authority/frequency/IRREG", "IRREG"),
        ("http://publications.europa.eu/resource/authority/frequency/CONT", "CONT"),
        ("http://purl.org/cld/freq/monthly", "MONTHLY"),
        ("UPDATE_CONT", "UPDATE_CONT"),
        ("1MIN", "1MIN"),
    ],
)
def test_uris_and_codes(value: str, code: str) -> None:
    assert frequency_code(value) == code


@pytest.mark.parametrize(
    "value", [None, "", "  ", "sometimes", "P", "R/P", "P1Y2D", "R/P17D", "banana", "2019-01-01"]
)
def test_unknown(value: str | None) -> None:
    assert frequency_code(value) is None


def test_frequency_uri() -> None:
    assert (
        frequency_uri("MONTHLY")
        == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    )


def _scheming_frequency_choices() -> list[str]:
    schema = json.loads(fixture("ckan", "donneesquebec_montreal_scheming_schema.json").read_text())
    field = next(f for f in schema["dataset_fields"] if f.get("field_name") == "update_frequency")
    values = []
    for choice in field["choices"]:
        if choice["value"]:  # the first choice is the "Select…" prompt
            values += [choice["value"], choice["label"]["en"], choice["label"]["fr"]]
    return values


@pytest.mark.parametrize("value", _scheming_frequency_choices())
def test_montreal_scheming_frequency_choices(value: str) -> None:
    assert frequency_code(value) in CODES


def test_scheming_value_and_labels_agree() -> None:
    values = _scheming_frequency_choices()
    for value, en, fr in zip(values[::3], values[1::3], values[2::3], strict=True):
        assert frequency_code(value) == frequency_code(en) == frequency_code(fr), value


def _fixture_frequencies() -> list[str]:
    found: set[str] = set()
    for path in FIXTURES.glob("*/*"):
        if path.suffix not in {".json", ".jsonl", ".xml", ".rdf", ".ttl", ".jsonld"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found.update(
            re.findall(
                r"https?://publications\.europa\.eu/resource/authority/"
                r"frequency/[A-Z0-9_]+",
                text,
            )
        )
        found.update(re.findall(r'"accrualPeriodicity":\s*"([^"]+)"', text))
    return sorted(found)


@pytest.mark.parametrize("value", _fixture_frequencies())
def test_every_fixture_frequency_is_recognized(value: str) -> None:
    assert frequency_code(value) in CODES
