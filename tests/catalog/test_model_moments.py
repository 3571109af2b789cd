"""``catalog.model.Moment``: a stored record's dates and date-times read back as written,
a date-time at midnight included (pydantic's ``date | datetime`` read it as a date)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import TypeAdapter, ValidationError

from catalog.model import DatasetRecord, Distribution, Moment, PeriodOfTime, Provenance

MOMENT: TypeAdapter[Moment] = TypeAdapter(Moment)

VALUES = [
    datetime(2024, 3, 1, tzinfo=UTC),
    datetime(2024, 3, 1),
    datetime(2024, 3, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2024, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2024, 3, 1, 13, 45, 7, tzinfo=UTC),
    date(2024, 3, 1),
]


def _record(value: date | datetime) -> DatasetRecord:
    """A record with ``value`` in every field typed ``Moment``."""
    return DatasetRecord(
        identifier="x",
        title={"fr": "Titre"},
        issued=value,
        modified=value,
        temporal=[PeriodOfTime(start=value, end=value)],
        distributions=[Distribution(issued=value, modified=value)],
        provenance=Provenance(source_id="s", remote_id="r", platform="ckan"),
    )


def _moments(record: DatasetRecord) -> list[date | datetime | None]:
    period, distribution = record.temporal[0], record.distributions[0]
    return [
        record.issued,
        record.modified,
        period.start,
        period.end,
        distribution.issued,
        distribution.modified,
    ]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_a_stored_record_reads_back_its_dates_and_datetimes(value: date | datetime) -> None:
    """Dumped as the store keeps it, read back as a dict (the API, the export) and as JSON
    text: the same values of the same types, offsets kept."""
    stored = orjson.dumps(_record(value).model_dump(mode="json"))
    for back in (
        DatasetRecord.model_validate(orjson.loads(stored)),
        DatasetRecord.model_validate_json(stored),
    ):
        for found in _moments(back):
            assert found == value and type(found) is type(value)
            if isinstance(value, datetime):
                assert isinstance(found, datetime) and found.utcoffset() == value.utcoffset()
        assert back.model_dump(mode="json") == orjson.loads(stored)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("2024-03-01T00:00:00Z", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01T00:00:00", datetime(2024, 3, 1)),
        ("2024-03-01 00:00:00+02:00", datetime(2024, 3, 1, tzinfo=timezone(timedelta(hours=2)))),
        ("2024-03-01T10:11:12.5Z", datetime(2024, 3, 1, 10, 11, 12, 500000, tzinfo=UTC)),
    ],
)
def test_text_is_a_date_or_a_datetime_by_its_form(text: str, expected: date | datetime) -> None:
    found = MOMENT.validate_python(text)
    assert found == expected and type(found) is type(expected)
    assert MOMENT.validate_json(orjson.dumps(text)) == expected


@pytest.mark.parametrize("text", ["2024-13-01T00:00:00Z", "mars 2024, minuit", "2024-02-30"])
def test_text_that_is_no_moment_is_still_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        MOMENT.validate_python(text)


def test_both_read_paths_give_the_same_records() -> None:
    """The API validates a stored record from the dict its JSON column decodes, ``moisson
    export`` from the JSON text itself: the same record for every record of the golden
    corpus (every platform's fixtures and the edge records)."""
    from tests.catalog.test_rdf_golden import golden

    for row in golden():
        stored = orjson.dumps(row["record"])
        from_dict = DatasetRecord.model_validate(orjson.loads(stored))
        from_text = DatasetRecord.model_validate_json(stored)
        assert from_text == from_dict, row["label"]
        assert from_text.model_dump(mode="json") == from_dict.model_dump(mode="json")
