"""Temporary work folders that a killed process does not leave behind for good.

A process killed outright (SIGKILL, the OOM killer, a power cut) cannot remove its
temporary folder, and an interrupted ``moisson export`` leaves up to a whole document's worth
of parts in one. Each folder :func:`work_folder` makes names its owner (host and pid) in a
file; making the next folder of the same prefix in the same place first removes the
siblings whose owner, on this host, is gone. A folder whose owner is alive, on another host,
or unknown (no owner file: not one of ours, or still being made) is left alone.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

OWNER = ".owner"
"""The file naming a work folder's owner: ``"<host> <pid>"``."""


@contextmanager
def work_folder(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A new folder ``parent/<prefix>…`` (in the system's temporary folder by default),
    removed with what it holds on exit; abandoned folders of the same prefix there are
    removed first (:func:`reclaim`)."""
    where = parent if parent is not None else Path(tempfile.gettempdir())
    reclaim(where, prefix)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=where) as made:
        folder = Path(made)
        (folder / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}")
        yield folder


def reclaim(where: Path, prefix: str) -> list[Path]:
    """Remove the folders ``where/<prefix>…`` whose owner process on this host is gone; the
    folders removed."""
    removed: list[Path] = []
    for folder in where.glob(glob.escape(prefix) + "*"):
        pid = _gone_owner(folder)
        if pid is None:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        log.warning("removed %s, left behind by process %d (no longer running)", folder, pid)
        removed.append(folder)
    return removed


def _gone_owner(folder: Path) -> int | None:
    """The pid of ``folder``'s owner when it ran on this host and is no longer running."""
    try:
        host, pid_text = (folder / OWNER).read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if host != socket.gethostname() or pid <= 0:
        return None
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process exists
    except ProcessLookupError:
        return pid
    except PermissionError:  # another user's process: running
        return None
    return None
