"""The connector registry, built from the ``moisson.connectors`` entry-point group.

Built-in connectors are declared in ``pyproject.toml`` exactly like third-party ones. A
connector whose module fails to import does not take the others down: it is left out of
``platforms()`` and ``get_connector`` names the import error.

``get_connector`` imports only the platform asked for: a process harvesting CKAN (a run's
process, its mapping worker) never imports the RDF stack the DCAT connectors pull in.
``connectors()``, ``platforms()`` and ``unavailable()`` load every declared connector.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from connectors.base import Connector
from connectors.errors import UnknownPlatform

ENTRY_POINT_GROUP = "moisson.connectors"

log = logging.getLogger(__name__)


class ConnectorUnavailable(LookupError):
    """A connector is declared but cannot be loaded."""


@cache
def _declared() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


@cache
def _loaded(platform: str) -> type[Connector] | str:
    """The declared connector's class, or why it cannot be loaded."""
    try:
        return _declared()[platform].load()
    except (ImportError, AttributeError) as error:
        log.warning("connector %r cannot be loaded: %s", platform, error)
        return f"{type(error).__name__}: {error}"


def _load() -> tuple[dict[str, type[Connector]], dict[str, str]]:
    found: dict[str, type[Connector]] = {}
    broken: dict[str, str] = {}
    for platform in _declared():
        loaded = _loaded(platform)
        if isinstance(loaded, str):
            broken[platform] = loaded
        else:
            found[platform] = loaded
    return found, broken


def connectors() -> dict[str, type[Connector]]:
    """Platform name → connector class, for every installed connector that loads."""
    return _load()[0]


def unavailable() -> dict[str, str]:
    """Platform name → why its declared connector could not be loaded."""
    return _load()[1]


def platforms() -> list[str]:
    """The names of every usable platform, sorted."""
    return sorted(_load()[0])


def get_connector(platform: str) -> type[Connector]:
    """The connector class for ``platform``; ``UnknownPlatform`` lists the valid ones."""
    if platform not in _declared():
        raise UnknownPlatform(platform, platforms())
    loaded = _loaded(platform)
    if isinstance(loaded, str):
        raise ConnectorUnavailable(f"connector {platform!r} cannot be loaded: {loaded}")
    return loaded
