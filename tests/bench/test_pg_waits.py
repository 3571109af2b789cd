"""The wait sampler tells what PostgreSQL's backends were doing while a step ran."""

from __future__ import annotations

import sqlalchemy as sa

from bench.pg_waits import WaitSampler, autovacuums, backend_state, beside
from harvester.store.db import create_engine


def test_a_backend_is_idle_on_the_cpu_or_waiting_on_its_event() -> None:
    assert backend_state("idle", "Client", "ClientRead") == "idle"
    assert backend_state("idle in transaction", "Client", "ClientRead") == "idle in transaction"
    assert backend_state("active", None, None) == "CPU"
    assert backend_state("active", "Lock", "relation") == "Lock/relation"


async def test_a_sleeping_backend_is_sampled_waiting_on_its_timeout(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with WaitSampler(postgres_url, interval=0.02) as sampler:
            async with engine.connect() as connection:
                await connection.execute(sa.text("SELECT pg_sleep(0.5)"))
    finally:
        await engine.dispose()
    assert sampler.samples >= 5
    assert sampler.states["Timeout/PgSleep"] >= 3
    assert sampler.summary().startswith(f"{sampler.samples} samples: ")


def test_nothing_is_sampled_on_sqlite(tmp_path: object) -> None:
    with WaitSampler(f"sqlite+aiosqlite:///{tmp_path}/x.db") as sampler:
        pass
    assert (sampler.samples, sampler.summary()) == (0, "0 samples: no client backend")


async def test_autovacuums_are_counted_on_postgresql_only(database_url: str) -> None:
    counts = await autovacuums(database_url)
    if database_url.startswith("sqlite"):
        assert counts == {}
    else:
        assert {"dataset", "raw_record", "search_doc"} <= set(counts)
        assert all(v >= 0 and a >= 0 for v, a in counts.values())


def test_autovacuums_beside_a_run_are_said_in_words() -> None:
    before = {"dataset": (1, 2), "raw_record": (0, 0), "source": (0, 0)}
    after = {"dataset": (1, 3), "raw_record": (1, 1), "source": (0, 0), "page_memo": (1, 0)}
    said = beside(before, after)
    assert said == "dataset (analyze), page_memo (vacuum), raw_record (vacuum + analyze)"
    assert beside(after, after) == "none"
