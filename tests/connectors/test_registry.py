"""The connector registry: one platform loaded on demand, broken connectors kept apart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from connectors import registry
from connectors.ckan import CkanConnector
from connectors.errors import UnknownPlatform


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, EntryPoint]]:
    """A registry over three declared connectors, one of which cannot be imported."""
    entries = {
        "ckan": EntryPoint("ckan", "connectors.ckan:CkanConnector", registry.ENTRY_POINT_GROUP),
        "ghost": EntryPoint("ghost", "connectors.no_such_module:Ghost", registry.ENTRY_POINT_GROUP),
        "typo": EntryPoint("typo", "connectors.ckan:NoSuchClass", registry.ENTRY_POINT_GROUP),
    }
    monkeypatch.setattr(registry, "_declared", lambda: entries)
    registry._loaded.cache_clear()
    yield entries
    registry._loaded.cache_clear()


def test_declared_connectors_load_and_broken_ones_are_named(
    declared: dict[str, EntryPoint],
) -> None:
    assert registry.get_connector("ckan") is CkanConnector
    assert registry.platforms() == ["ckan"]
    assert registry.connectors() == {"ckan": CkanConnector}
    broken = registry.unavailable()
    assert set(broken) == {"ghost", "typo"}
    assert broken["ghost"].startswith("ModuleNotFoundError: ")
    assert broken["typo"].startswith("AttributeError: ")
    with pytest.raises(registry.ConnectorUnavailable, match=r"'ghost' cannot be loaded: Module"):
        registry.get_connector("ghost")


def test_unknown_platform_lists_the_usable_ones(declared: dict[str, EntryPoint]) -> None:
    with pytest.raises(UnknownPlatform) as caught:
        registry.get_connector("kcan")
    assert "kcan" in str(caught.value) and "ckan" in str(caught.value)
    assert "ghost" not in str(caught.value)


def test_a_broken_connector_does_not_stop_another_from_loading(
    declared: dict[str, EntryPoint],
) -> None:
    with pytest.raises(registry.ConnectorUnavailable):
        registry.get_connector("typo")
    assert registry.get_connector("ckan") is CkanConnector


def test_getting_one_connector_imports_no_other() -> None:
    """A CKAN harvest's processes never import the RDF stack (time and memory per worker)."""
    script = (
        "import sys\n"
        "from connectors.registry import get_connector\n"
        "get_connector('ckan')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('connectors.', 'rdflib'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    imported = done.stdout
    assert "'connectors.ckan'" in imported
    for other in ("connectors.dcat_rdf", "connectors.arcgis", "connectors.socrata", "rdflib"):
        assert f"'{other}'" not in imported, imported


def test_every_declared_builtin_connector_loads() -> None:
    assert set(registry.platforms()) >= {
        "arcgis",
        "ckan",
        "dcat_rdf",
        "dcat_us",
        "opendatasoft",
        "socrata",
    }
    assert registry.unavailable() == {}
