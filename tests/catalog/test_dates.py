"""Lenient date parsing: ISO forms, epochs, French DKAN dates, RFC 2822, real fixture values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from catalog.dates import parse_date
from tests.fixture_docs import dicts, documents
from tests.paths import fixture

PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-05-18", date(2019, 5, 18)),
        ("2019", date(2019, 1, 1)),
        ("2019-05", date(2019, 5, 1)),
        ("20201117", date(2020, 11, 17)),
        (" 2014-10-03 ", date(2014, 10, 3)),
        ("10/12/2019", date(2019, 12, 10)),  # day first (French locale)
        ("10.12.2019", date(2019, 12, 10)),
        (2019, date(2019, 1, 1)),
        (date(2020, 2, 29), date(2020, 2, 29)),
    ],
)
def test_dates(value: object, expected: date) -> None:
    result = parse_date(value)
    assert type(result) is date
    assert result == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-05-18T16:33:31.999044", datetime(2017, 5, 18, 16, 33, 31, 999044, tzinfo=UTC)),
        ("2016-11-07T16:38:29.000Z", datetime(2016, 11, 7, 16, 38, 29, tzinfo=UTC)),
        ("2015-04-09T10:29:11+00:00", datetime(2015, 4, 9, 10, 29, 11, tzinfo=UTC)),
        ("2015-04-09T11:29:11+0100", datetime(2015, 4, 9, 10, 29, 11, tzinfo=UTC)),
        ("2019-06-27 12:41:27", datetime(2019, 6, 27, 12, 41, 27, tzinfo=UTC)),
        ("2017-05-18 16:33:31 UTC", datetime(2017, 5, 18, 16, 33, 31, tzinfo=UTC)),
        ("2017-05-01 00:00:00", datetime(2017, 5, 1, tzinfo=UTC)),
        ("mar, 10/12/2019 - 09:23", datetime(2019, 12, 10, 9, 23, tzinfo=UTC)),
        ("jeu, 19/12/2019 - 03:00", datetime(2019, 12, 19, 3, 0, tzinfo=UTC)),
        ("Date changed  jeu, 19/12/2019 - 03:00", datetime(2019, 12, 19, 3, 0, tzinfo=UTC)),
        ("Tue, 10 Dec 2019 09:23:00 GMT", datetime(2019, 12, 10, 9, 23, tzinfo=UTC)),
        ("10 Dec 2019 09:23:00 +0100", datetime(2019, 12, 10, 9, 23, tzinfo=PARIS_WINTER)),
        (1370642145, datetime(2013, 6, 7, 21, 55, 45, tzinfo=UTC)),  # Socrata seconds
        ("1370642145", datetime(2013, 6, 7, 21, 55, 45, tzinfo=UTC)),
        (1441386557000, datetime(2015, 9, 4, 17, 9, 17, tzinfo=UTC)),  # ArcGIS milliseconds
        ("1441386667000", datetime(2015, 9, 4, 17, 11, 7, tzinfo=UTC)),
        (1370642145.5, datetime(2013, 6, 7, 21, 55, 45, 500000, tzinfo=UTC)),
        (datetime(2020, 1, 1, 12), datetime(2020, 1, 1, 12, tzinfo=UTC)),
    ],
)
def test_datetimes_are_aware(value: object, expected: datetime) -> None:
    result = parse_date(value)
    assert isinstance(result, datetime)
    assert result.tzinfo is not None
    assert result == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "garbage",
        "R/P1D",
        "P1D",
        "R/PT1S",
        "PT1H",
        "2019-13-01",
        "31/02/2019",
        "0000-00-00",
        "2019-05-18Tnonsense",
        True,
        False,
        float("nan"),
        float("inf"),
        1e30,
        [],
        {"date": "2019-01-01"},
        b"2019-01-01",
        "Tue, 99 Foo 2019 09:23:00 GMT",
    ],
)
def test_garbage_gives_none(value: object) -> None:
    assert parse_date(value) is None


def _values(platforms: tuple[str, ...], keys: set[str]) -> list[Any]:
    found: set[Any] = set()
    for doc in documents(*platforms):
        for d in dicts(doc):
            for k in keys & d.keys():
                v = d[k]
                if isinstance(v, str | int) and not isinstance(v, bool) and v != "":
                    found.add(v)
    return sorted(found, key=str)


_CKAN_KEYS = {
    "metadata_created",
    "metadata_modified",
    "created",
    "last_modified",
    "revision_timestamp",
    "date_published",
    "date_modified",
}


@pytest.mark.parametrize("value", _values(("ckan",), _CKAN_KEYS))
def test_every_ckan_fixture_date_parses(value: Any) -> None:
    result = parse_date(value)
    assert result is not None, value
    as_date = result.date() if isinstance(result, datetime) else result
    assert date(1990, 1, 1) <= as_date <= date(2030, 1, 1)


@pytest.mark.parametrize(
    "value",
    _values(
        ("dcat-us", "arcgis", "socrata"),
        {"modified", "issued", "created", "createdAt", "rowsUpdatedAt", "modified_date"},
    ),
)
def test_every_dcat_us_and_arcgis_fixture_date_parses(value: Any) -> None:
    result = parse_date(value)
    if isinstance(value, str) and value.upper().startswith(("R/", "P")):
        assert result is None  # DCAT-US sometimes puts the periodicity in "modified"
        return
    assert result is not None, value
    as_date = result.date() if isinstance(result, datetime) else result
    assert date(1990, 1, 1) <= as_date <= date(2030, 1, 1)
    if isinstance(result, datetime):
        assert result.tzinfo is not None


def test_french_dkan_package() -> None:
    doc = json.loads(
        fixture("ckan", "bad_dkan-hautsdefrance_package_show_french-dates.json").read_text(
            encoding="utf-8"
        )
    )
    package = doc["result"][0]
    assert parse_date(package["metadata_created"]) == datetime(2019, 12, 10, 9, 23, tzinfo=UTC)
    assert parse_date(package["metadata_modified"]) == datetime(2019, 9, 30, 22, 0, tzinfo=UTC)
    resource = package["resources"][0]
    assert parse_date(resource["last_modified"]) == datetime(2019, 12, 19, 3, 0, tzinfo=UTC)
