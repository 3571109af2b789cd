"""``moisson sources list | add``."""

from __future__ import annotations

from typing import Annotated

import typer

from catalog.model import PartnerKind
from connectors.client import build_client
from harvester.cli_common import database, load_settings, out, run, sync_from_file, table
from harvester.settings import Settings
from harvester.sources import AUTO, add_source
from harvester.store.queries import list_sources

sources_app = typer.Typer(help="List and register sources.", no_args_is_help=True)


@sources_app.command("list")
def list_command() -> None:
    """Every source with its partner, platform, status and dataset count."""
    settings = load_settings()
    run(_list(settings))


async def _list(settings: Settings) -> None:
    async with database(settings) as sessions:
        await sync_from_file(sessions, settings)
        async with sessions() as session:
            rows = await list_sources(session)
    listing = table("id", "partner", "kind", "platform", "status", "url", "datasets")
    for source, partner, count in rows:
        listing.add_row(
            source.id,
            partner.name if partner else "",
            partner.kind if partner else "",
            source.platform,
            source.status,
            source.url,
            str(count),
            style=None if source.status == "approved" else "dim",
        )
    console = out()
    if rows:
        console.print(listing)
    else:
        console.print("No sources yet: add one with `moisson sources add URL …`.", markup=False)


@sources_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="Portal URL (http or https).")],
    partner: Annotated[str, typer.Option("--partner", help="Partner name or id.")],
    kind: Annotated[PartnerKind, typer.Option("--kind", help="Kind of partner.")],
    platform: Annotated[
        str, typer.Option("--platform", help="Platform name, or 'auto' to recognize it.")
    ] = AUTO,
    source_id: Annotated[str | None, typer.Option("--id", help="Source id (a slug).")] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Cron ('0 3 * * *') or interval ('6h').")
    ] = None,
) -> None:
    """Register a portal as an approved source."""
    settings = load_settings()
    run(_add(settings, url, partner, kind, platform, source_id, schedule))


async def _add(
    settings: Settings,
    url: str,
    partner: str,
    kind: PartnerKind,
    platform: str,
    source_id: str | None,
    schedule: str | None,
) -> None:
    async with database(settings) as sessions:
        await sync_from_file(sessions, settings)
        async with (
            build_client(allow=settings.ssrf_allow, timeout=settings.http_timeout) as client,
            sessions() as session,
            session.begin(),
        ):
            source = await add_source(
                session,
                url,
                partner_name=partner,
                kind=kind,
                platform=platform,
                source_id=source_id,
                schedule=schedule,
                origin="cli",
                allow=settings.ssrf_allow,
                client=client,
            )
    out().print(
        f"Added source {source.id} ({source.platform}, partner {source.partner_id}): {source.url}",
        markup=False,
        highlight=False,
    )
