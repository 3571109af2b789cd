"""The measured jobs of ``bench/harvest.py``, each meant to run in a fresh process.

* :func:`fetch_only` — the real connector's ``fetch()``, records dropped (HTTP + parsing);
* :func:`ceiling` — the same pages fetched, parsed (orjson for JSON, rdflib for Turtle) and
  bulk-inserted as one row per dataset (``executemany`` on SQLite, ``COPY`` on PostgreSQL);
* :func:`harvest` — ``run_harvest`` as production runs it (optionally under pyinstrument);
* :func:`naive` — one rdflib graph per dataset, serialized and re-parsed between "gather" and
  "import" and mapped, each dataset written in its own transaction (ckanext-dcat's way).

Each returns a dict with ``seconds``, ``count`` and ``rss_mb`` (peak RSS of the process).
"""

from __future__ import annotations

import asyncio
import os
import resource
import sqlite3
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import orjson

from bench.common import peak_rss_mb
from simulator.platforms import CONNECTORS, SOURCE_PATHS

LOOPBACK = ["127.0.0.1"]


class _CachedStemmer:
    """A snowball stemmer whose answers are memoized per word (the proposed fix)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[str, str] = {}

    def stemWord(self, word: str) -> str:
        found = self.memo.get(word)
        if found is None:
            found = self.memo[word] = self.inner.stemWord(word)
        return found

    def stemWords(self, words: list[str]) -> list[str]:
        return [self.stemWord(w) for w in words]


def patch_stem_cache() -> None:
    """Memoize stems per word inside this process (measures the proposed fix)."""
    from harvester.search import text

    original = text.new_stemmer
    text.new_stemmer = lambda language: _CachedStemmer(original(language))


def _source(sim_url: str, platform: str, options: dict[str, Any] | None = None) -> Any:
    from connectors.base import SourceSpec

    return SourceSpec(
        id="bench",
        url=sim_url + SOURCE_PATHS[platform],
        platform=CONNECTORS[platform],
        options=options or {},
    )


def fetch_only(
    sim_url: str, platform: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    from connectors.client import build_client
    from connectors.registry import get_connector

    async def main() -> dict[str, Any]:
        async with build_client(allow=LOOPBACK, timeout=300) as client:
            spec = _source(sim_url, platform, options)
            connector = get_connector(CONNECTORS[platform])(spec, client)
            start, count = time.perf_counter(), 0
            async for _ in connector.fetch():
                count += 1
            return {
                "seconds": time.perf_counter() - start,
                "count": count,
                "pages": connector.stats.pages,
            }

    result = asyncio.run(main())
    return {**result, "rss_mb": peak_rss_mb()}


def _page_urls(sim_url: str, platform: str, total: int, page_size: int) -> list[str]:
    """The URLs the connector asks for, so the simulator's page cache serves both."""
    import httpx

    if platform == "ckan":
        return [
            str(
                httpx.URL(
                    f"{sim_url}/api/3/action/package_search",
                    params={"q": "*:*", "rows": page_size, "start": start, "sort": "id asc"},
                )
            )
            for start in range(0, total, page_size)
        ]
    first = f"{sim_url}/catalog.ttl"
    return [first] + [f"{first}?page={p}" for p in range(2, -(-total // page_size) + 1)]


def ceiling(sim_url: str, platform: str, db_url: str, total: int, page_size: int) -> dict[str, Any]:
    """Fetch + parse + bulk insert of the same pages: what the hardware allows."""
    from connectors.client import build_client

    urls = _page_urls(sim_url, platform, total, page_size)

    def rows_of(body: bytes) -> list[tuple[str, str]]:
        if platform == "ckan":
            results = orjson.loads(body)["result"]["results"]
            return [(p["id"], orjson.dumps(p).decode()) for p in results]
        from rdflib import Graph, URIRef
        from rdflib.namespace import DCAT, RDF

        graph = Graph().parse(data=body, format="turtle")
        return [
            (str(s), str(len(graph)))
            for s in graph.subjects(RDF.type, DCAT.Dataset)
            if isinstance(s, URIRef)
        ]

    async def main() -> dict[str, Any]:
        start, count = time.perf_counter(), 0
        writer = await _BulkWriter.open(db_url)
        async with build_client(allow=LOOPBACK, timeout=300) as client:
            for url in urls:
                response = await client.get(url)
                response.raise_for_status()
                rows = rows_of(response.content)
                await writer.write(rows)
                count += len(rows)
        await writer.close()
        return {"seconds": time.perf_counter() - start, "count": count}

    return {**asyncio.run(main()), "rss_mb": peak_rss_mb()}


class _BulkWriter:
    """One row per dataset into ``bench_ceiling``: sqlite3 executemany or asyncpg COPY."""

    def __init__(self, sqlite: sqlite3.Connection | None, pg: Any) -> None:
        self.sqlite, self.pg = sqlite, pg

    @classmethod
    async def open(cls, db_url: str) -> _BulkWriter:
        ddl = "CREATE TABLE bench_ceiling (remote_id TEXT PRIMARY KEY, payload TEXT)"
        if db_url.startswith("sqlite"):
            connection = sqlite3.connect(db_url.split("///", 1)[1])
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("DROP TABLE IF EXISTS bench_ceiling")
            connection.execute(ddl)
            return cls(connection, None)
        import asyncpg

        pg = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
        await pg.execute("DROP TABLE IF EXISTS bench_ceiling")
        await pg.execute(ddl)
        return cls(None, pg)

    async def write(self, rows: list[tuple[str, str]]) -> None:
        if self.sqlite is not None:
            with self.sqlite:
                self.sqlite.executemany("INSERT INTO bench_ceiling VALUES (?, ?)", rows)
        else:
            await self.pg.copy_records_to_table("bench_ceiling", records=rows)

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        else:
            await self.pg.close()


def harvest(
    db_url: str, source_id: str, full: bool, stem_cache: bool, profile: bool = False
) -> dict[str, Any]:
    """``run_harvest`` into ``db_url``; the run's counters, seconds and peak RSS."""
    if stem_cache:
        patch_stem_cache()
    from connectors.client import build_client
    from harvester.runs import run_harvest
    from harvester.settings import Settings
    from harvester.store.db import create_engine, session_factory

    async def main() -> dict[str, Any]:
        settings = Settings()
        engine = create_engine(
            db_url,
            sqlite_inline_ms=settings.sqlite_inline_ms,
            sqlite_checkpoint_s=settings.sqlite_checkpoint_s,
        )
        sessions = session_factory(engine)
        async with build_client(allow=LOOPBACK, timeout=300) as client:
            start, cpu = time.perf_counter(), time.process_time()
            run = await run_harvest(sessions, source_id, client, full=full, batch_size=500)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        await engine.dispose()
        return {
            "seconds": seconds,
            "run_cpu_s": cpu,  # the harvesting process's, every thread, during the run
            "count": run.seen,
            "status": run.status,
            "added": run.added,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "message": run.message,
        }

    if not profile:
        result = _stopping_workers_on_error(main)
        return {**result, **_memory_and_stop_workers()}
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    result = _stopping_workers_on_error(main)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    return {**result, **_memory_and_stop_workers(), "profile": text}


def _stopping_workers_on_error(
    main: Callable[[], Coroutine[Any, Any, dict[str, Any]]],
) -> dict[str, Any]:
    """``asyncio.run(main())``; if it fails, stop the mapping workers first: this spawned
    process would otherwise wait for them at exit, forever, and the error never reach the
    benchmark."""
    from harvester.mapping_pool import POOL

    try:
        return asyncio.run(main())
    except BaseException:
        POOL.shutdown()
        raise


def _memory_and_stop_workers() -> dict[str, Any]:
    """Peak RSS of this process plus that of each mapping worker (their sum is what the
    harvest costs), then stop the workers: a pool left running would keep this
    benchmark process from exiting."""
    from harvester.mapping_pool import POOL

    workers = workers_cpu = 0.0
    for pid in POOL.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        workers_cpu += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                workers += int(line.split()[1]) / 1024
    POOL.shutdown()
    own = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rss_mb": own + workers,
        "harvester_mb": own,
        "workers_mb": workers,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "workers_cpu_s": workers_cpu,
    }


def naive(sim_url: str, platform: str, db_url: str, sample: int) -> dict[str, Any]:
    """ckanext-dcat's approach on ``sample`` datasets: per dataset, one rdflib graph, serialized
    and re-parsed (gather → import), mapped, and written in its own transaction."""
    from rdflib import Graph, URIRef
    from rdflib.term import Node

    from catalog.rdf import dataset_triples
    from connectors.client import build_client
    from connectors.dcat_rdf_graphs import from_payload
    from connectors.dcat_rdf_mapping import normalize_dataset_graph
    from connectors.registry import get_connector
    from harvester.store.datasets import Harvested, write_batch
    from harvester.store.db import create_engine, session_factory

    source = _source(sim_url, platform)

    def graph_of(connector: Any, raw: Any) -> tuple[Graph, Node]:
        if platform == "dcat_turtle":
            graph, node, _ = from_payload(raw.payload)
            return graph, node
        record = connector.normalize(raw)
        node = URIRef(f"{sim_url}/dataset/{raw.remote_id}")
        graph = Graph()
        for triple in dataset_triples(record, dataset_uri=str(node)):
            graph.add(triple)
        return graph, node

    async def main() -> dict[str, Any]:
        engine = create_engine(db_url)
        sessions = session_factory(engine)
        start, count = time.perf_counter(), 0
        async with build_client(allow=LOOPBACK, timeout=300) as client:
            connector = get_connector(CONNECTORS[platform])(source, client)
            async for raw in connector.fetch():
                graph, node = graph_of(connector, raw)
                handed_over = graph.serialize(format="xml")  # the harvest object's content
                again = Graph().parse(data=handed_over, format="xml")
                record = normalize_dataset_graph(
                    again, node, source, fetched_at=raw.fetched_at, platform="dcat_rdf"
                )
                async with sessions() as session, session.begin():
                    await write_batch(
                        session, "bench", [Harvested(raw, record)], now=raw.fetched_at
                    )
                count += 1
                if count >= sample:
                    break
        seconds = time.perf_counter() - start
        await engine.dispose()
        return {"seconds": seconds, "count": count}

    return {**asyncio.run(main()), "rss_mb": peak_rss_mb()}
