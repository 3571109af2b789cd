"""The ``[targets]`` of the config file, read once per file version."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from harvester.config import load_config
from harvester.config_model import TargetsConfig


@lru_cache(maxsize=4)
def _load(path: Path, _mtime: float) -> TargetsConfig | None:
    return load_config(path).targets


def load_targets(path: Path) -> TargetsConfig | None:
    """The targets of the config file at ``path``; None when it has none or is absent.
    A broken file raises :class:`~harvester.config.ConfigError`."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return _load(path, mtime)
