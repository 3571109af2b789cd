"""Benchmark: harvest throughput, peak RSS and re-harvest cost from the portal simulator.

    .venv/bin/python bench/harvest.py [--sizes 10000] [--big] [--platforms ckan,dcat_turtle]
        [--databases sqlite,postgresql] [--repeat N] [--stem-cache] [--profile]
        [--naive-sample 1000]

For each platform × size, a simulator process serves the corpus (page cache warmed first, so
the simulator's rendering is not what is measured); for each database, in fresh processes:

* fetch    — the connector's ``fetch()`` alone (HTTP + parse), records dropped;
* ceiling  — same pages, orjson (JSON) / rdflib (Turtle) parse, one row per dataset bulk
             inserted (executemany / COPY): the same-run upper bound;
* full     — ``run_harvest`` into an empty database (datasets/s, peak RSS);
* naive    — one rdflib graph per dataset, serialized, re-parsed, mapped, one transaction
             each (ckanext-dcat's way), on ``--naive-sample`` datasets;
* re-harvest 0 % (full listing, then incremental) and 5 % changed, with the rows written to
  ``dataset``, ``raw_record``, ``dataset_facet`` (and ``search_doc`` on PostgreSQL,
  ``dataset_facet_set`` on SQLite) counted by triggers (once, after the first round).

Ceiling, full harvest and naive baseline are measured in ``--repeat`` rounds, one after the
other within a round (three rounds up to 10 k datasets): the table gives each one's median
round and the spread, and every target ratio is the median of the rounds' own ratios, so a
minute when the machine is slower weighs on both sides of a ratio.

``--stem-cache`` also runs a full harvest with stems memoized per word (the fix proposed for
the pure-Python stemmer, obsolete since the C stemmer landed); ``--profile`` runs a full
harvest under pyinstrument and prints its profile (its time includes the profiler's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harvest_jobs as jobs
from bench.common import chosen, drop_database, fresh_database, isolated, machine, table
from bench.pg_waits import WaitSampler, autovacuums, beside

COUNTED = ("dataset", "raw_record", "dataset_facet")


def counted_tables(postgres: bool) -> tuple[str, ...]:
    """The tables whose row writes are counted: :data:`COUNTED` and the dialect's own."""
    return (*COUNTED, "search_doc" if postgres else "dataset_facet_set")


TARGET_RATE, TARGET_NAIVE, TARGET_CEILING, TARGET_RSS = 5000, 20, 4, 400
BASELINE_PLATFORMS = ("ckan", "dcat_turtle")
"""The platforms whose pages the ceiling and naive baselines read (``harvest_jobs``)."""
REPEATED_UP_TO = 10_000


SOURCE_OPTIONS: dict[str, Any] = {}
"""Connector options of the benchmarked source (``--source-options``)."""


async def _setup(db_url: str, source_url: str, platform: str, page_size: int) -> None:
    """The partner and the source rows."""
    import sqlalchemy as sa

    from harvester.store.db import create_engine
    from harvester.store.tables import Partner, Source

    options = {**{"ckan": {"rows": page_size}}.get(platform, {}), **SOURCE_OPTIONS}
    engine = create_engine(db_url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(Partner).values(id="bench", name="Bench", kind="municipality")
        )
        await connection.execute(
            sa.insert(Source).values(
                id="bench",
                partner_id="bench",
                url=source_url,
                platform=jobs.CONNECTORS[platform],
                options=options,
                status="approved",
            )
        )
    await engine.dispose()


