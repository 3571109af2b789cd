"""``moisson sources list | add | pending | approve | reject``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from catalog.model import PartnerKind
from connectors.client import build_client
from harvester import decisions, registration
from harvester.cli_common import (
    CliError,
    database,
    load_settings,
    out,
    run,
    sync_from_file,
    table,
)
from harvester.settings import Settings
from harvester.sources import AUTO, add_source
from harvester.store.queries import list_sources

sources_app = typer.Typer(help="List and register sources.", no_args_is_help=True)

SourceId = Annotated[str, typer.Argument(help="Source id.")]


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


# --- the operator's decisions on registrations ---------------------------------------------


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@sources_app.command("pending")
def pending_command() -> None:
    """Sources waiting for a decision, with their registration preview."""
    run(_pending(load_settings()))


async def _pending(settings: Settings) -> None:
    async with database(settings) as sessions, sessions() as session:
        rows = await decisions.pending_sources(session)
    console = out()
    if not rows:
        console.print("No source is waiting for a decision.", markup=False)
        return
    listing = table("id", "organization", "kind", "platform", "url", "contact", "state", "preview")
    for source, reg, partner in rows:
        listing.add_row(
            source.id,
            reg.name if reg else (partner.name if partner else ""),
            reg.kind if reg else (partner.kind if partner else ""),
            source.platform,
            source.url,
            source.contact_email or "",
            reg.state if reg else "pending",
            str(reg.preview.get("summary", "")) if reg else "",
        )
    console.print(listing)


async def _decide(settings: Settings, action: str, source_id: str, text: str | None) -> str:
    actor = _actor()
    async with database(settings) as sessions, sessions() as session, session.begin():
        try:
            if action == "approve":
                source = await decisions.approve(session, source_id, actor=actor, schedule=text)
                return f"Approved source {source.id} (partner {source.partner_id}, schedule {source.schedule})."
            if action == "reject":
                source = await decisions.reject(session, source_id, actor=actor, reason=text or "")
                return f"Rejected source {source.id}."
            source = await decisions.request_changes(
                session, source_id, actor=actor, changes=text or ""
            )
            return f"Asked for changes to source {source.id}."
        except registration.RegistrationError as error:
            code = 2 if isinstance(error, registration.UnknownSource) else 1
            raise CliError(error.message, code) from None


def _decide_and_say(action: str, source_id: str, text: str | None) -> None:
    message = run(_decide(load_settings(), action, source_id, text))
    out().print(message, markup=False, highlight=False)


@sources_app.command("approve")
def approve_command(
    source_id: SourceId,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Cron ('0 3 * * *') or interval ('6h').")
    ] = None,
) -> None:
    """Approve a pending source: its partner joins and the source is scheduled."""
    _decide_and_say("approve", source_id, schedule)


@sources_app.command("reject")
def reject_command(
    source_id: SourceId,
    reason: Annotated[str, typer.Option("--reason", help="Shown to the registrant.")],
) -> None:
    """Reject a pending source with a reason the registrant will see."""
    _decide_and_say("reject", source_id, reason)


@sources_app.command("request-changes")
def request_changes_command(
    source_id: SourceId,
    changes: Annotated[str, typer.Option("--changes", help="What the registrant must change.")],
) -> None:
    """Ask the registrant for changes (they resubmit with their registration key)."""
    _decide_and_say("request-changes", source_id, changes)
