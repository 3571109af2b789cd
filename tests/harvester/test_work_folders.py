"""``harvester.work_folders``: the folder a killed process left is removed by the next one
made in its place; a live, foreign or unknown owner's folder is kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from harvester.work_folders import OWNER, reclaim, work_folder

PREFIX = ".catalog.ttl."


def gone_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def left(parent: Path, name: str, owner: str | None) -> Path:
    """A folder as a process leaves it: an owner file (unless None) and a part."""
    folder = parent / name
    folder.mkdir()
    if owner is not None:
        (folder / OWNER).write_text(owner)
    (folder / "part-000001").write_bytes(b"x" * 1000)
    return folder


def test_only_folders_whose_owner_is_gone_are_removed(tmp_path: Path) -> None:
    host = socket.gethostname()
    abandoned = left(tmp_path, PREFIX + "a1", f"{host} {gone_pid()}")
    running = left(tmp_path, PREFIX + "b2", f"{host} {os.getpid()}")
    elsewhere = left(tmp_path, PREFIX + "c3", f"another-host {gone_pid()}")
    unknown = left(tmp_path, PREFIX + "d4", None)
    garbled = left(tmp_path, PREFIX + "e5", "not a pid")
    other_prefix = left(tmp_path, ".other.ttl.f6", f"{host} {gone_pid()}")
    assert reclaim(tmp_path, PREFIX) == [abandoned]
    assert not abandoned.exists()
    assert all(f.exists() for f in (running, elsewhere, unknown, garbled, other_prefix))


def test_a_work_folder_names_its_owner_and_goes_away(tmp_path: Path) -> None:
    abandoned = left(tmp_path, PREFIX + "old", f"{socket.gethostname()} {gone_pid()}")
    with work_folder(PREFIX, tmp_path) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(PREFIX)
        assert (folder / OWNER).read_text() == f"{socket.gethostname()} {os.getpid()}"
        assert not abandoned.exists()
        assert reclaim(tmp_path, PREFIX) == []  # its own owner is running
    assert list(tmp_path.iterdir()) == []
