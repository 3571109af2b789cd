"""``moisson tokens create | list | revoke``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from harvester.cli_common import CliError, database, load_settings, out, run, sync_from_file, table
from harvester.settings import Settings
from harvester.tokens import TokenError, create_token, list_tokens, revoke_token

tokens_app = typer.Typer(help="API tokens for write endpoints.", no_args_is_help=True)


class RoleChoice(StrEnum):
    operator = "operator"
    partner = "partner"


@tokens_app.command("create")
def create_command(
    role: Annotated[RoleChoice, typer.Option("--role", help="operator or partner.")],
    partner: Annotated[
        str | None, typer.Option("--partner", help="Partner id (partner tokens).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A label for the token.")] = None,
) -> None:
    """Create a token and print its secret (shown only this once)."""
    run(_create(load_settings(), role, partner, name))


async def _create(
    settings: Settings, role: RoleChoice, partner: str | None, name: str | None
) -> None:
    async with database(settings) as sessions:
        await sync_from_file(sessions, settings)
        async with sessions() as session, session.begin():
            try:
                token, secret = await create_token(
                    session, role=role.value, partner_id=partner, name=name
                )
            except TokenError as error:
                raise CliError(str(error)) from None
    console = out()
    console.print(f"Token {token.id} ({token.role}): {secret}", markup=False, highlight=False)
    console.print("Keep it now: it is stored hashed and cannot be shown again.", markup=False)


@tokens_app.command("list")
def list_command() -> None:
    """Every token (without secrets)."""
    run(_list(load_settings()))


async def _list(settings: Settings) -> None:
    async with database(settings) as sessions, sessions() as session:
        tokens = await list_tokens(session)
    listing = table("id", "name", "role", "partner", "prefix", "created", "last used", "revoked")
    for token in tokens:
        listing.add_row(
            str(token.id),
            token.name,
            token.role,
            token.partner_id or "",
            token.prefix + "…",
            f"{token.created_at:%Y-%m-%d}",
            f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "",
            f"{token.revoked_at:%Y-%m-%d}" if token.revoked_at else "",
        )
    out().print(listing)


@tokens_app.command("revoke")
def revoke_command(token_id: Annotated[int, typer.Argument(help="Token id.")]) -> None:
    """Revoke a token for good."""
    run(_revoke(load_settings(), token_id))


async def _revoke(settings: Settings, token_id: int) -> None:
    async with database(settings) as sessions, sessions() as session, session.begin():
        try:
            token = await revoke_token(session, token_id)
        except TokenError as error:
            raise CliError(str(error), 2) from None
    out().print(f"Token {token.id} revoked.", markup=False)
