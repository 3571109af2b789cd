"""The operator's decisions on sources: approve, reject, ask for changes, edit.

Each records an audit event with the actor; functions flush, the caller commits. Errors
are those of :mod:`harvester.registration` (they carry their HTTP status).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.audit import record_event
from harvester.config_model import DEFAULT_SCHEDULE, validate_schedule
from harvester.partners import find_or_create_partner
from harvester.registration import (
    InvalidRegistration,
    WrongState,
    check_email,
    get_registration,
    set_contact,
)
from harvester.schedules import follow_change, reschedule
from harvester.store.registration_tables import Registration
from harvester.store.tables import Partner, Source
from harvester.store.types import utcnow


def _decide(registration: Registration | None, state: str, actor: str) -> None:
    if registration is None:
        return
    registration.state = state
    registration.decided_by = actor
    registration.decided_at = registration.updated_at = utcnow()


def _valid_schedule(schedule: str) -> str:
    try:
        return validate_schedule(schedule)
    except ValueError as error:
        raise InvalidRegistration(str(error), field="schedule") from None


async def _audited(
    session: AsyncSession, source: Source, *, actor: str, action: str, **details: Any
) -> Source:
    """Record ``action`` on ``source`` in the audit log, flush, and give ``source`` back."""
    record_event(
        session,
        actor=actor,
        action=action,
        target_type="source",
        target_id=source.id,
        **details,
    )
    await session.flush()
    return source


async def pending_sources(
    session: AsyncSession,
) -> list[tuple[Source, Registration | None, Partner | None]]:
    """Sources waiting for a decision (pending, including changes asked), oldest first."""
    statement = (
        sa.select(Source, Registration, Partner)
        .outerjoin(Registration, col(Registration.source_id) == col(Source.id))
        .outerjoin(Partner, col(Partner.id) == col(Source.partner_id))
        .where(col(Source.status) == "pending")
        .order_by(col(Source.created_at), col(Source.id))
    )
    return [(s, r, p) for s, r, p in (await session.execute(statement)).all()]


async def approve(
    session: AsyncSession, source_id: str, *, actor: str, schedule: str | None = None
) -> Source:
    """Approve a pending (or rejected) source: its partner is matched or created and joins
    today if it had no ``joined_at``; the source is due now if it never was, else its due
    time follows a changed ``schedule``."""
    source, registration = await get_registration(session, source_id)
    if source.status not in ("pending", "rejected"):
        raise WrongState(f"source {source_id!r} is {source.status}, not pending")
    if schedule is not None:
        schedule = _valid_schedule(schedule)
    if source.partner_id is None and registration is not None:
        created = await find_or_create_partner(session, registration.name, registration.kind)
        source.partner_id = created.id
    partner = await session.get(Partner, source.partner_id) if source.partner_id else None
    joined = False
    if partner is not None and partner.joined_at is None:
        partner.joined_at = utcnow().date()
        joined = True
    source.status = "approved"
    before = source.schedule
    source.schedule = schedule or before or DEFAULT_SCHEDULE
    source.updated_at = utcnow()
    if source.next_harvest_at is None:
        source.next_harvest_at = source.updated_at  # due now: the scheduler starts it
    else:  # a due time of the old schedule follows the new one
        await follow_change(session, source, before, source.updated_at)
    _decide(registration, "approved", actor)
    return await _audited(
        session,
        source,
        actor=actor,
        action="source.approve",
        partner=source.partner_id,
        partner_joined=joined,
        schedule=source.schedule,
    )


async def reject(session: AsyncSession, source_id: str, *, actor: str, reason: str) -> Source:
    """Reject a pending source; the registrant sees ``reason``."""
    reason = reason.strip()
    if not reason:
        raise InvalidRegistration("a rejection needs a reason", field="reason")
    source, registration = await get_registration(session, source_id)
    if source.status != "pending":
        raise WrongState(f"source {source_id!r} is {source.status}, not pending")
    source.status = "rejected"
    source.updated_at = utcnow()
    if registration is not None:
        registration.reason = reason
    _decide(registration, "rejected", actor)
    return await _audited(session, source, actor=actor, action="source.reject", reason=reason)


async def request_changes(
    session: AsyncSession, source_id: str, *, actor: str, changes: str
) -> Source:
    """Ask the registrant for changes; the source stays pending until resubmitted."""
    changes = changes.strip()
    if not changes:
        raise InvalidRegistration("say which changes are needed", field="changes")
    source, registration = await get_registration(session, source_id)
    if source.status != "pending" or registration is None:
        raise WrongState(f"source {source_id!r} is not a pending registration")
    registration.requested_changes = changes
    _decide(registration, "changes_requested", actor)
    return await _audited(
        session, source, actor=actor, action="source.request_changes", changes=changes
    )


async def edit_source(
    session: AsyncSession,
    source: Source,
    *,
    actor: str,
    schedule: str | None = None,
    contact_email: str | None = None,
) -> Source:
    """Change a source's schedule and/or contact (``None`` leaves a value alone)."""
    changed: dict[str, Any] = {}
    if schedule is not None:
        schedule = _valid_schedule(schedule)
        if schedule != source.schedule:
            changed["schedule"] = {"from": source.schedule, "to": schedule}
            source.schedule = schedule
            await reschedule(session, source, utcnow())
    if contact_email is not None:
        email = check_email(contact_email)
        if email != source.contact_email:
            changed["contact_email"] = {"from": source.contact_email, "to": email}
            set_contact(source, await session.get(Registration, source.id), email, by=actor)
    if not changed:
        return source
    source.updated_at = utcnow()
    return await _audited(session, source, actor=actor, action="source.edit", **changed)
