"""Find every problem in a ``sources.toml`` at once, each with its line number and text.

``tomllib`` gives no positions, so :class:`KeyLocator` scans the text for table headers
(``[[sources]]``, ``[targets]``…) and ``key = value`` lines and maps each key path —
``("sources", 2, "schedule")`` — to the line it was written on. Pydantic errors and the
whole-file checks below are then placed on the nearest known line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError

from catalog.model import PartnerKind
from connectors import registry
from harvester.config_model import MoissonConfig

DESIGN_PLATFORMS = ("ckan", "socrata", "arcgis", "dcat_rdf", "dcat_us", "opendatasoft")
"""Platforms DESIGN §1 plans a connector for (a config may name them before they exist)."""
AUTO = "auto"

Path_ = tuple[str | int, ...]
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*(\]\]?)\s*(?:#.*)?$")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in the config file; ``line`` is 1-based, ``context`` that line's text."""

    message: str
    line: int | None = None
    context: str | None = None
    severity: Literal["error", "warning"] = "error"
    file: str | None = None


# --- where keys are written ----------------------------------------------------------------


def _split_key(text: str) -> list[str]:
    return [part.strip("\"'") for part in re.findall(_KEY_PART, text)]


class KeyLocator:
    """Maps key paths of a TOML document to the 1-based line that writes them."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.where: dict[Path_, int] = {}
        arrays: dict[Path_, int] = {}  # resolved array-of-tables path → items seen
        current: Path_ = ()
        in_string: str | None = None
        for number, line in enumerate(self.lines, start=1):
            if in_string:  # inside a multi-line string: only look for its end
                if line.count(in_string) % 2:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header and len(header.group(1)) == len(header.group(3)):
                current = self._table(
                    _split_key(header.group(2)), len(header.group(1)) == 2, arrays
                )
                self.where.setdefault(current, number)
                continue
            key = _KEY.match(line)
            if key:
                self.where.setdefault((*current, *_split_key(key.group(1))), number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2:
                        in_string = quote

    @staticmethod
    def _table(parts: list[str], is_array: bool, arrays: dict[Path_, int]) -> Path_:
        resolved: list[str | int] = []
        for index, part in enumerate(parts):
            resolved.append(part)
            last = index == len(parts) - 1
            if last and is_array:
                count = arrays.get(tuple(resolved), 0)
                arrays[tuple(resolved)] = count + 1
                resolved.append(count)
            elif tuple(resolved) in arrays:
                resolved.append(arrays[tuple(resolved)] - 1)
        return tuple(resolved)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path`` or of its nearest written ancestor."""
        path = tuple(path)
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return None

    def problem(
        self,
        message: str,
        path: Sequence[str | int],
        severity: Literal["error", "warning"] = "error",
    ) -> ConfigProblem:
        """A problem placed on the line of ``path``."""
        line = self.line_of(path)
        context = self.lines[line - 1].strip() if line else None
        return ConfigProblem(message, line, context, severity)


def syntax_problem(error: tomllib.TOMLDecodeError, lines: list[str]) -> ConfigProblem:
    """A TOML syntax error with the line its message points at."""
    text = str(error)
    found = _TOML_POSITION.search(text)
    if not found:
        return ConfigProblem(f"TOML syntax error: {text}")
    line = int(found.group(1))
    context = lines[line - 1].strip() if 0 < line <= len(lines) else None
    message = f"TOML syntax error: {text[: found.start()]} (column {found.group(2)})"
    return ConfigProblem(message, line, context)


