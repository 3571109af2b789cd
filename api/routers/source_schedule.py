"""A source's schedule: read it, change it, pause and resume (operator or owning partner)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import SourceAccess
from api.deps import Session
from api.problems import Problem
from api.run_schemas import ScheduleUpdate, SourceSchedule, source_schedule
from harvester.audit import record_event
from harvester.config_model import validate_schedule
from harvester.schedules import reschedule
from harvester.store.queries import get_source
from harvester.store.types import utcnow

router = APIRouter(prefix="/api/v1/sources", tags=["schedule"])


@router.get("/{source_id}/schedule", response_model=SourceSchedule)
async def show_schedule(source_id: str, session: Session) -> SourceSchedule:
    """When the source is harvested next, whether it is paused, and its failure streak."""
    source = await get_source(session, source_id)
    if source is None:
        raise Problem(404, f"no source with id {source_id!r}", title="Source not found")
    return source_schedule(source)


@router.put("/{source_id}/schedule", response_model=SourceSchedule)
async def set_schedule(
    source_id: str, body: ScheduleUpdate, session: Session, access: SourceAccess
) -> SourceSchedule:
    """Change the schedule (cron or interval); the next harvest time follows at once."""
    principal, source = access
    try:
        source.schedule = validate_schedule(body.schedule)
    except ValueError as error:
        raise Problem(422, str(error), title="Invalid schedule") from None
    source.updated_at = utcnow()
    await reschedule(session, source, utcnow())
    record_event(
        session,
        actor=principal.actor,
        action="source.schedule",
        target_type="source",
        target_id=source_id,
        schedule=source.schedule,
    )
    await session.commit()
    return source_schedule(source)


async def _pause(session: Session, access: SourceAccess, paused: bool) -> SourceSchedule:
    principal, source = access
    source.paused = paused
    source.updated_at = utcnow()
    session.add(source)
    record_event(
        session,
        actor=principal.actor,
        action="source.paused" if paused else "source.resumed",
        target_type="source",
        target_id=source.id,
    )
    await session.commit()
    return source_schedule(source)


@router.post("/{source_id}/pause", response_model=SourceSchedule)
async def pause(source_id: str, session: Session, access: SourceAccess) -> SourceSchedule:
    """Stop scheduled harvests of this source (a manual harvest still works)."""
    return await _pause(session, access, True)


@router.post("/{source_id}/resume", response_model=SourceSchedule)
async def resume(source_id: str, session: Session, access: SourceAccess) -> SourceSchedule:
    """Harvest this source on its schedule again."""
    return await _pause(session, access, False)
