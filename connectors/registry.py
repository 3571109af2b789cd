"""The connector registry, built once from the ``moisson.connectors`` entry-point group.

Built-in connectors are declared in ``pyproject.toml`` exactly like third-party ones. A
connector whose module fails to import does not take the others down: it is left out of
``platforms()`` and ``get_connector`` names the import error.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

from connectors.base import Connector
from connectors.errors import UnknownPlatform

ENTRY_POINT_GROUP = "moisson.connectors"

log = logging.getLogger(__name__)


class ConnectorUnavailable(LookupError):
    """A connector is declared but cannot be loaded."""


@cache
def _load() -> tuple[dict[str, type[Connector]], dict[str, str]]:
    found: dict[str, type[Connector]] = {}
    broken: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[entry.name] = entry.load()
        except (ImportError, AttributeError) as error:
            broken[entry.name] = f"{type(error).__name__}: {error}"
            log.warning("connector %r cannot be loaded: %s", entry.name, error)
    return found, broken


def connectors() -> dict[str, type[Connector]]:
    """Platform name → connector class, for every installed connector that loads."""
    return dict(_load()[0])


def unavailable() -> dict[str, str]:
    """Platform name → why its declared connector could not be loaded."""
    return dict(_load()[1])


def platforms() -> list[str]:
    """The names of every usable platform, sorted."""
    return sorted(_load()[0])


def get_connector(platform: str) -> type[Connector]:
    """The connector class for ``platform``; ``UnknownPlatform`` lists the valid ones."""
    found, broken = _load()
    if platform in found:
        return found[platform]
    if platform in broken:
        raise ConnectorUnavailable(f"connector {platform!r} cannot be loaded: {broken[platform]}")
    raise UnknownPlatform(platform, platforms())
