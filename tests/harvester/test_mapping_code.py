"""The mapping key follows the code that maps and derives records (harvester.mapping_code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from connectors.base import SourceSpec
from connectors.ckan import CkanConnector
from harvester import mapping_code
from harvester.runs import mapping_key
from tests.harvester.mapping_code_support import (
    CodeCopy,
    code_fixture,  # noqa: F401  (the code fixture)
)

SPEC = SourceSpec(id="s", url="https://a.example", platform="ckan", options={"rows": 4})


def _key(spec: SourceSpec = SPEC, connector_class: type = CkanConnector) -> str:
    return mapping_key(connector_class(spec, httpx.AsyncClient()), spec)


def test_the_hashed_files_are_the_mapping_and_derivation_code():
    names = {p.relative_to(mapping_code.ROOT).as_posix() for p in mapping_code.code_files()}
    for expected in (
        "connectors/ckan_mapping.py",
        "connectors/values.py",
        "connectors/dcat_rdf_values.py",
        "catalog/conformity.py",
        "catalog/vocab/licences.py",
        "harvester/prepare.py",
        "harvester/quality_facts.py",
        "harvester/search/fields.py",
        "harvester/search/text.py",
    ):
        assert expected in names
    harvester = {name for name in names if name.startswith("harvester/")}
    assert not harvester & {"harvester/runs.py", "harvester/store/datasets.py"}
    assert len(harvester) < 10, "only derivation, not the whole harvester"


def test_derivation_modules_follow_the_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "harvester" / "search").mkdir(parents=True)
    files = {
        "harvester/__init__.py": "",
        "harvester/search/__init__.py": "",
        "harvester/prepare.py": "from harvester.search import keywords\nimport catalog.model\n",
        "harvester/search/keywords.py": "from .stems import stem\n",
        "harvester/search/stems.py": "def stem(): ...\n",
        "harvester/runs.py": "from harvester.prepare import derived\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(mapping_code, "ROOT", tmp_path)
    found = {p.relative_to(tmp_path).as_posix() for p in mapping_code.derive_modules()}
    assert found == set(files) - {"harvester/runs.py"}


def test_key_changes_with_the_mapping_code_and_only_with_it(code: CodeCopy):
    key = _key()
    assert key == _key(), "stable within a process"
    assert key.startswith("ckan/1/") and len(key) <= 100
    mapping_code.forget()
    assert _key() == key, "stable when computed again from the same code"

    code.edit("connectors/ckan_mapping.py")
    changed = _key()
    assert changed != key, "a connector's mapping changed"
    code.edit("harvester/search/text.py")
    assert _key() not in (key, changed), "search analysis changed"
    before = _key()
    code.edit("catalog/vocab/formats.py")
    assert _key() != before, "a shared vocabulary changed"


def test_key_follows_the_library_versions(code: CodeCopy, monkeypatch: pytest.MonkeyPatch):
    key = _key()
    real = mapping_code.metadata.version
    monkeypatch.setattr(
        mapping_code.metadata,
        "version",
        lambda name: "99.0" if name == "PyStemmer" else real(name),
    )
    mapping_code.forget()
    assert _key() != key


def test_fingerprint_is_computed_once_per_process(code: CodeCopy, monkeypatch: pytest.MonkeyPatch):
    _key()
    reads: list[Any] = []

    def code_files() -> list[Path]:
        reads.append(1)
        return []

    monkeypatch.setattr(mapping_code, "code_files", code_files)
    for _ in range(3):
        _key()
    assert reads == []


class PluginConnector(CkanConnector):
    """A connector defined outside catalog/ and connectors/: its own module counts too."""

    platform: ClassVar[str] = "ckan"


def test_plugin_connector_module_is_part_of_its_key(code: CodeCopy):
    assert _key(connector_class=PluginConnector) != _key()
    assert mapping_code.connector_fingerprint(CkanConnector) == mapping_code.code_fingerprint()
