"""Benchmark: federated search (full-text index + facets + keyset page) vs a LIKE scan.

    .venv/bin/python bench/search.py [--n 20000] [--repeat 7] [--postgres URL]

Builds a synthetic bilingual catalogue of ``n`` datasets through the real write path
(``write_batch``: index rows, facet rows), in a fresh SQLite file and, with ``--postgres``
(an empty database it may fill and drop tables in), in PostgreSQL. Then, for each query:

* search   — ``harvester.search.engine.search``: top 20 by relevance, exact total (up to
  10,000), counts of every facet — what ``GET /api/v1/datasets`` does;
* baseline — the naive alternative measured in the same run: ``lower(title || record) LIKE``
  for each word, ``count(*)`` and the 20 newest, no facets at all.

Prints the median of ``repeat`` runs of each and their ratio; absolute times depend on the
machine, the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from catalog.model import Agent, DatasetRecord, Distribution, LicenceRef, Provenance
from connectors.base import RawRecord
from harvester.search.engine import SearchRequest, search
from harvester.search.fields import FACETS
from harvester.store.datasets import Harvested, write_batch
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade_async
from harvester.store.tables import Partner, Source

SUBJECTS = (
    "bibliothèques",
    "transport collectif",
    "qualité de l'eau",
    "énergie solaire",
    "arbres",
    "stationnement",
    "collecte des déchets",
    "budget municipal",
    "pistes cyclables",
    "écoles",
    "hôpitaux",
    "permis de construction",
    "zones inondables",
    "population",
    "élections",
)
PLACES = ("Québec", "Montréal", "Gatineau", "Sherbrooke", "Lévis", "Laval", "Saguenay")
FORMATS = ("CSV", "JSON", "GeoJSON", "SHP", "XLSX", "PDF")
LICENCES = ("CC-BY-4.0", "OGL-Canada-2.0", "CC0-1.0")
QUERIES = (
    "bibliothèques",
    "transport collectif",
    '"qualité de l\'eau"',
    "énergie -Laval",
    "arbres OR parcs",
    "Gatineau budget",
)


def record(n: int, rng: random.Random) -> Harvested:
    subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
    other = rng.choice(SUBJECTS)
    rec = DatasetRecord(
        identifier=f"d{n}",
        title={"fr": f"{subject.capitalize()} — {place} {n}", "en": f"Dataset {n}"},
        description={
            "fr": f"Données sur {subject} et {other} à {place}, mises à jour en {2000 + n % 25}."
        },
        keywords={"fr": [subject, place.lower()]},
        licence=LicenceRef(id=rng.choice(LICENCES)),
        publisher=Agent(name={"fr": f"Ville de {place}"}),
        modified=date(2015 + n % 11, 1 + n % 12, 1 + n % 28),
        distributions=[
            Distribution(format=f, access_url=f"https://ex.org/{n}.{f}")
            for f in rng.sample(FORMATS, 2)
        ],
        provenance=Provenance(source_id="bench", remote_id=f"d{n}", platform="ckan"),
    )
    return Harvested(raw=RawRecord(f"d{n}", {"n": n}, datetime.now(UTC)), record=rec)


async def build(url: str, n: int) -> None:
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(Partner(id="bench", name="Bench", kind="municipality"))
        session.add(Source(id="bench", partner_id="bench", url="https://ex.org", platform="ckan"))
    rng = random.Random(42)
    now = datetime.now(UTC)
    for start in range(0, n, 1000):
        batch = [record(i, rng) for i in range(start, min(n, start + 1000))]
        async with sessions() as session, session.begin():
            await write_batch(session, "bench", batch, now=now)
    await engine.dispose()


def like_statement(q: str) -> tuple[sa.TextClause, sa.TextClause, dict[str, str]]:
    words = [w.strip('"').lower() for w in q.split() if not w.startswith("-") and w != "OR"]
    where = " AND ".join(
        f"lower(title || CAST(record AS TEXT)) LIKE :w{i}" for i in range(len(words))
    )
    params = {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
    base = f"FROM dataset WHERE withdrawn_at IS NULL AND {where}"
    page = sa.text(f"SELECT pk {base} ORDER BY modified DESC LIMIT 20")
    return sa.text(f"SELECT count(*) {base}"), page, params


async def timed(repeat: int, run: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def measure(url: str, repeat: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    print(f"{'query':<24} {'search ms':>10} {'LIKE ms':>10} {'ratio':>7} {'total':>7}")
    for q in QUERIES:
        request = SearchRequest(q=q, limit=20, facets=FACETS)
        count, page, params = like_statement(q)

        async def run_search(request: SearchRequest = request) -> None:
            async with sessions() as session:
                await search(session, request)

        async def run_like(
            count: sa.TextClause = count, page: sa.TextClause = page, params: dict = params
        ) -> None:
            async with sessions() as session:
                await session.scalar(count, params)
                (await session.execute(page, params)).all()

        async with sessions() as session:
            total = (await search(session, request)).total
        ours = await timed(repeat, run_search)
        like = await timed(repeat, run_like)
        print(f"{q:<24} {ours * 1000:>10.1f} {like * 1000:>10.1f} {like / ours:>6.1f}x {total:>7}")
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL (asyncpg)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = [("sqlite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")]
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        for name, url in targets:
            start = time.perf_counter()
            await build(url, args.n)
            print(
                f"\n{name}: {args.n} datasets written in {time.perf_counter() - start:.1f} s "
                "(LIKE ratio = LIKE time / search time; search also counts 11 facets)"
            )
            await measure(url, args.repeat)


if __name__ == "__main__":
    asyncio.run(main())
