"""A fingerprint of the code that maps and derives records, for the mapping key.

A stored payload is mapped again when its mapping key changes
(:func:`harvester.runs.mapping_key`); the key holds this fingerprint, so a release that
changes how a payload is mapped, or what is derived from the record, re-maps every payload
once without anyone bumping ``mapping_version``. The fingerprint is a SHA-256 of the
source bytes (with their paths relative to the project) of:

* every module of ``catalog/`` and ``connectors/``: mapping reaches most of both (shared
  value helpers, vocabularies, every connector's own modules, which import each other). A
  missed module would leave the catalogue silently stale; an extra one (a change to another
  connector, or to fetching code) costs one re-map of every source, CPU and a new
  ``raw_record.mapping_key``, never a wrong row;
* ``harvester.prepare`` and the ``harvester`` modules it imports, transitively (found in
  their ``import`` statements): what the dataset row, facets, search text and quality facts
  are derived with. The rest of ``harvester/`` (runs, store, API support) never re-maps;
* the module of a connector class defined elsewhere (a plugin, a test's subclass);
* the versions of the libraries whose behaviour shapes the output (model validation, RDF
  parsing, stemming) and of the Unicode database (case and accent folding).

It is computed once per process (per connector class for the plugin part): reading the
~90 files and parsing the few derivation modules takes ~20 ms.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project directory holding the ``catalog``, ``connectors`` and ``harvester`` packages."""

PACKAGES = ("catalog", "connectors")
"""Packages hashed whole."""

DERIVE_ROOT = "harvester.prepare"
"""The module every derivation goes through; it and its ``harvester`` imports are hashed."""

DISTRIBUTIONS = (
    "pydantic",
    "pydantic-core",
    "rdflib",
    "pyoxigraph",
    "snowballstemmer",
    "PyStemmer",
)
"""Libraries whose version may change a mapped record or what is derived from it."""


def _module_file(name: str) -> Path | None:
    """The source file of a first-party module, by its dotted name (None if not one)."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path, package: str) -> Iterable[str]:
    """Dotted names that ``path`` imports (each ``from a import b`` also as ``a.b``)."""
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def derive_modules(root: str = DERIVE_ROOT) -> list[Path]:
    """``root`` and the ``harvester`` modules it imports, transitively, with the packages
    that hold them (their ``__init__`` runs on import)."""
    found: dict[str, Path] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in found or path is None:
            continue
        found[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        todo += parents
        todo += [n for n in _imported(path, package) if n.split(".")[0] == "harvester"]
    return sorted(found.values())


def code_files() -> list[Path]:
    """Every source file the fingerprint covers, in a stable order."""
    files = {p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    files.update(derive_modules())
    return sorted(files)


def _digest(files: Iterable[Path], *extra: str) -> str:
    """SHA-256 (hex) of ``files``, each with its path relative to the project, and ``extra``."""
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    for text in extra:
        digest.update(f"{text}\0".encode())
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return f"{name}={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return f"{name}=-"


def _versions() -> str:
    versions = [_version(name) for name in DISTRIBUTIONS]
    versions.append(f"unicode={unicodedata.unidata_version}")
    return ";".join(versions)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 (hex) of the mapping and derivation code shared by every connector."""
    files = code_files()
    if not files:  # installed without sources: Moisson's own version stands in for them
        return _digest(files, _versions(), _version("moisson"))
    return _digest(files, _versions())


@lru_cache(maxsize=64)
def connector_fingerprint(connector_class: type) -> str:
    """:func:`code_fingerprint`, combined with the module of ``connector_class`` when it is
    defined outside the hashed files (a plugin that maps in other modules of its own still
    bumps its ``mapping_version``)."""
    shared = code_fingerprint()
    try:
        source = Path(inspect.getfile(connector_class)).resolve()
    except (TypeError, OSError):
        return shared
    if not source.is_file() or any(source.is_relative_to(ROOT / p) for p in PACKAGES):
        return shared
    return _digest([source], shared)


def forget() -> None:
    """Drop the cached fingerprints (tests that change the hashed code)."""
    code_fingerprint.cache_clear()
    connector_fingerprint.cache_clear()
