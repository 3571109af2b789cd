"""``moisson harvest SOURCE_ID`` and ``moisson runs SOURCE_ID``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from connectors.errors import UnknownPlatform
from harvester.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    CliError,
    database,
    err,
    load_settings,
    out,
    run,
    sync_from_file,
    table,
)
from harvester.run_service import HarvestService
from harvester.runs import RunInProgress, RunProgress, SourceNotFound
from harvester.settings import Settings
from harvester.store.queries import get_source, list_runs, run_error_summary
from harvester.store.tables import HarvestRun

SHOWN_ERRORS = 10
COUNTERS = (
    "seen",
    "added",
    "updated",
    "unchanged",
    "withdrawn",
    "held",
    "failed",
    "skipped",
    "pages",
)


def harvest(
    source_id: Annotated[str, typer.Argument(help="Id of the source to harvest.")],
    full: Annotated[
        bool, typer.Option("--full", help="Ignore the last run: fetch everything.")
    ] = False,
) -> None:
    """Harvest one source now, with a progress bar and a summary; exit 1 if the run failed."""
    settings = load_settings()
    status = run(_harvest(settings, source_id, full))
    if status == "failed":
        raise typer.Exit(EXIT_FAILED)


def _unknown(source_id: str) -> CliError:
    return CliError(f"no source with id {source_id!r} (see `moisson sources list`)", EXIT_BAD_INPUT)


async def _harvest(settings: Settings, source_id: str, full: bool) -> str:
    async with database(settings) as sessions:
        await sync_from_file(sessions, settings)
        async with sessions() as session:
            source = await get_source(session, source_id)
        if source is None:
            raise _unknown(source_id)
        if source.status != "approved":
            err().print(f"note: source {source_id} is {source.status}", markup=False)
        progress_bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err(),
        )
        task = progress_bar.add_task(f"harvesting {source_id}", total=None)

        def show(progress: RunProgress) -> None:
            progress_bar.update(task, completed=progress.seen, total=progress.expected)

        try:
            with progress_bar:
                harvest_run = await HarvestService(sessions, settings).harvest(
                    source_id, full=full, trigger="cli", progress=RunProgress(on_progress=show)
                )
        except SourceNotFound:
            raise _unknown(source_id) from None
        except RunInProgress as error:
            raise CliError(str(error), EXIT_FAILED) from None
        except UnknownPlatform as error:
            raise CliError(f"source {source_id}: {error}", EXIT_BAD_INPUT) from None
        async with sessions() as session:
            errors = await run_error_summary(session, harvest_run.id or 0, SHOWN_ERRORS)
    _print_summary(harvest_run, errors)
    return harvest_run.status


def _duration(run: HarvestRun) -> str:
    if run.finished_at is None:
        return ""
    seconds = (run.finished_at - run.started_at) / timedelta(seconds=1)
    return f"{seconds:.1f} s"


_STATUS_STYLE = {"succeeded": "green", "partial": "yellow", "failed": "red", "running": "cyan"}


def _print_summary(run: HarvestRun, errors: Sequence[tuple[str, str, int]]) -> None:
    console = out()
    summary = table("status", *COUNTERS, "duration", title=f"Run {run.id} of {run.source_id}")
    summary.add_row(
        f"[{_STATUS_STYLE.get(run.status, '')}]{run.status}[/]",
        *(str(getattr(run, name)) for name in COUNTERS),
        _duration(run),
    )
    console.print(summary)
    if run.message:
        console.print(f"{run.status}: {run.message}", markup=False, highlight=False)
    if run.withdrawals:
        console.print(f"withdrawals: {run.withdrawals}", markup=False, highlight=False)
    if errors:
        errors_table = table("count", "kind", "message", title="First errors")
        for kind, message, count in errors:
            errors_table.add_row(str(count), kind, message)
        console.print(errors_table)


def runs(
    source_id: Annotated[str, typer.Argument(help="Id of the source.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs.")] = 20,
) -> None:
    """The latest harvest runs of a source, newest first."""
    settings = load_settings()
    run(_runs(settings, source_id, limit))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


async def _runs(settings: Settings, source_id: str, limit: int) -> None:
    async with database(settings) as sessions, sessions() as session:
        if await get_source(session, source_id) is None:
            raise _unknown(source_id)
        found = await list_runs(session, source_id, limit)
    console = out()
    if not found:
        console.print(f"No runs yet for {source_id}.", markup=False)
        return
    listing = table(
        "run", "status", "trigger", "started (UTC)", "duration", "full", *COUNTERS[:-1], "message"
    )
    for item in found:
        listing.add_row(
            str(item.id),
            f"[{_STATUS_STYLE.get(item.status, '')}]{item.status}[/]",
            item.trigger + (f" ← {item.resumed_from}" if item.resumed_from else ""),
            _when(item.started_at),
            _duration(item),
            "yes" if item.full else "",
            *(str(getattr(item, name)) for name in COUNTERS[:-1]),
            item.message or "",
        )
    console.print(listing)
