"""``catalog.model.trusted``: the unvalidated constructor of the mapping hot paths must
leave exactly the instance validation would (or refuse)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from catalog.model import (
    Checksum,
    Distribution,
    LicenceRef,
    PeriodOfTime,
    Provenance,
    provenance_of,
    trusted,
)
from catalog.vocab import normalize_licence


def _distribution_values() -> dict[str, Any]:
    return {
        "identifier": "r1",
        "uri": None,
        "title": {"fr": "Données", "en": "Data"},
        "description": {},
        "access_url": "https://example.org/r1.csv",
        "download_url": "https://example.org/r1.csv",
        "format": "CSV",
        "file_type": "CSV",
        "media_type": "text/csv",
        "byte_size": 1955,
        "licence": LicenceRef(id="CC-BY-4.0", uri=None, title="CC BY 4.0", open=True),
        "rights": None,
        "issued": date(2020, 1, 2),
        "modified": datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC),
        "language": ["FRA"],
        "checksum": Checksum(algorithm="md5", value="0" * 32),
        "api_access": False,
        "endpoint_url": None,
        "conforms_to": [],
    }


def test_trusted_instance_is_the_validated_one() -> None:
    validated = Distribution(**_distribution_values())
    built = trusted(Distribution, _distribution_values())
    assert built == validated
    for attribute in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        assert getattr(built, attribute) == getattr(validated, attribute)
    assert list(vars(built)) == list(vars(validated))
    assert built.model_dump_json() == validated.model_dump_json()
    assert type(built.issued) is date and type(built.modified) is datetime


def test_trusted_refuses_missing_or_reordered_fields() -> None:
    values = _distribution_values()
    del values["rights"]
    with pytest.raises(TypeError):
        trusted(Distribution, values)
    with pytest.raises(TypeError):
        trusted(PeriodOfTime, {"end": None, "start": None})


def test_cached_licences_are_fresh_objects() -> None:
    first = normalize_licence("cc-by", title="Creative Commons Attribution")
    second = normalize_licence("cc-by", title="Creative Commons Attribution")
    assert first == second and first is not second
    assert first is not None and second is not None
    first.title = "changed"
    assert normalize_licence("cc-by", title="Creative Commons Attribution") == second


def test_provenance_of_builds_the_validated_instance_and_validates_inexact_values() -> None:
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    args = ("s1", "r1", "ckan", "https://example.org/d/r1", None, at)
    built = provenance_of(*args)
    validated = Provenance(**dict(zip(Provenance.model_fields, args, strict=True)))
    assert built == validated
    assert built.__pydantic_fields_set__ == validated.__pydantic_fields_set__
    assert built.model_dump_json() == validated.model_dump_json()
    # a value of another type than its field's goes through validation, not around it
    parsed = provenance_of("s1", "r1", "ckan", None, None, "2024-01-02T03:04:05Z")  # type: ignore[arg-type]
    assert parsed.harvested_at == at and type(parsed.harvested_at) is datetime
