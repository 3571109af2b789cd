"""The audit log: one row per approval, rejection, triggered harvest or edit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.store.tables import AuditEvent


def record_event(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session (committed with the change it describes)."""
    event = AuditEvent(
        actor=actor, action=action, target_type=target_type, target_id=target_id, detail=detail
    )
    session.add(event)
    return event


async def list_events(
    session: AsyncSession, *, target_id: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    """Latest events first, optionally about one target."""
    statement = sa.select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if target_id is not None:
        statement = statement.where(col(AuditEvent.target_id) == target_id)
    return list(await session.scalars(statement))