async def _install_counters(db_url: str) -> None:
    """Triggers counting the rows written to the counted tables (installed after the first
    harvest, so they do not slow it down)."""
    import sqlalchemy as sa

    from harvester.store.db import create_engine

    engine = create_engine(db_url)
    postgres = engine.dialect.name == "postgresql"
    tables = counted_tables(postgres)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("CREATE TABLE bench_writes (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL)")
        )
        for name in tables:
            await connection.execute(sa.text(f"INSERT INTO bench_writes VALUES ('{name}', 0)"))
        if postgres:
            await connection.execute(
                sa.text(
                    "CREATE FUNCTION bench_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "UPDATE bench_writes SET n = n + 1 WHERE tbl = TG_TABLE_NAME; "
                    "RETURN NULL; END $$"
                )
            )
        for name in tables:
            if postgres:
                await connection.execute(
                    sa.text(
                        f"CREATE TRIGGER bench_{name} AFTER INSERT OR UPDATE OR DELETE ON {name} "
                        "FOR EACH ROW EXECUTE FUNCTION bench_count()"
                    )
                )
                continue
            for op in ("INSERT", "UPDATE", "DELETE"):
                await connection.execute(
                    sa.text(
                        f"CREATE TRIGGER bench_{name}_{op.lower()} AFTER {op} ON {name} BEGIN "
                        f"UPDATE bench_writes SET n = n + 1 WHERE tbl = '{name}'; END"
                    )
                )
    await engine.dispose()


async def _rows(db_url: str) -> int:
    """Rows in the counted tables (what the first harvest wrote)."""
    import sqlalchemy as sa

    from harvester.store.db import create_engine

    engine = create_engine(db_url)
    tables = counted_tables(engine.dialect.name == "postgresql")
    async with engine.connect() as connection:
        total = 0
        for name in tables:
            total += int(await connection.scalar(sa.text(f"SELECT count(*) FROM {name}")) or 0)
    await engine.dispose()
    return total


async def _writes(db_url: str, *, reset: bool = False) -> int:
    """Rows written to the counted tables since the last reset."""
    import sqlalchemy as sa

    from harvester.store.db import create_engine

    engine = create_engine(db_url)
    async with engine.begin() as connection:
        total = int(await connection.scalar(sa.text("SELECT sum(n) FROM bench_writes")) or 0)
        if reset:
            await connection.execute(sa.text("UPDATE bench_writes SET n = 0"))
    await engine.dispose()
    return total


def _rate(result: dict[str, Any]) -> float:
    return result["count"] / result["seconds"] if result["seconds"] else 0.0


HEADERS = (
    "run",
    "datasets",
    "seconds",
    "datasets/s",
    "peak MB",
    "vs full",
    "row writes",
    "spread, s",
)
"""The columns of :func:`_row`."""


def _row(
    label: str, result: dict[str, Any], full: float | None, writes: Any = "", spread: str = ""
) -> list[Any]:
    ratio = f"{full / result['seconds']:.1f}x" if full and result["seconds"] else ""
    return [
        label,
        result["count"],
        result["seconds"],
        _rate(result),
        result["rss_mb"],
        ratio,
        writes,
        spread,
    ]


def repeats(asked: int | None, size: int) -> int:
    """Rounds to measure: ``asked``, else three up to :data:`REPEATED_UP_TO` datasets (a
    single run's ratio moved by up to 1.6× between runs of one hour) and one above."""
    if asked is not None:
        return max(1, asked)
    return 3 if size <= REPEATED_UP_TO else 1


