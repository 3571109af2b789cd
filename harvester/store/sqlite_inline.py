"""Short SQLite reads on the event loop's thread instead of aiosqlite's.

aiosqlite runs every call on its connection's own thread, and SQLAlchemy's adapter makes
four such hand-offs per statement (open a cursor, execute, fetch, close). The SQL of a
search is tens of microseconds to a few milliseconds; the hand-offs, and the thread and
GIL switching they cause under concurrent requests, cost more than the SQL itself (45 % of
a search request's CPU at 100 k datasets, measured in ``bench/HISTORY.md``, session 6).

This adapter keeps aiosqlite's connection and thread but:

* runs a ``SELECT`` on the calling thread, execute and fetch at once, within a time budget
  (:data:`DEFAULT_BUDGET_MS`). SQLite calls a progress handler every few thousand VM steps;
  past the budget it interrupts the statement, which is then run again from the start on
  the connection's thread, so a long read never holds the event loop longer than the
  budget. Only on a WAL (or in-memory) database, where a reader never waits for a lock.
  A statement interrupted once goes straight to the thread the next times (its SQL text is
  remembered, :class:`LongReads`), until one of its runs there fits in the budget: a text
  query's capped total or facet sample, the same SQL for every query of its shape, paid the
  budget for nothing on each call (5 of a 45 ms search);
* runs everything else (writes, which may wait up to ``busy_timeout`` for the write lock,
  ``COMMIT``, pragmas, ``executemany``) on the connection's thread in one hand-off,
  execute and fetch together;
* skips the hand-off for ``COMMIT``/``ROLLBACK`` when no transaction is open (sqlite3
  does nothing then either);
* leaves server-side (streamed) results to SQLAlchemy's aiosqlite cursor, one hand-off
  per chunk, so a streamed export never loads its rows at once.

:func:`read_rows` runs a search's few fixed statements as SQL text the same way, without
SQLAlchemy's statement and result machinery.

Uses SQLAlchemy's and aiosqlite's private adapter hooks (``_execute_async``,
``Connection._execute``); pyproject pins both below their next minor version.
"""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util.concurrency import await_

DEFAULT_BUDGET_MS = 5.0
"""How long a read may hold the event loop before it moves to the connection's thread."""

PROGRESS_STEPS = 1000
"""SQLite VM steps between two looks at the clock (a few to tens of microseconds)."""

_READ_ONLY_JOURNALS = frozenset({"wal", "memory"})

LONG_READS_KEPT = 256
"""Statements :class:`LongReads` remembers at most (the least recently interrupted go)."""


class LongReads:
    """The SQL texts of reads recently interrupted past the budget, shared by every
    connection (the same statement costs the same on each)."""

    def __init__(self, size: int = LONG_READS_KEPT) -> None:
        self._size = size
        self._kept: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, operation: object) -> bool:
        return operation in self._kept

    def mark(self, operation: str) -> None:
        """Remember ``operation`` as a read past the budget."""
        self._kept[operation] = None
        self._kept.move_to_end(operation)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)

    def forget(self, operation: str) -> None:
        """``operation`` ran within the budget on the thread: try it inline again."""
        self._kept.pop(operation, None)

    def clear(self) -> None:
        """Forget every statement (tests)."""
        self._kept.clear()


long_reads = LongReads()


def _is_select(operation: str) -> bool:
    return operation.lstrip()[:6].upper() == "SELECT"


def _execute_fetch(
    cursor: sqlite3.Cursor, operation: str, args: tuple[Any, ...]
) -> list[Any] | None:
    cursor.execute(operation, *args)
    return cursor.fetchall() if cursor.description else None


def _read_within(
    connection: sqlite3.Connection,
    cursor: sqlite3.Cursor,
    operation: str,
    args: tuple[Any, ...],
    budget_s: float,
) -> list[Any] | None:
    """The statement's rows, or ``None`` when it was interrupted past ``budget_s``."""
    deadline = time.perf_counter() + budget_s
    over = False

    def past_deadline() -> bool:
        nonlocal over
        over = time.perf_counter() > deadline
        return over

    connection.set_progress_handler(past_deadline, PROGRESS_STEPS)
    try:
        cursor.execute(operation, *args)
        return cursor.fetchall()
    except sqlite3.OperationalError:
        if over:
            return None
        raise
    finally:
        connection.set_progress_handler(None, 0)


