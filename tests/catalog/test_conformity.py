"""The publication guidelines, rule by rule, and on real recorded CKAN packages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from catalog import conformity
from catalog.hvd import hvd_category
from catalog.model import (
    Agent,
    ContactPoint,
    DatasetRecord,
    Distribution,
    LicenceRef,
    Provenance,
)
from connectors.base import SourceSpec
from connectors.ckan_mapping import normalize_package
from tests.connectors.ckan_replay import result_of


def good(**changes: Any) -> DatasetRecord:
    """A record that follows every guideline, with ``changes`` applied."""
    values: dict[str, Any] = {
        "identifier": "x",
        "title": {"fr": "Collectes des matières résiduelles"},
        "description": {"fr": "Calendrier des collectes par secteur, mis à jour chaque mois."},
        "keywords": {"fr": ["collectes"]},
        "licence": LicenceRef(id="CC-BY-4.0", open=True),
        "issued": date(2020, 1, 1),
        "accrual_periodicity": "MONTHLY",
        "contact_points": [ContactPoint(email="donnees@ville.example")],
        "distributions": [
            Distribution(format="CSV", file_type="CSV", download_url="https://v.example/c.csv")
        ],
        "provenance": Provenance(source_id="s", remote_id="x", platform="ckan"),
    }
    return DatasetRecord(**{**values, **changes})


def test_a_good_record_conforms() -> None:
    result = conformity.check(good())
    assert result.conforms and result.failed == []
    assert list(result.verdicts) == list(conformity.RULE_CODES)
    assert result.verdicts["utf8"] is None  # no character set stated: not applicable


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"description": {}}, "description"),
        ({"description": {"fr": "Trop court"}}, "description"),
        ({"keywords": {"fr": ["  "]}}, "keywords"),
        ({"licence": None}, "licence"),
        ({"licence": LicenceRef(title="Tous droits réservés", open=False)}, "licence"),
        ({"licence": LicenceRef(title="Licence inconnue")}, "licence"),
        ({"distributions": [Distribution(format="XLS", file_type="XLS", download_url="u")]}, "open_format"),
        ({"distributions": [Distribution(format="CSV", file_type="CSV", media_type="text/csv; charset=ISO-8859-1", download_url="u")]}, "utf8"),
        ({"issued": None}, "dates"),
        ({"accrual_periodicity": None}, "frequency"),
        ({"accrual_periodicity": "UNKNOWN"}, "frequency"),
        ({"contact_points": []}, "contact"),
        ({"distributions": [Distribution(format="CSV", file_type="CSV")]}, "distribution"),
    ],
)  # fmt: skip
def test_each_rule_fails_alone(changes: dict[str, Any], rule: str) -> None:
    result = conformity.check(good(**changes))
    assert result.failed == [rule]
    assert not result.conforms


def test_rules_that_pass_or_do_not_apply() -> None:
    xls_and_csv = [
        Distribution(format="XLS", file_type="XLS", download_url="u"),
        Distribution(format="CSV", file_type="CSV", download_url="u"),
    ]
    assert conformity.check(good(distributions=xls_and_csv)).verdicts["open_format"] is True
    pdf = [Distribution(format="PDF", file_type="PDF", download_url="u")]
    assert conformity.check(good(distributions=pdf)).verdicts["open_format"] is None
    utf8 = [Distribution(format="CSV", media_type="text/csv;charset=UTF-8", download_url="u")]
    assert conformity.check(good(distributions=utf8)).verdicts["utf8"] is True
    modified_only = good(issued=None, modified=datetime(2021, 5, 1, tzinfo=UTC))
    assert conformity.check(modified_only).verdicts["dates"] is True
    publisher = good(contact_points=[], publisher=Agent(name={"fr": "V"}, email="a@v.example"))
    assert conformity.check(publisher).verdicts["contact"] is True


def test_csv_and_api_access() -> None:
    assert conformity.is_csv(good())
    assert not conformity.has_api(good())
    packaged = [Distribution(format="CSV (ZIP)", file_type="ZIP", download_url="u")]
    assert conformity.is_csv(good(distributions=packaged)) is False  # a zip is not queryable CSV
    guessed = [Distribution(download_url="https://v.example/data.csv")]
    assert conformity.is_csv(good(distributions=guessed))
    api = [*good().distributions, Distribution(access_url="https://v.example/api", api_access=True)]
    assert conformity.has_api(good(distributions=api))


def test_rule_texts() -> None:
    assert all(rule.text for rule in conformity.RULES)
    assert conformity.rule_text("licence") == "a licence, and an open one"
    assert conformity.rule_text("nope") == "nope"


# Hand-checked against the raw packages of the recorded RIDL search: none has a licence
# or an update frequency; formats CSV+XLS, ""+XLS, XLSX+PDF (guessed from URLs), ZIP+PDF;
# 2, 2, 0, 0 and 4 tags.
RIDL_EXPECTED: list[dict[str, bool | None]] = [
    {"keywords": True, "open_format": True},
    {"keywords": True, "open_format": True},
    {"keywords": False, "open_format": False},
    {"keywords": False, "open_format": False},
    {"keywords": True, "open_format": None},
]


def test_real_ckan_packages() -> None:
    packages = result_of("ridl-unhcr_package_search_start0_rows5.json")["results"]
    spec = SourceSpec(id="ridl", url="https://ridl.example", platform="ckan")
    for package, expected in zip(packages, RIDL_EXPECTED, strict=True):
        record = normalize_package(
            package, spec, api_url="https://ridl.example/api/3/action", fetched_at=datetime.now(UTC)
        )
        verdicts = conformity.check(record).verdicts
        assert verdicts["licence"] is False and verdicts["frequency"] is False
        assert verdicts["description"] is True and verdicts["distribution"] is True
        for rule, value in expected.items():
            assert verdicts[rule] is value, (package["name"], rule)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("http://data.europa.eu/bna/c_ac64a52d", "c_ac64a52d"),
        ("c_b79e35eb", "c_b79e35eb"),
        ("Mobilité", "c_b79e35eb"),
        ("meteorological", "c_164e0bf5"),
        ("http://data.europa.eu/bna/c_4ba9548e", "http://data.europa.eu/bna/c_4ba9548e"),
    ],
)
def test_hvd_categories(value: str, code: str) -> None:
    assert hvd_category(value) == code
