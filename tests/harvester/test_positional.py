"""A mapping worker's results cross the process boundary pickled as their constructors'
arguments (``harvester.positional``): every value comes back."""

from __future__ import annotations

import pickle
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from connectors.base import SourceSpec
from harvester.mapping_pool import Mapped, MappingError, Packed, map_records
from harvester.positional import PickledByPosition
from harvester.search.fields import PartnerInfo
from tests.api.corpus import ckan_packages

SPEC = SourceSpec(id="portail", url="https://portal.example.org/api/3/action", platform="ckan")


def _mapped() -> list[Mapped]:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    packed: list[Packed] = [
        (str(p.get("id") or p["name"]), orjson.dumps(p), at, "application/json", None)
        for p in ckan_packages()
    ]
    packed.append(("broken", orjson.dumps(["not", "a", "package"]), at, "application/json", None))
    return map_records(SPEC, PartnerInfo("ville", "municipality"), packed)


def _objects(value: Any) -> list[Any]:
    """``value`` and every dataclass it holds."""
    found = [value] if is_dataclass(value) else []
    children = (
        [getattr(value, field.name) for field in fields(value)]
        if is_dataclass(value)
        else list(value)
        if isinstance(value, tuple | list)
        else []
    )
    for child in children:
        found += _objects(child)
    return found


def test_mapped_records_come_back_whole() -> None:
    mapped = _mapped()
    assert any(m.prepared for m in mapped) and any(m.error for m in mapped)
    back = pickle.loads(pickle.dumps(mapped, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == mapped
    kinds = {type(obj) for item in mapped for obj in _objects(item)}
    assert {Mapped, MappingError} <= kinds and len(kinds) == 7, kinds
    for kind in kinds:  # each crosses as cls(*values), the Python __setstate__ unused
        assert issubclass(kind, PickledByPosition), kind
        assert is_dataclass(kind) and all(field.init for field in fields(kind)), kind


def test_a_frozen_class_is_rebuilt_through_its_constructor() -> None:
    error = MappingError("RecordInvalid", "no title", None, "https://example.org/x")
    rebuilt, arguments = error.__reduce__()
    assert rebuilt is MappingError and arguments == ("RecordInvalid", "no title", None, error.url)
    assert pickle.loads(pickle.dumps(error)) == error
