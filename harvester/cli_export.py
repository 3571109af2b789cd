"""``moisson export``: the whole catalogue as one DCAT-AP file (:mod:`harvester.export`).

The writer and the RDF package are imported when the command runs: rdflib would cost every
other command ~80 ms."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO
from urllib.parse import urlsplit

import typer
from sqlalchemy.engine import make_url

from harvester.cli_common import (
    EXIT_BAD_INPUT,
    CliError,
    database,
    err,
    fail,
    load_settings,
    run,
    short_error,
)
from harvester.settings import Settings
from harvester.store.db import in_memory, is_sqlite

if TYPE_CHECKING:
    from catalog.rdf import Format
    from harvester.export import Exported

MAX_DEFAULT_PROCESSES = 4
_URL_FORBIDDEN = set(' <>"{}|\\^`')


def export(
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="File to write (replaced once complete), or - for stdout."
        ),
    ],
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            help="The API's public URL, e.g. https://donnees.example.qc.ca: datasets are "
            "{base}/datasets/{id}, as the API's feeds name them.",
        ),
    ],
    format: Annotated[
        str, typer.Option("--format", help="turtle (ttl), nt, jsonld or xml (rdf).")
    ] = "turtle",
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            help="Processes writing side by side (default: one per CPU, "
            f"{MAX_DEFAULT_PROCESSES} at most).",
        ),
    ] = None,
) -> None:
    """Write the whole catalogue (withdrawn datasets left out) as one DCAT-AP document: what
    /catalog?limit=all serves at --base-url. Reads the database only."""
    fmt = _format(format)
    base = _base_url(base_url)
    target = _output(output)
    wanted = default_processes() if processes is None else processes
    if wanted < 1:
        fail(f"--processes: expected 1 or more, not {wanted}", EXIT_BAD_INPUT)
    settings = load_settings()
    started = time.perf_counter()
    stream = sys.stdout.buffer if target is None else target
    exported = run(_export(settings, stream, fmt, base, wanted))
    seconds = time.perf_counter() - started
    err().print(
        f"exported {exported.datasets} datasets as {fmt} to {target or 'stdout'} in "
        f"{seconds:.1f} s ({exported.datasets / max(seconds, 1e-9):,.0f} datasets/s, "
        f"{exported.processes} process{'es' if exported.processes > 1 else ''})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def default_processes() -> int:
    """One process per CPU, :data:`MAX_DEFAULT_PROCESSES` at most."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_PROCESSES))


def _format(value: str) -> Format:
    """A writer's name (turtle, nt, jsonld, xml) or an API suffix (ttl, rdf…) as a format."""
    from catalog.rdf import MEDIA_TYPES, SUFFIXES

    formats: dict[str, Format] = {**{fmt: fmt for fmt in MEDIA_TYPES}, **SUFFIXES}
    fmt = formats.get(value.lower())
    if fmt is None:
        fail(f"--format: unknown format {value!r} (one of {', '.join(formats)})", EXIT_BAD_INPUT)
    return fmt


def _base_url(value: str) -> str:
    """``value`` without its trailing slash, if it is an absolute http(s) URL with neither
    query nor fragment."""
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a port that is not a number
        valid = False
    if not valid or parts.query or parts.fragment or "?" in value or "#" in value:
        fail(
            f"--base-url: expected an absolute http(s) URL without query or fragment, "
            f"e.g. https://donnees.example.qc.ca, not {value!r}",
            EXIT_BAD_INPUT,
        )
    if _URL_FORBIDDEN & set(value) or not value.isprintable():
        fail(f"--base-url: {value!r} has characters a URL cannot hold", EXIT_BAD_INPUT)
    return value.rstrip("/")


def _output(value: str) -> Path | None:
    """The file to write (None: standard output), in an existing, writable folder."""
    if value == "-":
        return None
    path = Path(value).expanduser()
    folder = path.parent
    if path.is_dir():
        fail(f"--output: {value} is a directory", EXIT_BAD_INPUT)
    if not folder.is_dir():
        fail(f"--output: no directory {folder}", EXIT_BAD_INPUT)
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"--output: cannot write in {folder}", EXIT_BAD_INPUT)
    return path


async def _export(
    settings: Settings, output: Path | BinaryIO, fmt: Format, base: str, processes: int
) -> Exported:
    from harvester.export import ExportError, export_catalog

    missing = _missing_sqlite_file(settings.database_url)
    if missing is not None:  # opening it would create an empty one
        raise CliError(f"no database at {missing} (see MOISSON_DATABASE_URL)", EXIT_BAD_INPUT)
    async with database(settings, migrate=False):
        pass  # the database answers (or the command ends saying why); read-only: no migration
    failed = "export failed" + (f" ({output} left as it was)" if isinstance(output, Path) else "")
    try:
        return await export_catalog(
            settings.database_url, output, format=fmt, base=base, processes=processes
        )
    except ExportError as error:
        raise CliError(f"{failed}: {error}") from None
    except Exception as error:  # the database's, the disk's, a worker's: one line
        raise CliError(f"{failed}: {short_error(error)}") from None


def _missing_sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL when there is no such file (a ``file:`` URI is
    left to SQLite)."""
    try:
        name = make_url(url).database
        if not is_sqlite(url) or in_memory(url) or not name or name.startswith("file:"):
            return None
    except Exception:  # not a URL: database() says so
        return None
    path = Path(name).expanduser()
    return None if path.exists() else path
