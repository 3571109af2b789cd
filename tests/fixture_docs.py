"""The recorded documents of ``../shared/fixtures``, for tests parametrized over real values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.paths import FIXTURES


def load(path: Path) -> Iterator[Any]:
    """The JSON document (or the JSON Lines documents) of ``path``; nothing for a broken one
    (the ``bad_*`` fixtures are deliberately broken)."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":
            yield from (json.loads(line) for line in text.splitlines() if line.strip())
        else:
            yield json.loads(text)
    except json.JSONDecodeError:
        return


def documents(*platforms: str, pattern: str = "*.json*") -> Iterator[Any]:
    """Every document of the fixtures of ``platforms`` whose file name matches ``pattern``."""
    for platform in platforms:
        for path in sorted((FIXTURES / platform).glob(pattern)):
            yield from load(path)


def dicts(node: Any) -> Iterator[dict[str, Any]]:
    """``node`` and every object nested in it, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from dicts(value)
    elif isinstance(node, list):
        for item in node:
            yield from dicts(item)
