"""Benchmark: search over HTTP, `moisson serve --workers N`, under concurrent clients.

    .venv/bin/python bench/search_http.py --db /tmp/search100k.db [--workers 1,2]
        [--clients 1,16] [--requests 400] [--url postgresql+asyncpg://…] [--text-cache 0]
        [--record-cache 0] [--trials 3]

``bench/search_latency.py`` calls the search engine in one process; this one measures what
a client of ``GET /api/v1/datasets`` sees: the real server (uvicorn, the app and its
middleware, gzip) on 127.0.0.1, against a catalogue an earlier ``search_latency.py --db``
run built. Clients are closed loops (each sends its next request when the previous answer
is read) in a separate load process using raw HTTP/1.1 keep-alive connections parsed by
httptools (C; h11 until session 14 took 0.3–0.7 ms of CPU per call, a tenth of what it
measured), so the load generator costs little of the two CPUs; its CPU and the server's are
reported. For every query shape, without and with all facets, it prints p50/p95/p99 and
calls/s per number of server processes; the same-run baseline is one server process.

The server runs with ``MOISSON_RATE_LIMIT=0`` (every client comes from 127.0.0.1) and no
config file (nothing is synced into the benchmarked database). The empty query's facets
are read from the stored totals; a text query's total and facets are cached per catalogue
version, so a client repeating it measures its *next pages*: ``--text-cache 0`` makes the
server count every call (``MOISSON_SEARCH_TEXT_CACHE``), the cost of a query's first page.
A page's stored records are kept per process too (``MOISSON_SEARCH_RECORD_CACHE``):
``--record-cache 0`` makes every call read them, as a page of datasets no one has just seen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlencode

import httptools

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import chosen, machine, percentiles, table
from bench.search_latency import FILTERS, QUERIES, TARGET_P95_MS

ROOT = Path(__file__).resolve().parent.parent


def _path(shape: str, facets: bool) -> str:
    params: list[tuple[str, str]] = [("limit", "20")]
    q = QUERIES[shape]
    if q is not None:
        params.append(("q", q))
    params += [(facet, v) for facet, values in FILTERS.get(shape, {}).items() for v in values]
    if not facets:
        params.append(("facets", ""))
    return "/api/v1/datasets?" + urlencode(params)


class _Exchange:
    """httptools' callbacks for one response: only its end matters (the body is dropped)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def on_message_complete(self) -> None:
        self.done = True


