"""The audit log: who approved, rejected, triggered or edited what (operators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Operator
from api.deps import Session
from api.partnership_schemas import AuditEventOut
from harvester.audit import list_events

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEventOut])
async def audit(
    session: Session,
    _: Operator,
    target: Annotated[str | None, Query(max_length=200, description="A source id, …")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEventOut]:
    """The latest events first."""
    return [
        AuditEventOut.model_validate(event, from_attributes=True)
        for event in await list_events(session, target_id=target, limit=limit)
    ]
