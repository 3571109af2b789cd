"""Load and check ``config/sources.toml`` (DESIGN §7).

``check_config(path)`` reports every problem of a file at once — syntax, unknown or missing
keys, wrong types, bad dates, kinds, platforms, URLs, schedules, partner references,
duplicates and connector options — each with its line; ``load_config(path)`` returns the
typed :class:`MoissonConfig` or raises :class:`ConfigError` listing them.

The models live in :mod:`harvester.config_model`, the checks in :mod:`harvester.config_check`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harvester.config_check import (
    ConfigProblem,
    KeyLocator,
    file_problems,
    pydantic_problems,
    syntax_problem,
)
from harvester.config_model import (
    DEFAULT_SCHEDULE,
    CountTarget,
    MoissonConfig,
    PartnerConfig,
    PartnerTarget,
    ShareTarget,
    SourceConfig,
    TargetsConfig,
    parse_interval,
    validate_schedule,
)

__all__ = [
    "DEFAULT_SCHEDULE",
    "ConfigError",
    "ConfigProblem",
    "CountTarget",
    "MoissonConfig",
    "PartnerConfig",
    "PartnerTarget",
    "ShareTarget",
    "SourceConfig",
    "TargetsConfig",
    "check_config",
    "format_problems",
    "load_config",
    "parse_interval",
    "validate_schedule",
]


class ConfigError(Exception):
    """The config file has errors; ``problems`` holds all of them (warnings included)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in config:\n{format_problems(problems)}")


def format_problems(problems: Iterable[ConfigProblem]) -> str:
    """``file:line: severity: message`` lines, each followed by the offending line indented."""
    out = []
    for problem in problems:
        where = problem.file or "<config>"
        if problem.line is not None:
            where += f":{problem.line}"
        out.append(f"{where}: {problem.severity}: {problem.message}")
        if problem.context:
            out.append(f"    {problem.context}")
    return "\n".join(out)


def _named(problems: list[ConfigProblem], path: Path) -> list[ConfigProblem]:
    return [ConfigProblem(p.message, p.line, p.context, p.severity, str(path)) for p in problems]


def _check(path: Path) -> tuple[list[ConfigProblem], MoissonConfig | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _named([ConfigProblem(f"cannot read config file: {error}")], path), None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return _named([syntax_problem(error, text.splitlines())], path), None
    locator = KeyLocator(text)
    config = None
    try:
        config = MoissonConfig.model_validate(data)
        problems = []
    except ValidationError as error:
        problems = pydantic_problems(error, data, locator)
    problems += file_problems(data, locator)
    problems.sort(key=lambda p: (p.line is None, p.line or 0, p.severity != "error"))
    return _named(problems, path), config


def check_config(path: Path) -> list[ConfigProblem]:
    """Every problem in the file at ``path`` (errors and warnings), in line order."""
    return _check(path)[0]


def load_config(path: Path) -> MoissonConfig:
    """The typed config at ``path``; ``ConfigError`` if it has any error (warnings pass)."""
    problems, config = _check(path)
    if config is None or any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    return config
