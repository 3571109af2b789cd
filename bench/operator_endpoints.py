"""Benchmark: the operator and statistics endpoints, before and after, in one run.

    PYTHONPATH=$PWD .venv/bin/python bench/operator_endpoints.py \\
        --after-url URL [--before-url URL] [--before-tree /work/main] [--repeat 15]

Each side runs in its own process, the app in process through ``httpx.ASGITransport``
(what ``GET`` costs the server, no sockets): the "after" side with this tree on
``--after-url`` (migrated to 0010), the "before" side with the code of ``--before-tree``
(e.g. the main checkout) on ``--before-url`` (default: the same database). The sides
alternate for ``--rounds`` rounds so the machine's load falls on both. Databases are opened
read-only on PostgreSQL (``default_transaction_read_only``) unless ``--writable`` names the
side that may write (the "after" side recounts the stored aggregates its first call finds
stale); ``/api/v1/partnership`` is asked "as of" yesterday, so neither side stores the day's
snapshot. Prints, per endpoint, the first call (after a stale aggregate: the recount) and
p50 / p95 of CPU and wall time over the repeated calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
PATHS = (
    f"/api/v1/partnership?as_of={YESTERDAY}",
    f"/api/v1/partnership/partners?as_of={YESTERDAY}",
    "/api/v1/stats",
    "/api/v1/sources",
    "/api/v1/publishers",
)


def _read_only_engines() -> None:
    """Open PostgreSQL connections with read-only transactions (before the app imports)."""
    from harvester.store import db

    original = db.create_engine

    def create_engine(url: str, **kwargs: Any) -> Any:
        if url.startswith("postgresql"):
            args = kwargs.setdefault("connect_args", {})
            args.setdefault("server_settings", {})["default_transaction_read_only"] = "on"
        return original(url, **kwargs)

    db.create_engine = create_engine


async def _measure(url: str, repeat: int) -> dict[str, Any]:
    import httpx

    from api.app import create_app
    from harvester.settings import Settings

    settings = Settings(
        database_url=url,
        auto_migrate=False,
        rate_limit=0,
        config="/nonexistent.toml",
        scheduler=False,
    )
    app = create_app(settings)
    out: dict[str, Any] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as client,
    ):
        for path in PATHS:
            start = time.perf_counter()
            first = await client.get(path)
            first_wall = time.perf_counter() - start
            if first.status_code != 200:
                out[path] = {"error": f"{first.status_code} {first.text[:200]}"}
                continue
            cpu, wall = [], []
            for _ in range(repeat):
                c0, w0 = time.process_time(), time.perf_counter()
                response = await client.get(path)
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
                assert response.status_code == 200
            body = response.json()
            out[path] = {
                "first": first_wall,
                "cpu": cpu,
                "wall": wall,
                "same": first.json() == body,
                "exact": body.get("exact") if isinstance(body, dict) else None,
            }
    return out


def _worker(args: argparse.Namespace) -> None:
    if not args.may_write:
        _read_only_engines()
    print(json.dumps(asyncio.run(_measure(args.url, args.repeat))))


def _side(tree: Path, url: str, repeat: int, writable: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--url", url]
    command += ["--repeat", str(repeat)] + (["--may-write"] if writable else [])
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--after-url")
    parser.add_argument("--before-url")
    parser.add_argument("--before-tree", type=Path, default=Path("/work/main"))
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--writable", choices=("after", "both", "none"), default="after")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--may-write", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    here = Path(__file__).resolve().parent.parent
    before_url = args.before_url or args.after_url
    samples: dict[str, dict[str, dict[str, list[float]]]] = {"before": {}, "after": {}}
    notes: dict[str, dict[str, Any]] = {"before": {}, "after": {}}
    load = os.getloadavg()
    for _ in range(args.rounds):
        for side, tree, url in (
            ("before", args.before_tree, before_url),
            ("after", here, args.after_url),
        ):
            writable = args.writable in (side, "both")
            for path, got in _side(tree, url, args.repeat, writable).items():
                into = samples[side].setdefault(path, {"cpu": [], "wall": [], "first": []})
                if "error" in got:
                    notes[side][path] = got["error"]
                    continue
                into["cpu"] += got["cpu"]
                into["wall"] += got["wall"]
                into["first"].append(got["first"])
                notes[side].setdefault(path, f"exact={got['exact']}")
    print(f"before: {args.before_tree} on {before_url}")
    print(f"after:  {here} on {args.after_url}")
    print(f"load average at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f}")
    print(f"{args.rounds} rounds x {args.repeat} calls per side; milliseconds")
    header = (
        f"{'endpoint':44} {'side':6} {'first':>8} {'cpu p50':>8} {'cpu p95':>8} "
        f"{'wall p50':>9} {'wall p95':>9}  note"
    )
    print(header)
    print("-" * len(header))
    for path in PATHS:
        for side in ("before", "after"):
            s = samples[side].get(path)
            if not s or not s["cpu"]:
                print(f"{path:44} {side:6} {notes[side].get(path, '')}")
                continue
            print(
                f"{path:44} {side:6} {max(s['first']) * 1000:8.1f} {_pct(s['cpu'], 0.5):8.1f} "
                f"{_pct(s['cpu'], 0.95):8.1f} {_pct(s['wall'], 0.5):9.1f} "
                f"{_pct(s['wall'], 0.95):9.1f}  {notes[side].get(path, '')}"
            )


if __name__ == "__main__":
    main()
