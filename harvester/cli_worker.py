"""``moisson worker``, ``moisson withdrawals`` and ``moisson prune``."""

from __future__ import annotations

from typing import Annotated

import typer

from harvester.cli_common import (
    EXIT_BAD_INPUT,
    CliError,
    database,
    load_settings,
    out,
    run,
    table,
)
from harvester.logs import configure_logging
from harvester.partnership import cells as partnership_cells
from harvester.retention import prune_runs
from harvester.search import facet_totals
from harvester.settings import Settings
from harvester.store.types import utcnow
from harvester.store.withdrawals import NoHeldWithdrawals, confirm_held, discard_held, held_runs

withdrawals_app = typer.Typer(
    help="Withdrawals held for the operator (over the guard share).", no_args_is_help=True
)


def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Parallel harvests here.")
    ] = None,
    burst: Annotated[
        bool, typer.Option("--burst", help="One tick, work until the queue is empty, exit.")
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option("--metrics-port", help="Serve Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Take harvest jobs from the PostgreSQL queue (run any number, on any machines)."""
    from harvester.worker import WorkerNeedsPostgres, run_worker

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)

    async def main() -> None:
        async with database(settings):  # migrations first
            pass
        try:
            await run_worker(
                settings, concurrency=concurrency, burst=burst, metrics_port=metrics_port
            )
        except WorkerNeedsPostgres as error:
            raise CliError(str(error), EXIT_BAD_INPUT) from None

    run(main())


@withdrawals_app.command("list")
def withdrawals_list(
    source_id: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
) -> None:
    """Runs holding withdrawals."""
    settings = load_settings()
    run(_list(settings, source_id))


async def _list(settings: Settings, source_id: str | None) -> None:
    async with database(settings) as sessions, sessions() as session:
        runs = await held_runs(session, source_id)
    if not runs:
        out().print("No withdrawals are held.", markup=False)
        return
    listing = table("run", "source", "finished (UTC)", "held", "decision")
    for item in runs:
        finished = item.finished_at.strftime("%Y-%m-%d %H:%M") if item.finished_at else ""
        listing.add_row(
            str(item.id), item.source_id, finished, str(item.held), item.withdrawals or ""
        )
    out().print(listing)


@withdrawals_app.command("confirm")
def withdrawals_confirm(
    run_id: Annotated[int, typer.Argument(help="The run holding them.")],
) -> None:
    """Withdraw what a run held."""
    settings = load_settings()
    count = run(_decide(settings, run_id, confirm=True))
    out().print(f"run {run_id}: {count} dataset(s) withdrawn", markup=False)


@withdrawals_app.command("discard")
def withdrawals_discard(
    run_id: Annotated[int, typer.Argument(help="The run holding them.")],
) -> None:
    """Keep the datasets a run held (nothing is withdrawn)."""
    settings = load_settings()
    count = run(_decide(settings, run_id, confirm=False))
    out().print(f"run {run_id}: {count} dataset(s) kept", markup=False)


async def _decide(settings: Settings, run_id: int, *, confirm: bool) -> int:
    actor = "cli"
    async with database(settings) as sessions:
        async with sessions() as session, session.begin():
            try:
                if confirm:
                    count = await confirm_held(session, run_id, utcnow(), actor)
                else:
                    count = await discard_held(session, run_id, actor)
            except NoHeldWithdrawals as error:
                raise CliError(str(error), EXIT_BAD_INPUT) from None
        if confirm and count:  # the whole-catalogue aggregates changed
            await facet_totals.refresh(sessions)
            await partnership_cells.refresh(sessions)
        return count


def prune(
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Default: MOISSON_RETENTION_DAYS.")
    ] = None,
) -> None:
    """Delete harvest runs older than the retention period (the newest of each source stay)."""
    settings = load_settings()
    count = run(_prune(settings, days or settings.retention_days))
    out().print(f"{count} run(s) pruned", markup=False)


async def _prune(settings: Settings, days: int) -> int:
    async with database(settings) as sessions, sessions() as session, session.begin():
        return await prune_runs(session, days=days, keep=settings.retention_keep)
