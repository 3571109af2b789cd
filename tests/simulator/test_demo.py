"""``moisson demo``: a simulated portal harvested into a fresh demo database, offline."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from harvester.store.db import create_engine


async def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("platform", ["ckan", "dcat_turtle"])
def test_demo_harvests_the_simulator_without_loosening_the_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    monkeypatch.setenv("MOISSON_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("MOISSON_SSRF_ALLOW", raising=False)
    get_settings.cache_clear()
    db = tmp_path / "demo.db"
    args = ["demo", "--n", "40", "--platform", platform, "--db", str(db), "--no-serve"]
    try:
        result = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "harvested 40 datasets (40 added, 0 failed)" in result.output
    url = f"sqlite+aiosqlite:///{db}"
    assert asyncio.run(_count(url, "dataset")) == 40
    assert get_settings().ssrf_allow == []  # the allow-list was for the demo harvest only
    again = CliRunner().invoke(app, args)  # the demo database is recreated each time
    assert again.exit_code == 0, again.output
    assert asyncio.run(_count(url, "dataset")) == 40


def test_a_demo_stopped_while_it_serves_leaves_no_worker_behind(tmp_path: Path) -> None:
    """The demo's harvest starts a mapping worker (a first harvest maps every record); it
    stops once the harvest is over, so the served demo holds no idle worker and a SIGTERM
    (how an operator or a script stops it) ends it without leaked semaphores."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "MOISSON_MAP_PROCESSES": "1",
        "MOISSON_CONFIG": str(tmp_path / "absent.toml"),
    }
    args = ["demo", "--n", "80", "--db", str(tmp_path / "demo.db"), "--port", str(port)]
    demo = subprocess.Popen(
        [sys.executable, "-m", "harvester.cli", *args],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert demo.poll() is None and time.monotonic() < deadline, demo.stdout
            time.sleep(0.2)
        assert _workers(demo.pid) == []  # the worker stopped with the harvest
        demo.send_signal(signal.SIGTERM)
        output = demo.communicate(timeout=30)[0].decode()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode in (0, -signal.SIGTERM), output  # uvicorn re-raises it, once shut
    assert "harvested 80 datasets (80 added, 0 failed)" in output
    assert "leaked" not in output, output


def _listening(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


def _workers(pid: int) -> list[str]:
    """The command lines of the processes ``pid`` spawned to run Python work (a mapping
    worker; not multiprocessing's resource tracker, which ends with it)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile
            continue
        if "spawn_main" in command:
            found.append(command)
    return found
