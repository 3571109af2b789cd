"""``moisson serve --workers N``: several HTTP processes for concurrent searches, refused
while the embedded scheduler is on (it must run once)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from api import shared_buckets
from api.shared_buckets import allocate_tables
from harvester import cli
from harvester import serve_workers as serve_workers_module
from harvester.serve_workers import balanced_by_kernel
from tests.harvester.test_cli import _one_line_error, env, invoke
from tests.paths import REPO

__all__ = ["env"]  # the fixture, shared with test_cli


def test_uvicorn_workers_need_the_scheduler_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's workers are alike: each would run the scheduler, which must run once."""
    calls: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(cli, "balanced_by_kernel", lambda: False)
    _one_line_error(invoke("serve", "--workers", "4"), 2, "--no-scheduler")
    _one_line_error(invoke("serve", "--workers", "2", "--no-scheduler", "--reload"), 2, "--reload")
    assert calls == []


def test_our_workers_run_the_scheduler_in_the_first_only(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one socket per process the supervisor tells each process whether it schedules:
    ``--workers`` no longer needs ``--no-scheduler`` and a second service to schedule."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "configure_logging", lambda *a: None)
    monkeypatch.setattr(cli, "balanced_by_kernel", lambda: True)
    monkeypatch.setattr(cli, "serve_workers", lambda *a, **k: calls.append(k))
    for flags in (["--workers", "2"], ["--workers", "2", "--no-scheduler"]):
        result = invoke("serve", *flags)
        assert result.exit_code == 0, result.output
    assert [call["scheduler"] for call in calls] == [True, False]

    started: list[tuple[Any, ...]] = []

    class Recorded:
        exitcode = 1  # every process "dies" at once: each slot is started again

        def __init__(self, target: Any, args: tuple[Any, ...], name: str) -> None:
            started.append(args)

        def start(self) -> None:
            return None

        def is_alive(self) -> bool:
            return False

        def join(self, timeout: float | None = None) -> None:
            return None

    class Context:
        Process = Recorded

        @staticmethod
        def RawArray(_typecode: str, size: int) -> list[float]:
            return [0.0] * size

        @staticmethod
        def Lock() -> None:
            return None

    monkeypatch.setattr("multiprocessing.get_context", lambda _method: Context())
    monkeypatch.setattr(serve_workers_module.time, "sleep", _stop_soon())
    serve_workers_module.serve_workers(
        "app:factory", "127.0.0.1", 0, 3, log_format="console", log_level="INFO", scheduler=True
    )
    assert [args[-1] for args in started[:3]] == [True, False, False]
    assert [args[-1] for args in started[3:6]] == [True, False, False]  # replacements too


def _stop_soon() -> Any:
    """A ``time.sleep`` for the supervisor's loop: one round of restarts, then SIGTERM."""
    rounds = iter(range(10))

    def sleep(_seconds: float) -> None:
        if next(rounds) >= 4:
            os.kill(os.getpid(), signal.SIGTERM)

    return sleep


def test_a_worker_without_the_scheduler_turns_it_off_before_the_app_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str | None, object]] = []
    monkeypatch.delenv("MOISSON_SCHEDULER", raising=False)
    monkeypatch.setattr(shared_buckets, "_shared", {})
    monkeypatch.setattr(serve_workers_module, "stop_with_parent", lambda _parent: None)
    monkeypatch.setattr(serve_workers_module, "configure_logging", lambda *a: None)
    monkeypatch.setattr(serve_workers_module, "listening_socket", lambda *a: None)
    monkeypatch.setattr(
        "uvicorn.Server.run",
        lambda self, sockets: seen.append(
            (os.environ.get("MOISSON_SCHEDULER"), shared_buckets._shared.get("reads"))
        ),
    )
    tables = allocate_tables(multiprocessing.get_context("spawn"))
    for scheduler in (True, False):
        serve_workers_module.run_worker(
            "app:f", "127.0.0.1", 0, "console", "INFO", 1, tables, scheduler
        )
    reads = tables["reads"]
    assert seen == [(None, reads), ("false", reads)]  # and the rate limits shared


def test_workers_fall_back_to_uvicorn_processes(
    env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the kernel does not balance ``SO_REUSEPORT`` sockets: uvicorn's shared one."""
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(cli, "configure_logging", lambda *a: None)
    monkeypatch.setattr(cli, "balanced_by_kernel", lambda: False)
    result = invoke("serve", "--workers", "3", "--no-scheduler")
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            (cli.APP_FACTORY,),
            {
                "factory": True,
                "host": "127.0.0.1",
                "port": 8000,
                "log_config": None,
                "workers": 3,
            },
        )
    ]