def _reads_never_wait(connection: sqlite3.Connection) -> bool:
    row = connection.execute("PRAGMA journal_mode").fetchone()
    return bool(row) and str(row[0]).lower() in _READ_ONLY_JOURNALS


class InlineReadCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor: short reads inline, the rest in one hand-off."""

    __slots__ = ()
    _awaitable_cursor_close = False  # sqlite3's own close: nothing to wait for
    _cursor: Any  # a sqlite3.Cursor here, not an aiosqlite one

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection._conn.cursor()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        adapt: InlineReadConnection = self._adapt_connection  # type: ignore[assignment]
        args: tuple[Any, ...] = () if parameters is None else (parameters,)
        rows = await adapt.run(self._cursor, operation, args)
        if rows is not None:
            self._rows = deque(rows)
        return self._cursor

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        thread: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            return await thread._execute(self._cursor.executemany, operation, seq_of_parameters)

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class InlineReadConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's connection with :class:`InlineReadCursor` for buffered results."""

    __slots__ = ("budget_s", "reads_inline")
    _cursor_cls = InlineReadCursor

    def __init__(self, dbapi: Any, connection: Any, budget_s: float) -> None:
        super().__init__(dbapi, connection)
        self.budget_s = budget_s
        self.reads_inline: bool | None = None  # known at the first read

    async def run(
        self, cursor: sqlite3.Cursor, operation: str, args: tuple[Any, ...]
    ) -> list[Any] | None:
        """Execute ``operation`` on ``cursor`` (a ``SELECT`` inline within the budget, the
        rest on the connection's thread): its rows, None for a statement without any."""
        thread: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._execute_mutex:
            if self.budget_s > 0 and _is_select(operation):
                if self.reads_inline is None:
                    self.reads_inline = await thread._execute(_reads_never_wait, thread._conn)
                if self.reads_inline and operation in long_reads:
                    started = time.perf_counter()
                    rows = await thread._execute(_execute_fetch, cursor, operation, args)
                    if time.perf_counter() - started < self.budget_s:
                        long_reads.forget(operation)
                    return rows
                if self.reads_inline:
                    rows = _read_within(thread._conn, cursor, operation, args, self.budget_s)
                    if rows is not None:
                        return rows
                    long_reads.mark(operation)
            return await thread._execute(_execute_fetch, cursor, operation, args)

    async def read(self, operation: str, parameters: Sequence[Any]) -> list[Any]:
        """The rows of a ``SELECT``, run as :meth:`run` runs it on a cursor of its own."""
        cursor = self._connection._conn.cursor()
        try:
            return await self.run(cursor, operation, (tuple(parameters),)) or []
        finally:
            cursor.close()

    def _idle(self) -> bool:
        raw: sqlite3.Connection | None = self._connection._connection
        return raw is not None and not raw.in_transaction

    def rollback(self) -> None:
        if not self._idle():
            super().rollback()

    def commit(self) -> None:
        if not self._idle():
            super().commit()


async def read_rows(session: AsyncSession, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
    """The rows of a ``SELECT`` in SQLite's SQL (``?`` placeholders) on the session's
    connection, past SQLAlchemy's statements: building one, finding its compiled form and
    processing its result cost 0.1–0.4 ms, where the SQL of a search page takes tens of
    microseconds. Values come back as sqlite3 gives them (dates and JSON as text)."""
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    if not isinstance(adapted, InlineReadConnection):  # an engine not made by create_engine
        return [tuple(row) for row in await connection.exec_driver_sql(sql, tuple(parameters))]
    return await adapted.read(sql, parameters)


class InlineReadDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The ``module`` handed to ``create_async_engine`` for ``sqlite+aiosqlite`` URLs;
    ``budget_ms=0`` keeps every call on the connection's thread."""

    def __init__(self, budget_ms: float = DEFAULT_BUDGET_MS) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.budget_s = max(budget_ms, 0.0) / 1000

    def connect(self, *args: Any, **kwargs: Any) -> InlineReadConnection:
        kwargs["check_same_thread"] = False  # opened on its thread, read from the loop's
        connection = aiosqlite.connect(*args, **kwargs)
        connection._thread.daemon = True  # as SQLAlchemy's own adapter does
        return InlineReadConnection(self, await_(connection), self.budget_s)