async def _client(port: int, path: str, count: int) -> list[float]:
    """One keep-alive connection sending ``count`` requests one after the other."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        "Accept-Encoding: gzip\r\n\r\n"
    ).encode("ascii")
    latencies: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        writer.write(request)
        exchange = _Exchange()
        parser = httptools.HttpResponseParser(exchange)
        while not exchange.done:
            data = await reader.read(262_144)
            if not data:
                raise RuntimeError(f"{path}: the server closed the connection")
            parser.feed_data(data)
        latencies.append(1000 * (time.perf_counter() - start))
        if parser.get_status_code() != 200:
            raise RuntimeError(f"{path}: HTTP {parser.get_status_code()}")
    writer.close()
    return latencies


def _load(
    port: int, path: str, clients: int, requests: int, trials: int = 1
) -> tuple[list[float], float, float]:
    """Runs in the load process: every latency, calls/s, and the CPU seconds it used, over
    ``trials`` rounds of ``requests`` calls, each round on fresh connections (the kernel
    spreads a round's connections over the server processes at random: pooling rounds
    weighs an uneven spread as often as it happens)."""
    cpu = time.process_time()
    per_client = max(1, requests // clients)

    async def run() -> list[float]:
        results = await asyncio.gather(*(_client(port, path, per_client) for _ in range(clients)))
        return [x for latencies in results for x in latencies]

    latencies: list[float] = []
    start = time.perf_counter()
    for _ in range(trials):
        latencies += asyncio.run(run())
    rate = len(latencies) / (time.perf_counter() - start)
    return latencies, rate, time.process_time() - cpu


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    family = {pid}
    grown = True
    while grown:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grown = bool(more)
    return sum(times.get(member, 0.0) for member in family)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(
    url: str, workers: int, port: int, text_cache: int, record_cache: int
) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        MOISSON_DATABASE_URL=url,
        MOISSON_RATE_LIMIT="0",
        MOISSON_CONFIG=str(Path(tempfile.gettempdir()) / "moisson-bench-no-config.toml"),
        MOISSON_LOG_LEVEL="WARNING",
        MOISSON_AUTO_MIGRATE="false",
        MOISSON_SEARCH_TEXT_CACHE=str(text_cache),
        MOISSON_SEARCH_RECORD_CACHE=str(record_cache),
    )
    command = [sys.executable, "-m", "harvester.cli", "serve", "--port", str(port)]
    command += ["--no-scheduler", "--workers", str(workers)]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
            time.sleep(1.0 + workers)  # every worker process up, not just the first
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start in 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="SQLite file built by search_latency.py --db")
    parser.add_argument("--url", help="database URL instead of --db (e.g. PostgreSQL)")
    parser.add_argument("--workers", default="1,2", help="server processes, comma-separated")
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--requests", type=int, default=320, help="calls per cell")
    parser.add_argument("--shapes", default=",".join(QUERIES), help="query shapes to run")
    parser.add_argument(
        "--text-cache",
        type=int,
        default=512,
        help="text queries the server keeps counted (0: count every call, a first page)",
    )
    parser.add_argument(
        "--trials",
        type=int,
        default=1,
        help="rounds per cell, each on fresh connections, latencies pooled",
    )
    parser.add_argument(
        "--record-cache",
        type=int,
        default=1024,
        help="stored records the server keeps (0: every call reads its page's records)",
    )
    args = parser.parse_args()
    if args.url:
        url = args.url
    elif args.db and args.db.exists():
        url = f"sqlite+aiosqlite:///{args.db}"
    else:
        raise SystemExit("give --db (an existing file built by search_latency.py) or --url")
    target = TARGET_P95_MS["postgresql" if url.startswith("postgresql") else "sqlite"]
    shapes = chosen(args.shapes, QUERIES, "shape")
    from harvester.store.migrate import upgrade

    upgrade(url)  # once here: the server processes start without migrating
    print(machine())
    context = get_context("spawn")
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        port = _free_port()
        server = _serve(url, workers, port, args.text_cache, args.record_cache)
        try:
            with context.Pool(1) as pool:
                for name in shapes:
                    for facets in (False, True):
                        path = _path(name, facets)
                        pool.apply(_load, (port, path, workers * 2, 2 * workers * 8))  # warm-up
                        for clients in [int(c) for c in args.clients.split(",")]:
                            requests = args.requests if clients > 1 else args.requests // 4
                            before = _tree_cpu(server.pid)
                            latencies, rate, load_cpu = pool.apply(
                                _load, (port, path, clients, requests, args.trials)
                            )
                            server_cpu = _tree_cpu(server.pid) - before
                            stats = percentiles(latencies)
                            rows.append(
                                [
                                    workers,
                                    name,
                                    "all" if facets else "none",
                                    clients,
                                    f"{stats['p50']:.1f}",
                                    f"{stats['p95']:.1f}" + (" *" if stats["p95"] > target else ""),
                                    f"{stats['p99']:.1f}",
                                    f"{rate:.0f}",
                                    f"{1000 * server_cpu / len(latencies):.1f}",
                                    f"{1000 * load_cpu / len(latencies):.2f}",
                                ]
                            )
                            print("\t".join(str(cell) for cell in rows[-1]), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        table(
            [
                "server processes",
                "query",
                "facets",
                "clients",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "calls/s",
                "server CPU ms/call",
                "load CPU ms/call",
            ],
            rows,
            title=f"GET /api/v1/datasets over HTTP, text cache {args.text_cache}, "
            f"record cache {args.record_cache} "
            f"(* p95 above {target:.0f} ms)",
        )
    )


if __name__ == "__main__":
    main()
