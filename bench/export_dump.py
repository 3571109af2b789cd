"""Benchmark: ``moisson export`` — the whole catalogue from the database to one DCAT-AP file,
by one process and by several side by side.

    .venv/bin/python bench/export_dump.py [--n 20000] [--db FILE] [--formats turtle,nt,jsonld,xml]
        [--processes 1,2] [--repeat 2] [--postgres]

The catalogue is the portal simulator's corpus mapped by the CKAN connector and stored by
``write_batch`` (``search_latency.build``; ``--db FILE`` keeps a SQLite file to reuse,
``--postgres`` builds a database on ``MOISSON_BENCH_POSTGRES_URL``). Each export runs in a
fresh process (:func:`bench.common.isolated`) calling
:func:`harvester.export.export_catalog` to a file in a temporary folder, so everything an
operator's dump costs is in the figure: the database reads, the records' validation, the
writers, the parts' copy. Process counts alternate from round to round; the baseline is the
single process of the same round (``×``). The outputs of every process count are compared
(SHA-256: "same bytes"). CPU is the exporting process's plus its workers'; peak RSS is the
larger of the exporting process's and its largest worker's (``ru_maxrss`` of
``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_database, isolated, machine, table

BASE = "https://donnees.example.qc.ca"
FORMATS = ("turtle", "nt", "jsonld", "xml")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _export(url: str, fmt: str, processes: int, folder: str) -> dict[str, Any]:
    """One export, meant to run in a fresh process: seconds, CPU, peak RSS, the file's hash."""
    from harvester.export import export_catalog

    output = Path(folder) / f"catalog-{processes}.{fmt}"
    started, cpu = time.perf_counter(), _cpu()
    exported = asyncio.run(
        export_catalog(url, output, format=fmt, base=BASE, processes=processes)  # type: ignore[arg-type]
    )
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    digest = hashlib.sha256()
    with output.open("rb") as written:
        while chunk := written.read(1 << 20):
            digest.update(chunk)
    size = output.stat().st_size
    output.unlink()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "cpu": cpu,
        "datasets": exported.datasets,
        "processes": exported.processes,
        "peak_mb": max(own, children) / 1024,
        "bytes": size,
        "sha256": digest.hexdigest(),
    }


def _database(args: argparse.Namespace, folder: Path) -> tuple[str, bool]:
    """The catalogue's URL, and whether to drop it afterwards."""
    from bench.search_latency import build

    if args.postgres:
        url = fresh_database("postgresql", folder, "export_dump")
    elif args.db is not None:
        url = f"sqlite+aiosqlite:///{args.db.resolve()}"
        if args.db.exists():
            return url, False
        from harvester.store.migrate import upgrade

        upgrade(url)
    else:
        url = fresh_database("sqlite", folder, "export_dump")
    asyncio.run(build(url, args.n, args.seed))
    return url, args.postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="datasets to build (default 20000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, help="SQLite file to build once and reuse")
    parser.add_argument("--postgres", action="store_true", help="on MOISSON_BENCH_POSTGRES_URL")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--processes", default="1,2", help="process counts (first: baseline)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds (process order alternates)")
    args = parser.parse_args()
    counts = [int(value) for value in args.processes.split(",")]
    formats = [value for value in args.formats.split(",") if value]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not counts or min(counts) < 1:
        parser.error(f"formats among {', '.join(FORMATS)}; process counts ≥ 1")
    print(machine())
    with tempfile.TemporaryDirectory(prefix="export_dump_") as tmp:
        url, drop = _database(args, Path(tmp))
        try:
            rows = []
            for fmt in formats:
                runs: dict[int, list[dict[str, Any]]] = {count: [] for count in counts}
                for round_ in range(args.repeat):
                    order = counts if round_ % 2 == 0 else counts[::-1]
                    for count in order:
                        runs[count].append(isolated(_export, url, fmt, count, tmp))
                baseline = statistics.median(run["seconds"] for run in runs[counts[0]])
                hashes = {run["sha256"] for done in runs.values() for run in done}
                for count in counts:
                    done = runs[count]
                    seconds = statistics.median(run["seconds"] for run in done)
                    n = done[0]["datasets"]
                    rows.append(
                        [
                            fmt,
                            count,
                            done[0]["processes"],
                            ", ".join(f"{run['seconds']:.2f}" for run in done),
                            n / seconds,
                            n / statistics.median(run["cpu"] for run in done),
                            baseline / seconds,
                            max(run["peak_mb"] for run in done),
                            done[0]["bytes"],
                            "yes" if len(hashes) == 1 else "NO",
                        ]
                    )
            headers = ["format", "asked", "used", "wall s", "ds/s", "ds/CPU s", "×"]
            headers += ["peak MB", "bytes", "same bytes"]
            print(
                table(
                    headers, rows, title=f"moisson export of {n:,} datasets ({url.split(':')[0]})"
                )
            )
            print(
                "\nasked/used = processes asked for / that wrote a range; wall s = each round; "
                "ds/s = by the median wall time; ds/CPU s = by the median CPU of all processes; "
                f"× = the median wall time of {counts[0]} process(es) / this one's"
            )
        finally:
            if drop:
                drop_database(url)


if __name__ == "__main__":
    main()
