"""Plumbing shared by the ``moisson`` commands: consoles, errors, settings, the database.

A command raises :class:`CliError` (or lets a :class:`~harvester.sources.SourceRejected`
through) and :func:`run` turns it into one line on stderr and an exit code, never a
traceback.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.config import ConfigError, format_problems, load_config
from harvester.settings import Settings, get_settings
from harvester.sources import SourceRejected, SyncReport, sync_config
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade_async

T = TypeVar("T")

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A problem to report as a message (no traceback) with an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def out() -> Console:
    """Standard output (created per call so test runners' redirections are honoured)."""
    return Console()


def err() -> Console:
    """Standard error."""
    return Console(stderr=True)


def table(*headers: str, title: str | None = None) -> Table:
    """A table whose cells fold instead of being cut with "…" on narrow terminals."""
    return Table(*(Column(header, overflow="fold") for header in headers), title=title)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    err().print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; known errors become a message and an exit code."""
    try:
        return asyncio.run(main)
    except CliError as error:
        fail(error.message, error.code)
    except SourceRejected as error:
        fail(str(error), EXIT_FAILED)
    finally:
        stop_mapping_workers()


def stop_mapping_workers() -> None:
    """Stop the mapping workers this process started, if any: its harvests are over. Left to
    the interpreter's exit, a signal (``moisson demo`` stopped while it serves) would leak
    their semaphores, and a served demo would keep an idle worker's memory."""
    pool_module = sys.modules.get("harvester.mapping_pool")  # never imported: no workers
    if pool_module is not None:
        pool_module.POOL.shutdown()


def load_settings() -> Settings:
    """The settings, read now from the environment; bad values end the command."""
    try:
        return get_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"MOISSON_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        fail(f"bad settings: {problems}")


def safe_url(url: str) -> str:
    """A database URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def short_error(error: BaseException) -> str:
    """One line for an error: the driver's own (``.orig``) where SQLAlchemy wraps one."""
    original = getattr(error, "orig", None)
    shown = original if isinstance(original, BaseException) else error
    text = str(shown).strip().splitlines()
    return f"{type(shown).__name__}: {text[0]}" if text else type(shown).__name__


@asynccontextmanager
async def database(
    settings: Settings, *, migrate: bool = True
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the configured database, migrated first (unless ``auto_migrate`` is off)."""
    where = safe_url(settings.database_url)
    try:
        engine = create_engine(
            settings.database_url,
            sqlite_inline_ms=settings.sqlite_inline_ms,
            sqlite_checkpoint_s=settings.sqlite_checkpoint_s,
        )
    except Exception as error:
        raise CliError(f"cannot use the database URL {where}: {short_error(error)}") from None
    try:
        try:
            if migrate and settings.auto_migrate:
                await upgrade_async(settings.database_url)
            async with engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except Exception as error:
            raise CliError(f"cannot open the database {where}: {short_error(error)}") from None
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def sync_from_file(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> SyncReport | None:
    """Bring the DB in line with the config file, if there is one; a bad file ends the
    command with all its problems."""
    if not settings.config.exists():
        return None
    try:
        config = load_config(settings.config)
    except ConfigError as error:
        raise CliError(
            f"{settings.config} has errors:\n{format_problems(error.problems)}"
        ) from None
    async with sessions() as session, session.begin():
        return await sync_config(session, config)