@dataclass(slots=True)
class Rounds:
    """One measurement (a full harvest, a baseline) taken once per round."""

    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        self.results.append(result)

    def median(self) -> dict[str, Any]:
        """The round of median time (the lower middle one of an even count), whole: its
        peak RSS and counters are that run's."""
        ordered = sorted(self.results, key=lambda result: result["seconds"])
        return ordered[(len(ordered) - 1) // 2]

    def spread(self) -> str:
        """Fastest–slowest seconds over the rounds ("" for one round)."""
        if len(self.results) < 2:
            return ""
        seconds = [result["seconds"] for result in self.results]
        return f"{min(seconds):.2f}–{max(seconds):.2f}"

    def rates(self) -> list[float]:
        """Datasets per second of each round, in round order (for :func:`paired`)."""
        return [_rate(result) for result in self.results]


def paired(numerators: list[float], denominators: list[float]) -> list[float]:
    """Round by round ratios ``numerators[i] / denominators[i]``, sorted (a zero
    denominator gives none)."""
    return sorted(
        top / bottom for top, bottom in zip(numerators, denominators, strict=True) if bottom
    )


def _summary(ratios: list[float]) -> str:
    """``median`` or ``median (min–max)`` of sorted ratios."""
    if not ratios:
        return "n/a"
    middle = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{middle:.1f}x"
    return f"{middle:.1f}x ({ratios[0]:.1f}–{ratios[-1]:.1f})"


def _measure_database(
    args: argparse.Namespace, sim: Any, platform: str, size: int, kind: str, folder: Path
) -> None:
    source_url = sim.source_url(platform)
    name = f"{platform}_{size}_{kind}"
    sim.set_generation(0)
    # warm the page cache of generation 0
    isolated(jobs.fetch_only, sim.url, platform, SOURCE_OPTIONS)
    if args.quick:
        _measure_quick(sim, platform, size, kind, folder, args.page_size, args.profile)
        return
    fetch = isolated(jobs.fetch_only, sim.url, platform, SOURCE_OPTIONS)
    rounds = repeats(args.repeat, size)
    ceilings, fulls, naives = Rounds(), Rounds(), Rounds()
    for index in range(rounds):
        # one round = ceiling, full harvest, naive in a row: a ratio is taken within a round,
        # so that a machine slower for a minute slows both of its sides
        ceiling_url = fresh_database(kind, folder, f"{name}_ceiling")
        ceilings.add(isolated(jobs.ceiling, sim.url, platform, ceiling_url, size, args.page_size))
        drop_database(ceiling_url)
        db_url = fresh_database(kind, folder, name)
        asyncio.run(_setup(db_url, source_url, platform, args.page_size))
        fulls.add(isolated(jobs.harvest, db_url, "bench", True, False))
        if index == 0:
            reharvests = _reharvests(sim, platform, db_url, fulls.results[0])
        drop_database(db_url)
        naive_url = fresh_database(kind, folder, f"{name}_naive")
        asyncio.run(_setup(naive_url, source_url, platform, args.page_size))
        naives.add(isolated(jobs.naive, sim.url, platform, naive_url, min(args.naive_sample, size)))
        drop_database(naive_url)
    full = fulls.median()
    rows = [
        _row("fetch + parse only (connector)", fetch, None),
        _row("ceiling: parse + bulk insert", ceilings.median(), None, spread=ceilings.spread()),
        _row("naive: rdflib graph per dataset", naives.median(), None, spread=naives.spread()),
        _row("full harvest", full, None, reharvests.full_writes, spread=fulls.spread()),
        *reharvests.rows,
    ]
    stem = None
    if args.stem_cache or args.profile:
        stem_url = fresh_database(kind, folder, name + "_extra")
        asyncio.run(_setup(stem_url, source_url, platform, args.page_size))
        stem = isolated(jobs.harvest, stem_url, "bench", True, args.stem_cache, args.profile)
        drop_database(stem_url)
        label = "stems memoized" if args.stem_cache else "again"
        rows.append(
            _row(f"full harvest, {label}" + (" (profiled)" if args.profile else ""), stem, None)
        )
    rounds_note = f" · median of {rounds} rounds" if rounds > 1 else ""
    print(table(HEADERS, rows, title=f"\n{platform} · {size:,} datasets · {kind}{rounds_note}"))
    _verdict(fulls, ceilings, naives, reharvests, stem)
    if stem and "profile" in stem:
        print(stem["profile"][: args.profile_chars])


@dataclass(slots=True)
class Reharvests:
    """The re-harvests of one full harvest's database and what that harvest wrote."""

    full: dict[str, Any]
    full_writes: int
    again: dict[str, Any]
    rows: list[list[Any]]


def _reharvests(sim: Any, platform: str, db_url: str, full: dict[str, Any]) -> Reharvests:
    """Re-harvests of the first round's database: unchanged (full listing, then
    incremental), then 5 % changed."""
    seconds = full["seconds"]
    full_writes = asyncio.run(_rows(db_url))
    asyncio.run(_install_counters(db_url))
    vacuums, sim_before = asyncio.run(autovacuums(db_url)), sim.state()
    with WaitSampler(db_url) as waits:
        again = isolated(jobs.harvest, db_url, "bench", True, False)
    sim_after = sim.state()
    again["simulator"] = (
        f"{sim_after['pages_rendered'] - sim_before['pages_rendered']} pages rendered, "
        f"{sim_after['cpu_s'] - sim_before['cpu_s']:.2f} s CPU"
    )
    if vacuums:
        again["autovacuum"] = beside(vacuums, asyncio.run(autovacuums(db_url)))
        again["waits"] = waits.summary()
    again_writes = asyncio.run(_writes(db_url, reset=True))
    incremental = isolated(jobs.harvest, db_url, "bench", False, False)
    incremental_writes = asyncio.run(_writes(db_url, reset=True))
    sim.set_generation(1)
    isolated(jobs.fetch_only, sim.url, platform, SOURCE_OPTIONS)  # warm generation 1
    changed = isolated(jobs.harvest, db_url, "bench", True, False)
    changed_writes = asyncio.run(_writes(db_url, reset=True))
    sim.set_generation(0)
    isolated(jobs.fetch_only, sim.url, platform, SOURCE_OPTIONS)
    rows = [
        _row("re-harvest 0 % (--full listing)", again, seconds, again_writes),
        _row("re-harvest 0 % (incremental)", incremental, seconds, incremental_writes),
        _row(f"re-harvest 5 % ({changed['updated']} updated)", changed, seconds, changed_writes),
    ]
    return Reharvests(full, full_writes, again, rows)


def _measure_quick(
    sim: Any, platform: str, size: int, kind: str, folder: Path, page_size: int, profile: bool
) -> None:
    """``--quick``: the full harvest and an unchanged re-harvest, nothing else."""
    db_url = fresh_database(kind, folder, f"{platform}_{size}_{kind}")
    asyncio.run(_setup(db_url, sim.source_url(platform), platform, page_size))
    full = isolated(jobs.harvest, db_url, "bench", True, False, profile)
    full_writes = asyncio.run(_rows(db_url))
    asyncio.run(_install_counters(db_url))
    again = isolated(jobs.harvest, db_url, "bench", True, False)
    again_writes = asyncio.run(_writes(db_url, reset=True))
    drop_database(db_url)
    if "profile" in full:
        print(full["profile"])
    rows = [
        _row("full harvest", full, None, full_writes),
        _row("re-harvest 0 % (--full listing)", again, full["seconds"], again_writes),
    ]
    print(table(HEADERS, rows, title=f"\n{platform} · {size:,} datasets · {kind} (--quick)"))
    print(
        f"  peak RSS of the full harvest: {full['rss_mb']:.0f} MB (target ≤ 400 MB at 1 M) ="
        f" harvesting process {full.get('harvester_mb', 0):.0f}"
        f" + mapping workers {full.get('workers_mb', 0):.0f}"
    )
    print(
        f"  CPU of the full harvest: harvesting process {full.get('cpu_s', 0):.1f} s"
        f" + mapping workers {full.get('workers_cpu_s', 0):.1f} s"
    )
    for label, result in (("full", full), ("re-harvest", again)):
        if result.get("status") != "succeeded":
            print(f"  {label} run ended {result.get('status')}: {result.get('message')}")


def _verdict(
    fulls: Rounds,
    ceilings: Rounds,
    naives: Rounds,
    reharvests: Reharvests,
    stem: dict[str, Any] | None,
) -> None:
    """The targets, each ratio the median of the rounds' own ratios (range in brackets)."""
    full = fulls.median()
    rate = _rate(full)
    print(
        f"  full harvest: {rate:,.0f} ds/s (median) = {rate / TARGET_RATE:.2f} of the "
        f"{TARGET_RATE:,} target; {_summary(paired(fulls.rates(), naives.rates()))} naive "
        f"(target ≥ {TARGET_NAIVE}x); ceiling "
        f"{_summary(paired(ceilings.rates(), fulls.rates()))} faster (target ≤ "
        f"{TARGET_CEILING}x); peak {full['rss_mb']:.0f} MB"
    )
    if stem:
        extra = _rate(stem)
        print(
            f"  extra full harvest: {extra:,.0f} ds/s; "
            f"{extra / _rate(naives.median()):.1f}x the median naive"
        )
    first, again = reharvests.full, reharvests.again
    print(
        f"  unchanged re-harvest (full listing): {first['seconds'] / again['seconds']:.1f}x "
        "faster than the full harvest of its round (target ≥ 3x with zero row writes); "
        f"{again['seconds']:.2f} s, CPU of the harvesting process {again['run_cpu_s']:.2f} s; "
        f"the simulator: {again['simulator']}"
        + (
            f"; PostgreSQL autovacuum beside it: {again['autovacuum']}; its backends over "
            f"{again['waits']}"
            if "autovacuum" in again
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated catalogue sizes")
    parser.add_argument("--big", action="store_true", help="add the 1,000,000-dataset run")
    parser.add_argument("--platforms", default="ckan,dcat_turtle")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="rounds of ceiling, full harvest and naive baseline, ratios taken within each "
        f"round (default: 3 up to {REPEATED_UP_TO:,} datasets, 1 above)",
    )
    parser.add_argument("--cache-mb", type=int, default=3000, help="simulator page cache (MB)")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the simulator waits before each page (a remote portal; with --quick)",
    )
    parser.add_argument("--stem-cache", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-chars", type=int, default=6000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="only the full harvest and the unchanged re-harvest (for the 1 M peak-RSS run)",
    )
    parser.add_argument(
        "--source-options",
        type=json.loads,
        default={},
        help='connector options of the source, as JSON (e.g. \'{"paging": "offset"}\')',
    )
    args = parser.parse_args()
    if not isinstance(args.source_options, dict):
        parser.error("--source-options takes a JSON object")
    SOURCE_OPTIONS.update(args.source_options)
    platforms = chosen(args.platforms, jobs.CONNECTORS, "platform")
    without_baselines = [p for p in platforms if p not in BASELINE_PLATFORMS]
    if without_baselines and not args.quick:
        parser.error(
            f"the ceiling and naive baselines exist for {', '.join(BASELINE_PLATFORMS)}: "
            f"measure {', '.join(without_baselines)} with --quick"
        )
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.big else [])
    print(f"moisson bench/harvest.py · {machine()}")
    print(
        "vs full = the first round's full-harvest seconds / this run's seconds (the "
        "re-harvests run on that round's database); row writes = rows inserted, "
        "updated or deleted in dataset, raw_record, dataset_facet (+ search_doc on PostgreSQL, "
        "dataset_facet_set on SQLite)"
    )
    from simulator.corpus import CorpusSpec
    from simulator.server import SimProcess
    from simulator.state import SimConfig

    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            for platform in platforms:
                spec = CorpusSpec(seed=42, n=size, changed=0.05, removed=0.0, added=0.0)
                config = SimConfig(
                    spec=spec,
                    platforms=(platform,),
                    page_size=args.page_size,
                    cache_bytes=args.cache_mb * 1024 * 1024,
                    latency=args.latency,
                )
                with SimProcess(config) as sim:
                    for kind in args.databases.split(","):
                        _measure_database(args, sim, platform, size, kind, Path(folder))


if __name__ == "__main__":
    main()
