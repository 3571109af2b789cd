"""Failure streaks flag a source; the webhook is called on failure and on recovery, through
the SSRF guard; retention prunes old runs; the HTTP cache makes conditional requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.notify import Transition, send_webhook
from harvester.retention import prune_runs
from harvester.store.tables import HarvestError, HarvestRun, Source
from harvester.store.types import utcnow
from harvester.store.withdrawals import HeldWithdrawal
from tests.harvester.engine_support import SOURCE, add_source, datasets, ids, runs, service
from tests.harvester.fault_server import Fault, Portal, recorded_packages, serve

Sessions = async_sessionmaker[AsyncSession]
ALL = recorded_packages()


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join()


async def test_a_failing_source_is_flagged_then_recovers(
    sessions: Sessions, database_url: str, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = hook
    portal = Portal(packages=list(ALL), faults=[Fault("html", page=1, times=3)])
    with serve(portal) as portal_url:
        await add_source(sessions, portal_url)
        harvester = service(sessions, database_url, webhook_url=url, failure_threshold=2)
        statuses = [(await harvester.harvest(SOURCE)).status for _ in range(4)]
    assert statuses == ["failed", "failed", "failed", "succeeded"]
    _, second, _, fourth = await runs(sessions)
    assert [(r["event"], r["consecutive_failures"], r["run_id"]) for r in received] == [
        ("source.failing", 2, second.id),
        ("source.recovered", 0, fourth.id),
    ]
    assert "returned HTML" in received[0]["message"]
    async with sessions() as session:
        source = await session.get(Source, SOURCE)
        assert source is not None and (source.consecutive_failures, source.flagged_at) == (0, None)
    assert await datasets(sessions) == dict.fromkeys(ids(ALL), True)


async def test_the_webhook_goes_through_the_ssrf_guard() -> None:
    transition = Transition("failing", "s", 3, 1)
    assert await send_webhook("http://10.0.0.1/hook", [transition]) == 0, "refused, not raised"
    assert await send_webhook(None, [transition]) == 0


async def test_old_runs_are_pruned_but_recent_and_held_ones_stay(sessions: Sessions) -> None:
    await add_source(sessions, "https://portal.example.org")
    now = utcnow()
    async with sessions() as session, session.begin():
        old = [
            HarvestRun(
                source_id=SOURCE, status="succeeded", started_at=now - timedelta(days=200 - i)
            )
            for i in range(14)
        ]
        session.add_all(old)
        await session.flush()
        session.add(HarvestError(run_id=old[0].id or 0, kind="X", message="m"))
        held_run = old[1]
        await session.execute(
            sa.text(
                "INSERT INTO dataset (id, source_id, remote_id, content_hash, record, title, "
                "first_seen, last_seen, updated_at, title_sort, richness, change_txid) VALUES "
                "('d', :s, 'r', 'h', '{}', 't', :n, :n, :n, 't', 0, 0)"
            ),
            {"s": SOURCE, "n": now.replace(tzinfo=None)},
        )
        pk = await session.scalar(sa.text("SELECT pk FROM dataset WHERE id = 'd'"))
        session.add(HeldWithdrawal(run_id=held_run.id or 0, dataset_pk=pk))
    async with sessions() as session, session.begin():
        assert await prune_runs(session, days=90, keep=10, now=now) == 3
    remaining = {r.id for r in await runs(sessions)}
    assert remaining == {r.id for r in old[4:]} | {held_run.id}
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(HarvestError)) == 0


async def test_conditional_requests_through_the_http_cache(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    portal = Portal(packages=list(ALL), etag=True)
    with serve(portal) as url:
        await add_source(sessions, url)
        harvester = service(sessions, database_url, http_cache_dir=tmp_path / "cache")
        first = await harvester.harvest(SOURCE, full=True)
        second = await harvester.harvest(SOURCE, full=True)
    assert (first.added, second.unchanged, second.updated) == (18, 18, 0)
    assert [e.status for e in portal.log] == [200] * 5 + [304] * 5
    assert all(e.if_none_match for e in portal.log[5:]), "revalidated with If-None-Match"
    assert second.withdrawals == "none missing" and second.complete
