"""The ``moisson`` command line (DESIGN §6b).

Every command reads its settings when it runs (never at import), applies the migrations
before it touches the database, and reports bad input as one line on stderr with a
non-zero exit code: 1 for a refusal or a failed run, 2 for an unknown id or bad usage.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from harvester.cli_common import (
    database,
    err,
    fail,
    load_settings,
    out,
    run,
    safe_url,
    sync_from_file,
)
from harvester.cli_demo import demo
from harvester.cli_export import export
from harvester.cli_harvest import harvest, runs
from harvester.cli_sources import sources_app
from harvester.cli_stats import stats
from harvester.cli_tokens import tokens_app
from harvester.cli_worker import prune, withdrawals_app, worker
from harvester.config import check_config, format_problems, load_config
from harvester.logs import configure_logging
from harvester.serve_workers import balanced_by_kernel, serve_workers
from harvester.settings import Settings, get_settings

app = typer.Typer(
    name="moisson",
    help="Moisson: harvest open-data catalogues into one federated index.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Check config/sources.toml.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.command()(harvest)
app.command()(runs)
app.command()(demo)
app.command()(stats)
app.command()(export)
app.command()(worker)
app.command()(prune)
app.add_typer(withdrawals_app, name="withdrawals")

APP_FACTORY = "api.app:create_app"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run the embedded scheduler.")
    ] = False,
    reload: Annotated[bool, typer.Option("--reload", help="Restart on code changes.")] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="HTTP worker processes, so concurrent searches do not queue behind one "
            "process (SQLite WAL readers do not block each other); one per core. On Linux "
            "the first runs the embedded scheduler; elsewhere more than one needs "
            "--no-scheduler.",
        ),
    ] = 1,
) -> None:
    """Serve the API and web pages (migrations and config sync first)."""
    if workers > 1 and not no_scheduler and not balanced_by_kernel():
        # uvicorn's workers are alike: each would run the scheduler, which must run once
        fail("--workers above 1 needs --no-scheduler here (the scheduler must run once)", code=2)
    if workers > 1 and reload:
        fail("--workers and --reload exclude each other", code=2)
    settings = load_settings()
    report = run(_prepare(settings))
    if report is not None:
        err().print(f"{settings.config}: {report}", markup=False, highlight=False)
    if no_scheduler:
        os.environ["MOISSON_SCHEDULER"] = "false"  # read by the app's settings (and reloads)
        get_settings.cache_clear()
    import uvicorn

    configure_logging(settings.log_format, settings.log_level)
    if workers > 1 and balanced_by_kernel():
        serve_workers(
            APP_FACTORY,
            host,
            port,
            workers,
            log_format=settings.log_format,
            log_level=settings.log_level,
            scheduler=not no_scheduler,
        )
        return
    if workers > 1:
        uvicorn.run(
            APP_FACTORY, factory=True, host=host, port=port, log_config=None, workers=workers
        )
        return
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, reload=reload, log_config=None)


async def _prepare(settings: Settings) -> str | None:
    async with database(settings) as sessions:
        report = await sync_from_file(sessions, settings)
    return report.summary() if report else None


@config_app.command("check")
def config_check(
    file: Annotated[
        Path | None, typer.Option("--file", help="Config file (default: MOISSON_CONFIG).")
    ] = None,
) -> None:
    """Report every problem of the config file; exit 1 if there is any error."""
    path = file if file is not None else load_settings().config
    problems = check_config(path)
    if problems:
        err().print(format_problems(problems), markup=False, highlight=False, soft_wrap=True)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        fail(f"{path}: {errors} error(s)")
    config = load_config(path)
    out().print(
        f"{path}: OK ({len(config.partners)} partners, {len(config.sources)} sources)",
        markup=False,
        highlight=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations and print the current revision."""
    settings = load_settings()
    revision = run(_upgrade(settings))
    out().print(
        f"{safe_url(settings.database_url)}: at revision {revision}", markup=False, highlight=False
    )


def _revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(sorted(heads)) or None


async def _upgrade(settings: Settings) -> str | None:
    forced = settings.model_copy(update={"auto_migrate": True})
    async with database(forced) as sessions, sessions() as session:
        connection = await session.connection()
        return await connection.run_sync(_revision)


if __name__ == "__main__":  # python -m harvester.cli
    app()
