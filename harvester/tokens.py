"""API tokens: created once (the secret is shown only then), stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.store.tables import ApiToken, Partner
from harvester.store.types import utcnow

Role = Literal["operator", "partner"]
TOKEN_PREFIX = "moi_"


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a verified token's role and, for partners, their partner id."""

    token_id: int
    name: str
    role: Role
    partner_id: str | None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        scope = f" ({self.partner_id})" if self.partner_id else ""
        return f"token:{self.token_id}:{self.role}{scope}"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    session: AsyncSession, *, role: Role, partner_id: str | None = None, name: str | None = None
) -> tuple[ApiToken, str]:
    """A new token row and its secret (never stored). Partner tokens need a known partner."""
    if role == "partner":
        if not partner_id:
            raise TokenError("a partner token needs --partner ID")
        if await session.get(Partner, partner_id) is None:
            raise TokenError(f"no partner with id {partner_id!r}")
    elif partner_id:
        raise TokenError("an operator token is not scoped to a partner; drop --partner")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name or (f"{role} {partner_id}" if partner_id else role),
        role=role,
        partner_id=partner_id,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
    )
    session.add(token)
    await session.flush()
    return token, secret


async def verify_token(session: AsyncSession, secret: str) -> Principal | None:
    """The principal of a valid, unrevoked token, or None. Records its last use."""
    token = await session.scalar(
        sa.select(ApiToken).where(col(ApiToken.token_hash) == hash_token(secret))
    )
    if token is None or token.revoked_at is not None or token.id is None:
        return None
    token.last_used_at = utcnow()
    await session.commit()
    role: Role = "operator" if token.role == "operator" else "partner"
    return Principal(token_id=token.id, name=token.name, role=role, partner_id=token.partner_id)


async def revoke_token(session: AsyncSession, token_id: int) -> ApiToken:
    """Revoke a token for good."""
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list(await session.scalars(sa.select(ApiToken).order_by(col(ApiToken.id))))