# --- pydantic errors → problems ------------------------------------------------------------


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class under ``root`` holding the last key of ``loc`` (to list valid keys)."""
    model = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        found = _find_model(field.annotation) if field else None
        if found is None:
            return None
        model = found
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found:
                return found
    return None


def _where(loc: Sequence[str | int], data: Any) -> str:
    """A human name for the table holding ``loc[-1]``: "source 'laval'", "[targets]"."""
    table = list(loc[:-1])
    last_index = max((i for i, part in enumerate(table) if isinstance(part, int)), default=None)
    if last_index is None:
        return f"[{'.'.join(map(str, table))}]" if table else "the top level"
    item: Any = data
    for part in table[: last_index + 1]:
        ok = isinstance(item, dict) or (isinstance(item, list) and isinstance(part, int))
        item = item[part] if ok else None
    name = ".".join(map(str, table[:last_index]))
    singular = {"partners": "partner", "sources": "source"}.get(name, f"[[{name}]]")
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        label = f"{singular} {item['id']!r}"
    else:
        label = f"{singular} #{table[last_index] + 1}"  # type: ignore[operator]
    return " ".join([label, *map(str, table[last_index + 1 :])])


_TYPE_NAMES = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "a string",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def pydantic_problems(
    error: ValidationError,
    data: Any,
    locator: KeyLocator,
    prefix: Path_ = (),
    root: type[BaseModel] = MoissonConfig,
) -> list[ConfigProblem]:
    """One problem per pydantic error of ``root`` validated at ``prefix`` in ``data``."""
    problems = []
    for item in error.errors(include_url=False):
        loc = (*prefix, *item["loc"])
        key = str(loc[-1]) if loc else ""
        kind, value = item["type"], item.get("input")
        if kind == "missing":
            message = f"missing required key {key!r} in {_where(loc, data)}"
        elif kind == "extra_forbidden":
            message = f"unknown key {key!r} in {_where(loc, data)}"
            model = _model_at(root, item["loc"])
            if model is not None:
                keys = list(model.model_fields)
                close = difflib.get_close_matches(key, keys, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                message += f" ({hint}valid: {', '.join(keys)})"
        elif kind == "enum" and key == "kind":
            kinds = ", ".join(k.value for k in PartnerKind)
            message = f"unknown partner kind {value!r} (valid: {kinds})"
        elif kind in _TYPE_NAMES:
            message = f"{key!r} must be {_TYPE_NAMES[kind]}, got {_describe(value)}"
        else:
            text = item["msg"].removeprefix("Value error, ")
            message = f"{key!r}: {text}" if key and not isinstance(loc[-1], int) else text
        problems.append(locator.problem(message, loc))
    return problems


# --- whole-file checks ---------------------------------------------------------------------


def _items(data: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(name)
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _duplicates(
    values: Iterable[tuple[int, Any]], table: Path_, key: str, what: str, locator: KeyLocator
) -> list[ConfigProblem]:
    """A problem on each repeat of a value; ``values`` are (item index, value) pairs."""
    seen: dict[Any, int] = {}
    problems = []
    for index, value in values:
        if value in seen:
            first = locator.line_of((*table, seen[value], key))
            at = f" (first on line {first})" if first else ""
            label = value[0] if isinstance(value, tuple) else value
            problems.append(
                locator.problem(f"duplicate {what} {label!r}{at}", (*table, index, key))
            )
        else:
            seen[value] = index
    return problems


def _normal_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _installed() -> tuple[dict[str, Any], dict[str, str]]:
    """Loaded connector classes, and platforms whose entry point failed to load."""
    return registry.connectors(), registry.unavailable()


def _platform_problems(data: dict[str, Any], locator: KeyLocator) -> list[ConfigProblem]:
    loaded, broken = _installed()
    valid = sorted({*loaded, *broken, *DESIGN_PLATFORMS, AUTO})
    problems = []
    for index, source in _items(data, "sources"):
        platform = source.get("platform")
        if not isinstance(platform, str):
            continue
        where = ("sources", index, "platform")
        if platform not in valid:
            message = f"unknown platform {platform!r} (valid: {', '.join(valid)})"
            problems.append(locator.problem(message, where))
        elif platform in broken:
            message = f"connector for platform {platform!r} failed to load ({broken[platform]})"
            problems.append(locator.problem(message, where, "warning"))
        elif platform != AUTO and platform not in loaded:
            message = f"no connector installed yet for platform {platform!r}"
            problems.append(locator.problem(message, where, "warning"))
        elif platform in loaded and isinstance(source.get("options", {}), dict):
            options_model = getattr(loaded[platform], "Options", None)
            if options_model is None:
                continue
            try:
                options_model.model_validate(source.get("options", {}))
            except ValidationError as error:
                prefix = ("sources", index, "options")
                found = pydantic_problems(error, data, locator, prefix, options_model)
                for problem in found:
                    message = f"{platform} option {problem.message}"
                    problems.append(ConfigProblem(message, problem.line, problem.context))
    return problems


def _target_problems(data: dict[str, Any], locator: KeyLocator) -> list[ConfigProblem]:
    targets = data.get("targets")
    if not isinstance(targets, dict):
        return []
    partner_targets = _items(targets, "partners")
    deadlines: list[tuple[Path_, Any]] = [
        (("targets", name, "deadline"), goal.get("deadline"))
        for name, goal in targets.items()
        if isinstance(goal, dict)
    ]
    deadlines += [
        (("targets", "partners", index, "deadline"), target.get("deadline"))
        for index, target in partner_targets
    ]
    baseline = targets.get("baseline")
    problems = []
    for path, deadline in deadlines:
        if _is_date(baseline) and _is_date(deadline) and deadline <= baseline:
            message = f"deadline {deadline} is not after the baseline {baseline}"
            problems.append(locator.problem(message, path))
    kinds = ((i, t["kind"]) for i, t in partner_targets if isinstance(t.get("kind"), str))
    problems += _duplicates(
        kinds, ("targets", "partners"), "kind", "partner target for kind", locator
    )
    return problems


def _is_date(value: Any) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def file_problems(data: dict[str, Any], locator: KeyLocator) -> list[ConfigProblem]:
    """Checks across entries: references, duplicates, platforms, options, target dates."""
    partners = _items(data, "partners")
    sources = _items(data, "sources")
    partner_ids = [(i, p["id"]) for i, p in partners if isinstance(p.get("id"), str)]
    source_ids = [(i, s["id"]) for i, s in sources if isinstance(s.get("id"), str)]
    problems = _duplicates(partner_ids, ("partners",), "id", "partner id", locator)
    problems += _duplicates(source_ids, ("sources",), "id", "source id", locator)
    known = sorted({partner_id for _, partner_id in partner_ids})
    for index, source in sources:
        partner = source.get("partner")
        if isinstance(partner, str) and partner not in known:
            close = difflib.get_close_matches(partner, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
            message = f"source refers to unknown partner {partner!r}{hint}"
            problems.append(locator.problem(message, ("sources", index, "partner")))
    # The same URL may appear twice with different options (e.g. two CKAN organizations).
    urls = [
        (i, (_normal_url(s["url"]), repr(sorted(s.get("options", {}).items()))))
        for i, s in sources
        if isinstance(s.get("url"), str) and isinstance(s.get("options", {}), dict)
    ]
    problems += _duplicates(urls, ("sources",), "url", "source URL (same options)", locator)
    problems += _platform_problems(data, locator)
    problems += _target_problems(data, locator)
    return problems
