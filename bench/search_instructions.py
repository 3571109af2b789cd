"""Benchmark: instructions per search call, counted by callgrind (independent of machine load).

    .venv/bin/python bench/search_instructions.py --db /tmp/search100k.db
        [--shapes rare,empty] [--calls 50] [--baseline-tree DIR --baseline-db COPY]

Times on a shared two-core machine moved by 2× between runs of the same code (the load
generator's own CPU per call with them); instruction counts do not. Each shape runs in a
process of its own under ``valgrind --tool=callgrind --instr-atstart=no``: the app's ASGI
callable (``GET /api/v1/datasets``, middleware and gzip included, no socket) answers 20
warm-up calls, then counting is switched on (``callgrind_control -i on``) for ``--calls``
calls. ``--baseline-tree`` measures another checkout the same way, on its own copy of the
catalogue (``--baseline-db``: one file per tree, so neither warms the other's caches), and
prints the ratio. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20


async def _child(db: str, path: str, calls: int) -> None:
    """Runs under callgrind: counts only the measured calls."""
    from api.app import create_app
    from harvester.settings import Settings

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{db}",
        auto_migrate=False,
        rate_limit=0,
        config=Path("/nonexistent/moisson-bench.toml"),
        log_level="WARNING",
    )
    app = create_app(settings)
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept-encoding", b"gzip")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))

    def counting(on: bool) -> None:
        flag = "on" if on else "off"
        subprocess.run(["callgrind_control", "-i", flag, str(os.getpid())], capture_output=True)

    async with app.router.lifespan_context(app):
        for index in range(WARM_UP + calls):
            if index == WARM_UP:
                counting(True)
            await app({**scope, "app": app, "state": {}}, receive, send)
        counting(False)
    if set(statuses) != {200}:
        raise SystemExit(f"{path}: HTTP {sorted(set(statuses))}")


def instructions(tree: Path, db: Path, path: str, calls: int) -> float:
    """Instructions per call of ``path`` with the code of ``tree``."""
    from bench.common import callgrind

    arguments = ["--child", path, "--db", str(db), "--calls", str(calls)]
    counted, _ = callgrind(tree, Path(__file__).resolve(), arguments)
    return counted / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="built by search_latency.py --db")
    parser.add_argument("--shapes", default="rare,empty,filter")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--baseline-tree", type=Path, help="another checkout, measured alike")
    parser.add_argument("--baseline-db", type=Path, help="its copy of the catalogue")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child(str(args.db), args.child, args.calls))
        return
    sys.path.insert(0, str(ROOT))
    from bench.common import chosen, machine, table
    from bench.search_http import _path
    from bench.search_latency import QUERIES

    shapes = chosen(args.shapes, QUERIES, "shape")
    print(machine())
    rows = []
    for name in shapes:
        for facets in (False, True):
            path = _path(name, facets)
            after = instructions(ROOT, args.db, path, args.calls)
            row = [name, "all" if facets else "none", f"{after / 1e6:.2f}"]
            if args.baseline_tree:
                before = instructions(
                    args.baseline_tree, args.baseline_db or args.db, path, args.calls
                )
                row += [f"{before / 1e6:.2f}", f"{after / before:.2f}"]
            rows.append(row)
            print("\t".join(rows[-1]), flush=True)
    headers = ["query", "facets", "M instructions/call"]
    if args.baseline_tree:
        headers += ["baseline M/call", "ratio"]
    print(table(headers, rows, title=f"GET /api/v1/datasets in process, {args.calls} calls"))


if __name__ == "__main__":
    main()
