"""Engines and sessions for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from harvester.store.sqlite_checkpoints import CHECKPOINT_EVERY_S, checkpoint_in_background
from harvester.store.sqlite_inline import DEFAULT_BUDGET_MS, InlineReadDBAPI


def json_text(value: Any) -> str:
    """JSON columns' serializer: orjson's JSON as text (raw UTF-8, compact)."""
    return orjson.dumps(value).decode()


def is_sqlite(url: str) -> bool:
    """True for an SQLite database URL."""
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of an SQLite file so a fresh checkout can start at once (for a
    ``file:`` URI database, ``?uri=true``, the folder of the URI's path)."""
    database = make_url(url).database
    if not is_sqlite(url) or in_memory(url) or not database:
        return
    if database.startswith("file:"):
        database = unquote(urlsplit(database).path)
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


WAL_CHECKPOINT_PAGES = 16_384
"""Pages the write-ahead log holds before a commit copies them into the database (SQLite's
default: 1,000); a thread copies most of them before (:mod:`sqlite_checkpoints`). A
harvest's batch dirties pages all over the indexes on random keys (dataset ids, remote
ids, facet values, search terms); at 1,000 nearly every commit copied its pages back, each
hot index page once per batch. With 64 MB between checkpoints a page written by several
batches is copied once: a 100 k CKAN harvest's commits took 13.7–14.3 s of SQLite's
thread, 11.5–11.8 s with this (bench/HISTORY.md, session 17). Reads look pages up in the log's
index, whose cost grows with its length: 50 k pages was slower again."""
WAL_SIZE_LIMIT = 64 * 2**20
"""Bytes the log file is cut back to when it restarts (SQLite keeps its largest size by
default): what a large harvest grew it to is not kept on disk afterwards."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


def in_memory(url: str) -> bool:
    """True for an SQLite database that lives in memory (one shared connection), named by
    the URL or by a ``file:`` URI (``?uri=true``) whose path or ``mode`` says so."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database
    if database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
        return True
    if database.startswith("file:"):
        uri = urlsplit(database)
        return uri.path in ("", ":memory:") or "memory" in parse_qs(uri.query).get("mode", ())
    return False


def create_engine(
    url: str,
    *,
    sqlite_inline_ms: float = DEFAULT_BUDGET_MS,
    sqlite_checkpoint_s: float = CHECKPOINT_EVERY_S,
    pool_size: int | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """An async engine for ``url``: WAL and foreign keys on SQLite, orjson for JSON columns.

    On ``sqlite+aiosqlite`` a read runs on the event loop's thread for up to
    ``sqlite_inline_ms`` before moving to the connection's (:mod:`sqlite_inline`). An SQLite
    file's log is copied back every ``sqlite_checkpoint_s`` by a thread of its own
    (:mod:`sqlite_checkpoints`; 0: by the commits alone, every :data:`WAL_CHECKPOINT_PAGES`).
    ``pool_size`` connections are kept open (SQLAlchemy's default: 5, and up to 10 more
    that are closed as soon as they are returned)."""
    ensure_sqlite_directory(url)
    if make_url(url).drivername == "sqlite+aiosqlite" and "module" not in kwargs:
        kwargs["module"] = InlineReadDBAPI(sqlite_inline_ms)
    if pool_size is not None and not in_memory(url):
        kwargs.setdefault("pool_size", pool_size)
    engine = create_async_engine(
        url, json_serializer=json_text, json_deserializer=orjson.loads, **kwargs
    )
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if sqlite_checkpoint_s > 0 and not in_memory(url):
            checkpoint_in_background(engine, sqlite_checkpoint_s)
    elif make_url(url).drivername == "postgresql+asyncpg":
        event.listen(engine.sync_engine, "connect", _json_codecs)
    return engine


def _json_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _jsonb_bytes(value: str | bytes) -> bytes:
    return b"\x01" + _json_bytes(value)  # jsonb's binary form: version 1, then the text


def _jsonb_loads(data: bytes) -> Any:
    return orjson.loads(memoryview(data)[1:])


def _json_codecs(dbapi_connection: Any, _record: Any) -> None:
    """asyncpg's codecs for PostgreSQL's ``json`` and ``jsonb``, replacing SQLAlchemy's
    (registered before): they also take the UTF-8 bytes orjson writes, as they are (bulk
    rows, :mod:`harvester.store.bulk`), and give orjson the bytes read, undecoded."""

    async def register(connection: Any) -> None:
        for name, encoder, decoder in (
            ("json", _json_bytes, orjson.loads),
            ("jsonb", _jsonb_bytes, _jsonb_loads),
        ):
            await connection.set_type_codec(
                name, encoder=encoder, decoder=decoder, schema="pg_catalog", format="binary"
            )

    dbapi_connection.run_async(register)


def dialect_name(session: AsyncSession) -> str:
    """``"sqlite"`` or ``"postgresql"`` for the session's bound engine."""
    bind = session.get_bind()
    return bind.dialect.name


def database_id(session: AsyncSession) -> str:
    """The session's database as text (its engine's URL, password hidden), for keys of
    what is cached per database."""
    return _url_text(session.get_bind().engine.url)


@lru_cache(maxsize=64)
def _url_text(url: URL) -> str:
    """``str(url)``, rendered once per URL (a few microseconds, several times a search)."""
    return str(url)


@asynccontextmanager
async def custom_plans(session: AsyncSession) -> AsyncIterator[None]:
    """PostgreSQL: plan the statements run inside for their parameters.

    A harvest's batch reads look up hundreds of keys (``IN ($1, …, $500)``); after five
    executions of a prepared statement PostgreSQL may keep a generic plan, made while a
    source was still being filled and not yet analysed: a scan testing each row against the
    500 parameters one by one, 85 ms per read instead of 2 (10 k harvests ran 13 s or 21 s
    by that luck). A custom plan hashes the values and costs ~1 ms to make; only for these
    reads: the batch's inserts of thousands of parameters would pay it on every execution.
    SQLite: nothing to do."""
    if dialect_name(session) != "postgresql":
        yield
        return
    await session.execute(_CUSTOM_PLANS)
    try:
        yield
    finally:
        await session.execute(_DEFAULT_PLANS)


_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")
_DEFAULT_PLANS = text("SET LOCAL plan_cache_mode TO DEFAULT")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
