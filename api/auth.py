"""Bearer-token access control for write endpoints (reads are public).

``require_operator`` guards operator-only routes; ``require_source_access`` lets an operator,
or a partner token scoped to the source's own partner, act on one source.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.deps import Session
from api.problems import Problem
from harvester.store.tables import Source
from harvester.tokens import Principal, verify_token

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="moisson"'}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


async def optional_principal(request: Request, session: Session) -> Principal | None:
    """The caller's principal, None when anonymous; a bad token is a 401, not anonymous."""
    secret = _bearer(request)
    if secret is None:
        if request.headers.get("authorization"):
            raise Problem(401, "use 'Authorization: Bearer <token>'", headers=BEARER_CHALLENGE)
        return None
    principal = await verify_token(session, secret)
    if principal is None:
        raise Problem(401, "this token is unknown or revoked", headers=BEARER_CHALLENGE)
    return principal


async def require_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """Any valid token."""
    if principal is None:
        raise Problem(401, "this endpoint needs a token", headers=BEARER_CHALLENGE)
    return principal


async def require_operator(
    principal: Annotated[Principal, Depends(require_principal)],
) -> Principal:
    """An operator token."""
    if principal.role != "operator":
        raise Problem(403, "this endpoint is for operators")
    return principal


async def require_source_access(
    source_id: str,
    session: Session,
    principal: Annotated[Principal, Depends(require_principal)],
) -> tuple[Principal, Source]:
    """An operator, or the partner that owns source ``source_id``; 404 if it does not exist."""
    source = await session.get(Source, source_id)
    if source is None:
        raise Problem(404, f"no source with id {source_id!r}", title="Source not found")
    if principal.role != "operator" and principal.partner_id != source.partner_id:
        raise Problem(403, f"this token cannot act on source {source_id!r}")
    return principal, source


Operator = Annotated[Principal, Depends(require_operator)]
SourceAccess = Annotated[tuple[Principal, Source], Depends(require_source_access)]
