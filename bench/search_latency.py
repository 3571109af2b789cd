"""Benchmark: search latency percentiles by query shape, facets and concurrency.

    .venv/bin/python bench/search_latency.py [--n 100000] [--db PATH] [--clients 1,16]
        [--postgres]   # PostgreSQL instead of SQLite (the 1 M run: --n 1000000 --postgres)

Complements ``bench/search.py`` (medians of the search engineer's query list): this one
fills the index with the portal simulator's corpus through the real write path (CKAN
mapping → ``write_batch``; stems memoized while building, which changes nothing stored),
then measures ``harvester.search.engine.search`` — what ``GET /api/v1/datasets`` runs —
for rare, medium and very common terms, without and with every facet, under 1 and 16
concurrent clients, and reports p50/p95/p99 against the ``LIKE`` scan of
``bench/search.py`` (count + first page) measured in the same run. The SQLite file is kept
with ``--db`` so later runs skip the build.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, machine, percentiles, table
from bench.harvest_jobs import patch_stem_cache
from bench.search import like_statement

QUERIES = {
    "rare": "esturgeon",
    "medium": "patrimoine",
    "common": "données",
    "two words": "pistes cyclables",
}
TARGET_P95_MS = 50.0


async def build(url: str, n: int, seed: int) -> None:
    """Fill ``url`` with ``n`` simulated datasets through the CKAN mapping and write_batch."""
    from connectors.base import RawRecord, SourceSpec
    from connectors.ckan_mapping import normalize_package
    from harvester.store.datasets import Harvested, write_batch
    from harvester.store.db import create_engine, session_factory
    from harvester.store.tables import Partner, Source
    from simulator.corpus import Corpus, CorpusSpec
    from simulator.platforms.ckan import package

    site = "http://127.0.0.1:8800"
    spec = SourceSpec(id="sim", url=site, platform="ckan", partner_name="Sim")
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(Partner(id="sim", name="Ville simulée", kind="municipality"))
        session.add(Source(id="sim", partner_id="sim", url=site, platform="ckan"))
    corpus = Corpus(CorpusSpec(seed=seed, n=n))
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, n, 1000):
        batch = []
        for index in corpus.indices[start : start + 1000]:
            payload = package(corpus.dataset(index), site)
            raw = RawRecord(payload["id"], payload, now)
            record = normalize_package(
                payload, spec, api_url=f"{site}/api/3/action", fetched_at=now
            )
            batch.append(Harvested(raw, record))
        async with sessions() as session, session.begin():
            await write_batch(session, "sim", batch, now=now)
        done = start + len(batch)
        rate = done / (time.perf_counter() - started)
        print(f"\r  built {done:,}/{n:,} ({rate:,.0f}/s)", end="", flush=True)
    print()
    await engine.dispose()


async def _search_once(sessions: Any, q: str, facets: bool) -> float:
    from harvester.search.engine import SearchRequest, search
    from harvester.search.fields import FACETS

    request = SearchRequest(q=q, limit=20, facets=FACETS if facets else ())
    start = time.perf_counter()
    async with sessions() as session:
        await search(session, request)
    return time.perf_counter() - start


async def _like_once(sessions: Any, q: str) -> float:
    count, page, params = like_statement(q)
    start = time.perf_counter()
    async with sessions() as session:
        await session.scalar(count, params)
        (await session.execute(page, params)).all()
    return time.perf_counter() - start


async def _load(clients: int, requests: int, one: Any) -> tuple[list[float], float]:
    """``clients`` concurrent loops of ``requests`` calls each: every latency, and the
    throughput (calls per second of wall-clock time)."""

    async def client() -> list[float]:
        return [await one() for _ in range(requests)]

    start = time.perf_counter()
    results = await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - start
    return [latency for latencies in results for latency in latencies], clients * requests / wall


async def measure(url: str, clients: list[int], requests: int, like_requests: int) -> None:
    from harvester.search.engine import SearchRequest, search
    from harvester.store.db import create_engine, session_factory

    engine = create_engine(url, pool_size=max(clients) + 2, max_overflow=0)
    sessions = session_factory(engine)
    rows = []
    worst = 0.0
    for shape, q in QUERIES.items():
        async with sessions() as session:
            total = (await search(session, SearchRequest(q=q, limit=20))).total
        for concurrency in clients:
            per_client = max(requests // concurrency, 2)
            like_per_client = max(like_requests // concurrency, 1)
            await _load(1, 2, lambda q=q: _search_once(sessions, q, True))  # warm caches
            like_latencies, _ = await _load(
                concurrency, like_per_client, lambda q=q: _like_once(sessions, q)
            )
            like = percentiles(like_latencies)
            for facets in (False, True):
                latencies, throughput = await _load(
                    concurrency, per_client, lambda q=q, f=facets: _search_once(sessions, q, f)
                )
                found = percentiles(latencies)
                worst = max(worst, found["p95"])
                rows.append(
                    [
                        f"{shape} ({q})",
                        total,
                        "yes" if facets else "no",
                        concurrency,
                        found["p50"] * 1000,
                        found["p95"] * 1000,
                        found["p99"] * 1000,
                        throughput,
                        like["p95"] * 1000,
                        f"{like['p95'] / found['p95']:.1f}x",
                    ]
                )
    await engine.dispose()
    headers = [
        "query",
        "matches",
        "facets",
        "clients",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "calls/s",
        "LIKE p95 ms",
        "LIKE/search",
    ]
    print(table(headers, rows))
    verdict = "met" if worst * 1000 <= TARGET_P95_MS else "MISSED"
    print(f"  worst search p95 {worst * 1000:.1f} ms vs target {TARGET_P95_MS:.0f} ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, help="SQLite file to build once and reuse")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use PostgreSQL (database moisson_simbench_search_N)",
    )
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--requests", type=int, default=64, help="search calls per cell")
    parser.add_argument("--like-requests", type=int, default=16, help="LIKE calls per cell")
    args = parser.parse_args()
    print(f"moisson bench/search_latency.py · {machine()}")
    patch_stem_cache()
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            url = fresh_database("postgresql", Path(folder), f"search_{args.n}")
            asyncio.run(build(url, args.n, args.seed))
        else:
            path = args.db or Path(folder) / "search.db"
            url = f"sqlite+aiosqlite:///{path}"
            if not path.exists():
                from harvester.store.migrate import upgrade

                upgrade(url)
                asyncio.run(build(url, args.n, args.seed))
        kind = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"\n{args.n:,} simulated datasets · {kind} · latency of one search call "
            "(top 20 + exact total ≤ 10,000 [+ 11 facets])"
        )
        asyncio.run(
            measure(
                url, [int(c) for c in args.clients.split(",")], args.requests, args.like_requests
            )
        )


if __name__ == "__main__":
    main()
