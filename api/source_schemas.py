"""Request and response models of source registration and management."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harvester.preview import Preview
from harvester.store.registration_tables import Registration
from harvester.store.tables import Partner, Source

Kind = Literal["municipality", "ministry", "public_body", "civil_society", "other"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationBody(_Body):
    """``POST /api/v1/sources``: an organization registers its portal."""

    url: str = Field(min_length=1, max_length=2000, description="The portal's address.")
    name: str = Field(min_length=1, max_length=200, description="The organization's name.")
    kind: Kind
    contact_email: str = Field(min_length=3, max_length=254)
    platform: str | None = Field(
        default=None, max_length=32, description="ckan, socrata, …; recognized when omitted."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Connector options, e.g. {'organization': 'x'}."
    )


class ReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class ChangesBody(_Body):
    changes: str = Field(min_length=1, max_length=2000)


class ApproveBody(_Body):
    schedule: str | None = Field(default=None, max_length=100)


class SourcePatch(_Body):
    """``PATCH /api/v1/sources/{id}``: what an operator or the owning partner may change."""

    schedule: str | None = Field(default=None, max_length=100)
    contact_email: str | None = Field(default=None, max_length=254)


class SourcePublic(BaseModel):
    """A source as anyone may see it (no contact details)."""

    id: str
    url: str
    platform: str
    status: str
    partner: str | None
    partner_name: str | None
    partner_kind: str | None
    schedule: str | None
    datasets: int | None = None
    created_at: datetime


class RegistrationView(BaseModel):
    """A registration as its registrant (with the key) or an operator sees it."""

    source: SourcePublic
    state: str
    name: str
    kind: str
    contact_email: str
    preview: Preview | None
    reason: str | None = Field(description="Why it was rejected.")
    requested_changes: str | None
    decided_at: datetime | None


class Registered(BaseModel):
    """The answer to a registration: keep ``key``; ``status_url`` shows the decision."""

    source: SourcePublic
    state: str
    key: str = Field(description="Shown once: opens the registration's status and resubmission.")
    status_url: str
    preview: Preview
    message: str


class PendingSource(BaseModel):
    source: SourcePublic
    registration: RegistrationView | None
    contact_email: str | None


def source_public(
    source: Source, partner: Partner | None, datasets: int | None = None
) -> SourcePublic:
    return SourcePublic(
        id=source.id,
        url=source.url,
        platform=source.platform,
        status=source.status,
        partner=source.partner_id,
        partner_name=partner.name if partner else None,
        partner_kind=partner.kind if partner else None,
        schedule=source.schedule,
        datasets=datasets,
        created_at=source.created_at,
    )


def registration_view(
    source: Source, registration: Registration, partner: Partner | None
) -> RegistrationView:
    return RegistrationView(
        source=source_public(source, partner),
        state=registration.state,
        name=registration.name,
        kind=registration.kind,
        contact_email=registration.contact_email,
        preview=Preview.model_validate(registration.preview) if registration.preview else None,
        reason=registration.reason,
        requested_changes=registration.requested_changes,
        decided_at=registration.decided_at,
    )
