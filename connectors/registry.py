"""The connector registry, built once from the ``moisson.connectors`` entry-point group.

Built-in connectors are declared in ``pyproject.toml`` exactly like third-party ones.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from connectors.base import Connector
from connectors.errors import UnknownPlatform

ENTRY_POINT_GROUP = "moisson.connectors"


@cache
def connectors() -> dict[str, type[Connector]]:
    """Platform name → connector class, for every installed connector."""
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = entry.load()
    return found


def platforms() -> list[str]:
    """The names of every registered platform, sorted."""
    return sorted(connectors())


def get_connector(platform: str) -> type[Connector]:
    """The connector class for ``platform``; ``UnknownPlatform`` lists the valid ones."""
    try:
        return connectors()[platform]
    except KeyError:
        raise UnknownPlatform(platform, platforms()) from None
