"""``moisson stats``: the action plan's figures against their targets (and today's snapshot)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from harvester.cli_common import CliError, database, load_settings, out, run, sync_from_file, table
from harvester.config import ConfigError, format_problems
from harvester.partnership.model import Figures, Progress, Share
from harvester.partnership.service import current_figures
from harvester.partnership.targets import load_targets
from harvester.settings import Settings


def stats(
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Count from this day (default: config).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Figures on this day (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    no_snapshot: Annotated[
        bool, typer.Option("--no-snapshot", help="Do not store today's snapshot.")
    ] = False,
) -> None:
    """The partnership's figures against the action plan's targets and deadlines."""
    settings = load_settings()
    figures = run(
        _stats(settings, _day(baseline, "--baseline"), _day(as_of, "--as-of"), no_snapshot)
    )
    if as_json:
        out().print_json(figures.model_dump_json())
        return
    _print(figures)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


async def _stats(
    settings: Settings, baseline: date | None, as_of: date | None, no_snapshot: bool
) -> Figures:
    try:
        targets = load_targets(settings.config)
    except ConfigError as error:
        raise CliError(
            f"{settings.config} has errors:\n{format_problems(error.problems)}"
        ) from None
    async with database(settings) as sessions:
        await sync_from_file(sessions, settings)
        async with sessions() as session, session.begin():
            return await current_figures(
                session,
                targets,
                as_of=as_of,
                baseline=baseline,
                snapshot="no" if no_snapshot else "replace",
            )


def _status(progress: Progress) -> str:
    if progress.status in ("no_target", "no_data"):
        return progress.status.replace("_", " ")
    target = f"{progress.target:g}" if progress.target is not None else "?"
    return f"{progress.status.replace('_', ' ')} (goal {target} by {progress.deadline})"


def _share(label: str, share: Share) -> list[str]:
    value = f"{share.share:.0%}" if share.share is not None else "—"
    return [label, f"{share.count}/{share.of} = {value}", _status(share.progress), share.datasets]


def _print(figures: Figures) -> None:
    console = out()
    console.print(
        f"Action plan figures on {figures.as_of} (baseline {figures.baseline})", markup=False
    )
    kinds = table("kind", "partners", "at baseline", "additional", "publishing", "progress")
    for kind in figures.partners:
        kinds.add_row(
            kind.kind,
            str(kind.partners),
            str(kind.at_baseline),
            str(kind.additional),
            str(kind.publishing),
            _status(kind.progress),
        )
    console.print(kinds)
    for kind in figures.partners:
        if kind.goal == "all" and kind.not_publishing:
            names = ", ".join(p.name for p in kind.not_publishing)
            console.print(f"{kind.kind}: not publishing yet: {names}", markup=False)
    new = figures.new_datasets
    summary = table("figure", "value", "progress", "datasets")
    summary.add_row("new datasets", str(new.count), _status(new.progress), new.datasets)
    summary.add_row(*_share("conforming to the guidelines", figures.conformity))
    summary.add_row(*_share("new CSV queryable by API", figures.csv_api))
    hvd = figures.hvd
    summary.add_row(
        "high-value datasets",
        f"{hvd.datasets} ({hvd.covered}/{hvd.of} categories)",
        "",
        hvd.link,
    )
    console.print(summary)
    if new.by_partner:
        by_partner = table("partner", "new datasets")
        for row in new.by_partner:
            by_partner.add_row(row.label or row.key, str(row.count))
        console.print(by_partner)
    if figures.datasets_without_quality:
        console.print(
            f"{figures.datasets_without_quality} dataset(s) not checked yet.", markup=False
        )
