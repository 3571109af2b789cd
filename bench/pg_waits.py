"""What PostgreSQL did on one database while a benchmark step ran.

:func:`autovacuums` counts the tables' completed autovacuums and autoanalyzes, taken before
and after the step (:func:`beside` says the difference). :class:`WaitSampler`'s thread polls
``pg_stat_activity`` every ``interval`` seconds and counts, over every sample, each client
backend as idle, busy (no wait event: on the CPU) or waiting on its event
(``Lock/relation``, ``IO/DataFileRead``…). A step slower than its CPU says then shows
whether the database was the one working or waiting, or was idle while the client waited
on something else.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import sqlalchemy as sa

ACTIVITY = sa.text(
    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND backend_type = 'client backend'"
)


def backend_state(state: str | None, wait_type: str | None, wait_event: str | None) -> str:
    """One backend's state in a sample: ``idle``, ``CPU`` or ``<wait type>/<event>``."""
    if state is None or state.startswith("idle"):
        return state or "idle"
    return f"{wait_type}/{wait_event}" if wait_type else "CPU"


class WaitSampler:
    """Counts the states of the database's client backends while the ``with`` block runs
    (PostgreSQL only: built for a SQLite URL, it samples nothing)."""

    def __init__(self, db_url: str, *, interval: float = 0.05) -> None:
        self.db_url = db_url
        self.interval = interval
        self.samples = 0
        self.states: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WaitSampler:
        if self.db_url.startswith("postgresql"):
            self._thread = threading.Thread(target=lambda: asyncio.run(self._poll()), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    async def _poll(self) -> None:
        from harvester.store.db import create_engine

        engine = create_engine(self.db_url)
        try:
            async with engine.connect() as connection:
                while not self._stop.is_set():
                    rows = (await connection.execute(ACTIVITY)).all()
                    await connection.rollback()  # a fresh snapshot of the view each time
                    self.samples += 1
                    self.states.update(backend_state(*row) for row in rows)
                    await asyncio.sleep(self.interval)
        finally:
            await engine.dispose()

    def summary(self) -> str:
        """``"N samples: idle 40, CPU 12, Lock/relation 3"`` (backend-samples, most first)."""
        counted = ", ".join(f"{state} {n}" for state, n in self.states.most_common())
        return f"{self.samples} samples: {counted or 'no client backend'}"


async def autovacuums(db_url: str) -> dict[str, tuple[int, int]]:
    """PostgreSQL: each table's autovacuum and autoanalyze counts ({} on SQLite), so that
    a slow re-harvest can be told apart from one that ran beside them."""
    from harvester.store.db import create_engine

    engine = create_engine(db_url)
    if engine.dialect.name != "postgresql":
        await engine.dispose()
        return {}
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables")
        )
        counts = {name: (int(vacuums), int(analyzes)) for name, vacuums, analyzes in rows}
    await engine.dispose()
    return counts


def beside(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> str:
    """The autovacuums and autoanalyzes between two :func:`autovacuums` counts, in words."""
    done = []
    for name, (vacuums, analyzes) in sorted(after.items()):
        then = before.get(name, (0, 0))
        kinds = [
            k for k, n in (("vacuum", vacuums - then[0]), ("analyze", analyzes - then[1])) if n
        ]
        if kinds:
            done.append(f"{name} ({' + '.join(kinds)})")
    return ", ".join(done) or "none"