def _tcp(port: int, state: str) -> set[str]:
    """Inodes of the sockets on 127.0.0.1:``port`` in ``state`` (``0A`` listening, ``01``
    established), from Linux's /proc/net/tcp."""
    local = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return {f[9] for f in map(str.split, lines) if f[1] == local and f[3] == state}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _sockets(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


async def _served_by(port: int, workers: list[int], clients: int) -> list[int]:
    """Open ``clients`` keep-alive connections at once, one request each (every answer a
    200), and count those each worker accepted."""

    async def one() -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await reader.readline()).split()[1] == b"200"
        return writer

    writers = await asyncio.gather(*(one() for _ in range(clients)))
    accepted = _tcp(port, "01")
    served = [len(_sockets(pid) & accepted) for pid in workers]
    for writer in writers:
        writer.close()
    return served


def _start_workers(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen[bytes], int]:
    """``moisson serve --workers 2`` on a free port, once both workers listen."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "MOISSON_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "MOISSON_CONFIG": str(tmp_path / "absent.toml"),
        "MOISSON_RATE_LIMIT": "0",
        **settings,
    }
    command = [sys.executable, "-m", "harvester.cli", "serve", "--port", str(port)]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [*command, "--workers", "2", "--no-scheduler"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while len(_tcp(port, "0A")) < 2:
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            raise AssertionError((tmp_path / "serve.log").read_text())
        time.sleep(0.2)
    time.sleep(1.0)  # the apps' startup
    return server, port


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:  # SIGTERM stops the workers too
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.skipif(not balanced_by_kernel(), reason="SO_REUSEPORT balances on Linux only")
def test_a_burst_of_connections_is_spread_over_the_workers(tmp_path: Path) -> None:
    """uvicorn's shared socket let one process accept a whole burst of keep-alive clients
    (16 at once on two processes: 14 and 2); each process now listens itself."""
    server, port = _start_workers(tmp_path)
    try:
        listening = _tcp(port, "0A")
        assert len(listening) == 2, "one listening socket per worker"
        workers = [pid for pid in _children(server.pid) if _sockets(pid) & listening]
        assert len(workers) == 2, workers
        served = asyncio.run(_served_by(port, workers, 32))
        assert sum(served) == 32 and min(served) >= 1, served

        os.kill(workers[0], signal.SIGKILL)  # a worker that dies is replaced
        deadline = time.monotonic() + 60
        while True:
            listening = _tcp(port, "0A")
            now = [pid for pid in _children(server.pid) if _sockets(pid) & listening]
            if len(now) == 2 and workers[0] not in now:
                break
            assert time.monotonic() < deadline, f"not replaced: {now}"
            time.sleep(0.2)
        workers = now
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers left"
    finally:
        _stop(server)


@pytest.mark.skipif(not balanced_by_kernel(), reason="the parent-death signal is Linux's")
def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL gives the supervisor no chance to stop its workers: they kept serving and
    holding the port; the kernel now sends them SIGTERM."""
    server, port = _start_workers(tmp_path)
    workers = [pid for pid in _children(server.pid) if _sockets(pid) & _tcp(port, "0A")]
    try:
        assert len(workers) == 2, workers
        server.kill()
        server.wait()
        deadline = time.monotonic() + 30
        while alive := [pid for pid in workers if _running(pid)]:
            assert time.monotonic() < deadline, f"workers outlived the supervisor: {alive}"
            time.sleep(0.2)
        assert not _tcp(port, "0A"), "the port is still held"
    finally:
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan is reaped by init, a zombie holds nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not balanced_by_kernel(), reason="SO_REUSEPORT balances on Linux only")
def test_the_workers_share_each_address_read_limit(tmp_path: Path) -> None:
    """With a bucket per process, one address made twice ``MOISSON_RATE_LIMIT_BURST``
    reads at once over connections spread on two workers."""
    server, port = _start_workers(
        tmp_path, MOISSON_RATE_LIMIT="0.001", MOISSON_RATE_LIMIT_BURST="10"
    )
    workers = [pid for pid in _children(server.pid) if _sockets(pid) & _tcp(port, "0A")]
    try:
        statuses, served = asyncio.run(_statuses(port, workers, 24))
        assert min(served) >= 1, served  # both workers answered
        assert statuses.count(200) == 10, statuses
        assert statuses.count(429) == 14, statuses
    finally:
        _stop(server)


async def _statuses(port: int, workers: list[int], clients: int) -> tuple[list[int], list[int]]:
    """One read on each of ``clients`` connections opened at once: the statuses, and how
    many connections each worker accepted."""

    async def one() -> tuple[int, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /api/v1/datasets?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return int((await reader.readline()).split()[1]), writer

    answers = await asyncio.gather(*(one() for _ in range(clients)))
    accepted = _tcp(port, "01")
    served = [len(_sockets(pid) & accepted) for pid in workers]
    for _status, writer in answers:
        writer.close()
    return [status for status, _ in answers], served
