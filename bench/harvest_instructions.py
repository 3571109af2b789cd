"""Benchmark: instructions per harvested dataset, counted by callgrind (independent of load).

    .venv/bin/python bench/harvest_instructions.py [--n 1000] [--platforms ckan,dcat_turtle]
        [--databases sqlite,postgresql] [--baseline-tree DIR]

A harvest's wall and CPU seconds moved by ±15-20 % between runs of the same code on a
shared two-core machine; instruction counts do not. The portal simulator serves the
catalogue from its own process (not counted); each tree's harvest runs in a process of its
own under ``valgrind --tool=callgrind --instr-atstart=no``, into a fresh database, with
every record mapped in that process (``MOISSON_MAP_PROCESSES=0``: a worker's share would
depend on timing). Into PostgreSQL (``--databases postgresql``, a database of its own on
``MOISSON_BENCH_POSTGRES_URL`` or ``MOISSON_TEST_POSTGRES_URL``) only the harvesting
process is counted, not the server: what a change to the client side saves. Connectors are
imported first, then counting is switched on
(``callgrind_control -i on``) for ``run_harvest`` alone: fetching, parsing, mapping,
deriving, the SQL layer and SQLite's own C code are counted; the kernel is not, so the
bytes handed to ``write`` and ``read`` (``/proc/self/io``) are printed beside. Note that
valgrind's CPU lacks SHA-NI: the SHA-256 of payloads and records counts ~0.3 M instructions
per dataset here that take ~4 µs natively. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("ckan", "dcat_turtle")
"""The simulator's platforms measured (``bench/harvest.py`` names)."""
DATABASES = ("sqlite", "postgresql")


def _io() -> dict[str, int]:
    lines = Path("/proc/self/io").read_text().splitlines()
    return {key: int(value) for key, value in (line.split(": ") for line in lines)}


async def _child(source_url: str, platform: str, url: str) -> None:
    """Runs under callgrind, with the measured tree first on ``sys.path``: counts only
    ``run_harvest`` into the migrated database at ``url``."""
    from bench.harvest import _setup
    from connectors.client import build_client
    from connectors.registry import platforms
    from harvester.runs import run_harvest
    from harvester.store.db import create_engine, session_factory

    platforms()  # every connector imported before counting (rdflib among them)
    await _setup(url, source_url, platform, 100)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with build_client(allow=["127.0.0.1"], timeout=300) as client:
        before = _io()
        _counting(True)
        run = await run_harvest(sessions, "bench", client, full=True, batch_size=500)
        _counting(False)
        after = _io()
    await engine.dispose()
    if run.status != "succeeded":
        raise SystemExit(f"the harvest ended {run.status}: {run.message}")
    written, read = after["wchar"] - before["wchar"], after["rchar"] - before["rchar"]
    print(f"harvested {run.seen} written {written} read {read}")


def _counting(on: bool) -> None:
    flag = "on" if on else "off"
    subprocess.run(["callgrind_control", "-i", flag, str(os.getpid())], capture_output=True)


def measure(
    tree: Path, source_url: str, platform: str, database: str, folder: Path
) -> dict[str, Any]:
    """Instructions, datasets and I/O bytes of one harvest with the code of ``tree`` into a
    new ``database`` (``sqlite`` or ``postgresql``)."""
    from bench.common import callgrind, drop_database, empty_database

    url = empty_database(database, folder, f"instr_{platform}_{abs(hash(tree))}")
    arguments = ["--child", source_url, "--platforms", platform, "--db", url]
    env = {"MOISSON_MAP_PROCESSES": "0"}
    try:
        counted, output = callgrind(tree, Path(__file__).resolve(), arguments, env)
    finally:
        drop_database(url)
    counts = re.search(r"harvested (\d+) written (\d+) read (\d+)", output)
    if counts is None:
        raise SystemExit(f"{platform} in {tree}: {output[-1000:]}")
    datasets = int(counts.group(1))
    return {
        "instructions": counted / datasets,
        "datasets": datasets,
        "written": int(counts.group(2)) / datasets,
        "read": int(counts.group(3)) / datasets,
    }


def _kilobytes(measured: dict[str, Any], database: str) -> list[str]:
    """Bytes written and read per dataset, in kB; "n/a" for PostgreSQL, whose socket's
    bytes the kernel's I/O counters (``/proc/self/io``) do not see."""
    if database != "sqlite":
        return ["n/a", "n/a"]
    return [f"{measured['written'] / 1e3:.0f}", f"{measured['read'] / 1e3:.0f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="datasets in the catalogue")
    parser.add_argument("--platforms", default="ckan,dcat_turtle")
    parser.add_argument("--databases", default="sqlite", help="sqlite, postgresql or both")
    parser.add_argument("--baseline-tree", type=Path, help="another checkout, measured alike")
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())  # the measured tree, before this file's own
        from harvester.store.migrate import upgrade

        upgrade(args.db)
        asyncio.run(_child(args.child, args.platforms, args.db))
        return
    sys.path.insert(0, str(ROOT))
    from bench.common import chosen, machine, table
    from simulator.corpus import CorpusSpec
    from simulator.server import SimProcess
    from simulator.state import SimConfig

    names = chosen(args.platforms, PLATFORMS, "platform")
    databases = chosen(args.databases, DATABASES, "database")
    print(machine())
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, database in [(name, database) for name in names for database in databases]:
            spec = CorpusSpec(seed=42, n=args.n, changed=0.05, removed=0.0, added=0.0)
            config = SimConfig(spec=spec, platforms=(name,), page_size=100)
            with SimProcess(config) as sim:
                source = sim.source_url(name)
                after = measure(ROOT, source, name, database, Path(folder))
                row = [
                    name,
                    database,
                    f"{after['datasets']:,}",
                    f"{after['instructions'] / 1e6:.2f}",
                    *_kilobytes(after, database),
                ]
                if args.baseline_tree:
                    before = measure(args.baseline_tree, source, name, database, Path(folder))
                    ratio = after["instructions"] / before["instructions"]
                    row += [f"{before['instructions'] / 1e6:.2f}", f"{ratio:.2f}"]
            rows.append(row)
            print("\t".join(row), flush=True)
    headers = ["platform", "database", "datasets", "M instr/dataset", "kB written/ds", "kB read/ds"]
    if args.baseline_tree:
        headers += ["baseline M/ds", "ratio"]
    title = "run_harvest in process (MOISSON_MAP_PROCESSES=0), callgrind (PostgreSQL: client only)"
    print(table(headers, rows, title=title))


if __name__ == "__main__":
    main()
