"""SQLite's write-ahead log copied into the database ahead of the commit that fills it.

The commit that takes SQLite's log past ``wal_autocheckpoint`` pages copies the whole log
back and syncs both files before it returns: a harvest waited ~0.4 s for it every ~3.5 s
while its mapping worker ran out of batches (bench/HISTORY.md, session 23). A
:class:`LogCheckpointer` is a thread with a connection of its own that copies the log back
every few seconds without blocking anyone (``PRAGMA wal_checkpoint(PASSIVE)``), while the
commits go on. The commit that fills the log still checkpoints, so that the log starts
again from its beginning (SQLite restarts it only for a transaction that began with the
whole log copied): it finds most of the pages copied already and copies the rest.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)

CHECKPOINT_EVERY_S = 3.0
"""Seconds between two checkpoints. A page written by several batches in between is copied
once: with a copy every 3 s a 10 k CKAN harvest into SQLite took ~5 % less time (median of
seven alternated pairs), every 1 s ~2 % less (bench/HISTORY.md, session 24)."""


class LogCheckpointer:
    """A thread that checkpoints the log of the SQLite file at ``path`` every ``every_s``
    seconds, on a connection of its own, while started."""

    def __init__(self, path: str, every_s: float, *, uri: bool = False) -> None:
        self.path = path
        self.every_s = every_s
        self.uri = uri
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread unless it runs already."""
        with self._lock:
            if self.running:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="sqlite-checkpoints", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for its last checkpoint to end."""
        with self._lock:
            stop, thread = self._stop, self._thread
            self._stop = self._thread = None
        if stop is not None and thread is not None:
            stop.set()
            if thread is not threading.current_thread():
                thread.join()

    def _run(self, stop: threading.Event) -> None:
        try:
            connection = sqlite3.connect(
                self.path, uri=self.uri, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            log.warning("sqlite checkpoints off: cannot open the database", error=str(error))
            return
        try:
            connection.execute("PRAGMA synchronous=NORMAL")
            while not stop.wait(self.every_s):
                self.checkpoint(connection)
        finally:
            connection.close()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        """Copy what the log holds into the database, as far as readers allow."""
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # the next round tries again, as does the commit
            log.warning("sqlite checkpoint failed", error=str(error))


def checkpoint_in_background(engine: AsyncEngine, every_s: float) -> LogCheckpointer:
    """Run ``engine``'s checkpoints on a :class:`LogCheckpointer` of its SQLite file:
    started by the engine's first connection, stopped when it is disposed of (and started
    again if it connects afterwards) or garbage-collected."""
    sync_engine = engine.sync_engine
    # the file name the engine's own connections open (absolute, or a URI with its options)
    [path], options = sync_engine.dialect.create_connect_args(sync_engine.url)
    checkpointer = LogCheckpointer(path, every_s, uri=bool(options.get("uri")))

    def on_connect(_dbapi_connection: Any, _record: Any) -> None:
        checkpointer.start()

    def on_dispose(_engine: Any) -> None:
        checkpointer.stop()

    event.listen(sync_engine, "connect", on_connect)
    event.listen(sync_engine, "engine_disposed", on_dispose)
    weakref.finalize(sync_engine, checkpointer.stop)
    return checkpointer
