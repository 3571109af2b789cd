"""Read limits shared by the API processes of ``moisson serve --workers N``."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from api import shared_buckets
from api.ratelimit import TokenBuckets
from api.shared_buckets import (
    SharedTable,
    SharedTokenBuckets,
    allocate_tables,
    read_limiter,
    use_shared_tables,
)

ADDRESS = "203.0.113.7"


def _table() -> SharedTable:
    return SharedTable.allocate(multiprocessing.get_context("spawn"))


def test_a_shared_bucket_behaves_as_a_process_one() -> None:
    now = [100.0]
    shared = SharedTokenBuckets(_table(), rate=0.5, burst=3, clock=lambda: now[0])
    local = TokenBuckets(rate=0.5, burst=3, clock=lambda: now[0])
    for step in (0, 0, 0, 0, 1, 2, 0, 10, 0):
        now[0] += step
        assert shared.take(ADDRESS) == local.take(ADDRESS)
    assert shared.take("198.51.100.1") == 0  # another address, another bucket


def _take_many(table: SharedTable, times: int, granted: Any) -> None:
    buckets = SharedTokenBuckets(table, rate=0.001, burst=30)
    granted.put(sum(buckets.take(ADDRESS) == 0 for _ in range(times)))


def test_processes_share_one_budget_per_address() -> None:
    """Each process's own buckets granted 30 each: 60 for one client of two processes."""
    context = multiprocessing.get_context("spawn")
    table = SharedTable.allocate(context)  # handed over when the processes start, as
    granted = context.Queue()  # serve_workers does
    processes = [context.Process(target=_take_many, args=(table, 40, granted)) for _ in "ab"]
    for process in processes:
        process.start()
    counts = [granted.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(60)
    assert sum(counts) == 30, counts


def test_apps_use_the_shared_tables_once_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_buckets, "_shared", {})
    assert isinstance(read_limiter(10, 60), TokenBuckets)
    assert isinstance(shared_buckets.buckets("registrations", rate=1, burst=5), TokenBuckets)
    assert read_limiter(0, 60) is None  # off
    tables = allocate_tables(multiprocessing.get_context("spawn"))
    use_shared_tables(tables)
    limiter = read_limiter(10, 60)
    assert isinstance(limiter, SharedTokenBuckets)
    assert (limiter.rate, limiter.burst, limiter.table) == (10, 60, tables["reads"])
    registrations = shared_buckets.buckets("registrations", rate=1, burst=5)
    assert isinstance(registrations, SharedTokenBuckets)
    assert registrations.table is tables["registrations"]


def test_registrations_use_their_shared_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from fastapi import FastAPI, Request

    from api import registration_limit

    tables = allocate_tables(multiprocessing.get_context("spawn"))
    monkeypatch.setattr(shared_buckets, "_shared", tables)
    settings = SimpleNamespace(registration_limit=5, registration_window=3600)
    app = FastAPI()
    app.state.settings = settings
    request = Request({"type": "http", "app": app})
    limiter = registration_limit._buckets(request)
    assert isinstance(limiter, SharedTokenBuckets)
    assert limiter.table is tables["registrations"] and limiter.burst == 5
    assert registration_limit._buckets(request) is limiter  # one per app
