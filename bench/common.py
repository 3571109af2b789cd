"""Shared plumbing of the benchmarks: fresh processes, peak RSS, databases, ratio tables.

Every measurement runs in a fresh ``spawn`` process (:func:`isolated`), so its peak RSS
(``ru_maxrss``) is its own. Figures are compared as ratios against baselines measured in
the same run; absolute times depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_POSTGRES = os.environ.get(
    "MOISSON_BENCH_POSTGRES_URL",
    os.environ.get("MOISSON_TEST_POSTGRES_URL", ""),
)
"""A PostgreSQL URL whose role may CREATE DATABASE; benchmarks use their own database."""


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _call(target: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return target(*args)


def isolated(target: Callable[..., Any], *args: Any) -> Any:
    """``target(*args)`` in a fresh spawned process; its return value (picklable). The
    process is not a daemon, so it may start processes of its own (the mapping pool)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
        return pool.submit(_call, target, args).result()


@dataclass(slots=True)
class Timer:
    """Wall-clock seconds of a block: ``with Timer() as t: ...; t.seconds``."""

    seconds: float = 0.0
    _start: float = field(default=0.0, repr=False)

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of ``samples`` (nearest-rank on the sorted list)."""
    ordered = sorted(samples)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]

    return {"p50": statistics.median(ordered), "p95": rank(0.95), "p99": rank(0.99)}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str = "") -> str:
    """A plain-text table (numbers right-aligned, floats with sensible precision)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            if value >= 100:
                return f"{value:,.0f}"
            return f"{value:.2f}" if value >= 1 else f"{value:.3f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(
        h.rjust(w) if i else h.ljust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    out = [title, line, "-" * len(line)] if title else [line, "-" * len(line)]
    for row in cells:
        out.append(
            "  ".join(
                v.rjust(w) if i else v.ljust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(out)


def machine() -> str:
    """One line describing where the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {cpu} × {os.cpu_count()}{memory} · "
        f"load {load:.1f} · Python {platform.python_version()} · commit {revision()}"
    )


def revision() -> str:
    """The checkout measured: ``HEAD``'s short hash, followed by ``(+ working tree)`` when
    tracked files differ from it; ``?`` outside a git checkout."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        return "?"
    if not commit:
        return "?"
    return f"{commit} (+ working tree)" if changed else commit


# --- databases ---------------------------------------------------------------------------


async def _recreate(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import sqlalchemy as sa

    from harvester.store.db import create_engine

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        try:
            # a plain DROP stops an autovacuum worker busy on the new tables itself; FORCE,
            # for a non-superuser role, fails on that worker (it would have to signal it)
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        except sa.exc.DBAPIError:  # a session of ours left open
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


def chosen(listed: str, known: Sequence[str] | dict[str, Any], what: str) -> list[str]:
    """The comma-separated names in ``listed``; exits naming the first one not ``known``."""
    names = [name.strip() for name in listed.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown[0]!r}; use any of {', '.join(known)}")
    return names


def callgrind(
    tree: Path, script: Path, arguments: Sequence[str], env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run ``script arguments`` under ``valgrind --tool=callgrind --instr-atstart=no`` with
    the code of ``tree`` first on the path (the script switches counting on around what it
    measures: ``callgrind_control -i on``); the instructions counted and its standard
    output. Exits with the end of its output when it fails."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(script),
        *arguments,
    ]
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{script.name} {' '.join(arguments)} in {tree}: {done.stderr[-2000:]}")
    return int(found.group(1)), done.stdout


def fresh_database(kind: str, folder: Path, name: str) -> str:
    """A new, migrated, empty database of ``kind`` (``sqlite`` or ``postgresql``); its URL."""
    from harvester.store.migrate import upgrade

    url = empty_database(kind, folder, name)
    upgrade(url)
    return url


def empty_database(kind: str, folder: Path, name: str) -> str:
    """The URL of a new database of ``kind`` with no tables yet (migrated by its user, e.g.
    with another checkout's migrations): a file in ``folder`` (SQLite), or
    ``moisson_simbench_<name>`` on :data:`BENCH_POSTGRES`."""
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        path = folder / f"{name}.db"
        for stale in folder.glob(f"{name}.db*"):
            stale.unlink()
        return f"sqlite+aiosqlite:///{path}"
    if not BENCH_POSTGRES:
        raise RuntimeError("set MOISSON_BENCH_POSTGRES_URL (or MOISSON_TEST_POSTGRES_URL)")
    database = f"moisson_simbench_{name}"
    asyncio.run(_recreate(BENCH_POSTGRES, database))
    return make_url(BENCH_POSTGRES).set(database=database).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by :func:`fresh_database` (SQLite files stay in the
    temporary folder)."""
    from sqlalchemy.engine import make_url

    if url.startswith("postgresql"):
        asyncio.run(_recreate(BENCH_POSTGRES, make_url(url).database or "", drop_only=True))
