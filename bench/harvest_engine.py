"""Harvest throughput: a first full harvest vs an unchanged re-harvest (same run baseline).

    .venv/bin/python bench/harvest_engine.py [--records 3000] [--postgres postgresql+asyncpg://…]

Serves real recorded CKAN packages (cloned with new ids) from a loopback portal, harvests
them into a fresh SQLite file (and PostgreSQL database, if given) and prints records/s and
the ratio unchanged/first: unchanged records are hashed but never written.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade_async
from tests.harvester.engine_support import add_source, service
from tests.harvester.fault_server import Portal, recorded_packages, serve


def packages(count: int) -> list[dict]:
    base = recorded_packages()
    out = []
    for n in range(count):
        package = copy.deepcopy(base[n % len(base)])
        package["id"] = f"{package['id']}-{n}"
        package["name"] = f"{package.get('name', 'p')}-{n}"
        out.append(package)
    return out


async def measure(url: str, portal_url: str) -> tuple[float, float]:
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    await add_source(sessions, portal_url, rows=500)
    harvester = service(sessions, url, batch_size=500, http_timeout=30.0)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        run = await harvester.harvest("portail", full=True)
        timings.append(time.perf_counter() - start)
        assert run.status == "succeeded", run.message
    await engine.dispose()
    return timings[0], timings[1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--postgres", default=None, help="an EMPTY, throwaway database URL")
    args = parser.parse_args()
    portal = Portal(packages=packages(args.records))
    with serve(portal) as portal_url, tempfile.TemporaryDirectory() as folder:
        targets = {"sqlite": f"sqlite+aiosqlite:///{folder}/bench.db"}
        if args.postgres:
            targets["postgresql"] = args.postgres
        for name, url in targets.items():
            first, again = await measure(url, portal_url)
            n = args.records
            print(
                f"{name:10} first full: {n / first:7.0f} rec/s   unchanged re-harvest: "
                f"{n / again:7.0f} rec/s   ratio {first / again:4.1f}x"
            )


if __name__ == "__main__":
    asyncio.run(main())
