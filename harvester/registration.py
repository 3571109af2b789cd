"""Registering a portal (the operator's decisions are in :mod:`harvester.decisions`).

``register`` checks the request, refuses duplicates, runs the preview (no DB writes while
the portal is contacted) and creates a *pending* source with its ``registration`` row; no
partner is created before approval. The registrant gets a secret key (stored hashed) to
follow the registration and to resubmit it when changes are asked. Functions flush; the
caller commits.

Errors carry their HTTP status and the request field they are about::

    RegistrationError
     ├── InvalidRegistration   422  bad URL (SSRF guard), platform, options, email…
     ├── DuplicatePortal       409  the portal is already a source (``existing``)
     ├── WrongState            409  e.g. approving an approved source
     ├── BadKey                403  wrong registration key
     └── UnknownSource         404
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog.model import PartnerKind
from connectors.errors import UnknownPlatform
from connectors.registry import get_connector
from harvester.audit import record_event
from harvester.partners import find_partner, slugify
from harvester.preview import PlatformNotRecognized, Preview, PreviewRefused, preview
from harvester.sources import SourceRejected, check_options, check_url
from harvester.store.registration_tables import Registration
from harvester.store.tables import Source
from harvester.store.types import utcnow

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")
_API_SUFFIXES = ("/api/3/action", "/api/action", "/api/3", "/api")
OPEN_STATES = ("pending", "changes_requested")
KEY_PREFIX = "reg_"


class RegistrationError(Exception):
    """A registration or decision refused; ``field`` names the request field at fault."""

    status = 422
    title = "Registration refused"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class InvalidRegistration(RegistrationError):
    status = 422


class DuplicatePortal(RegistrationError):
    status = 409
    title = "Portal already registered"


class WrongState(RegistrationError):
    status = 409
    title = "Not possible in this state"


class BadKey(RegistrationError):
    status = 403
    title = "Wrong registration key"


class UnknownSource(RegistrationError):
    status = 404
    title = "Source not found"


@dataclass(slots=True)
class RegistrationRequest:
    """What an organization submits (DESIGN §6b)."""

    url: str
    name: str
    kind: str
    contact_email: str
    platform: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Registered:
    """A new pending source, its registration, the preview and the registrant's key."""

    source: Source
    registration: Registration
    preview: Preview
    key: str


# --- checks --------------------------------------------------------------------------------


def portal_key(url: str) -> str:
    """What identifies a portal whatever the spelling: host without ``www.``, port, path
    without a trailing slash or a CKAN API suffix, query; the scheme is ignored."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    path = parts.path.rstrip("/")
    for suffix in _API_SUFFIXES:
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
            break
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{path.rstrip('/')}{query}"


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidRegistration(f"{email!r} is not an email address", field="contact_email")
    return email


def check_request(request: RegistrationRequest, allow: Sequence[str]) -> RegistrationRequest:
    """The request with its values cleaned; ``InvalidRegistration`` names the bad field."""
    try:
        url = check_url(request.url, allow)
    except SourceRejected as error:
        raise InvalidRegistration(str(error), field="url") from None
    name = " ".join(request.name.split())
    if not name:
        raise InvalidRegistration("the organization name is empty", field="name")
    try:
        kind = PartnerKind(request.kind).value
    except ValueError:
        valid = ", ".join(k.value for k in PartnerKind)
        raise InvalidRegistration(
            f"unknown kind {request.kind!r} (valid: {valid})", field="kind"
        ) from None
    platform = request.platform if request.platform not in (None, "", "auto") else None
    if platform is not None:
        try:
            get_connector(platform)
        except (UnknownPlatform, LookupError) as error:
            raise InvalidRegistration(str(error), field="platform") from None
    return RegistrationRequest(
        url, name, kind, check_email(request.contact_email), platform, dict(request.options)
    )


async def find_duplicate(
    session: AsyncSession, url: str, options: dict[str, Any], *, except_id: str | None = None
) -> Source | None:
    """A source (not rejected) harvesting the same portal. Several sources may share a portal
    only with distinct, non-empty options (e.g. one CKAN organization each)."""
    wanted = portal_key(url)
    statement = sa.select(Source).where(col(Source.status) != "rejected").order_by(Source.id)
    for source in (await session.scalars(statement)).all():
        if source.id == except_id or portal_key(source.url) != wanted:
            continue
        if not options or not source.options or source.options == options:
            return source
    return None


async def _refuse_duplicate(
    session: AsyncSession, url: str, options: dict[str, Any], except_id: str | None = None
) -> None:
    duplicate = await find_duplicate(session, url, options, except_id=except_id)
    if duplicate is not None:
        raise DuplicatePortal(
            f"{url} is already registered as source {duplicate.id!r}",
            field="url",
            existing_source=duplicate.id,
        )


async def _preview(
    request: RegistrationRequest, client: httpx.AsyncClient, time_limit: float
) -> tuple[Preview, dict[str, Any]]:
    try:
        found = await preview(
            request.url,
            client,
            platform=request.platform,
            options=request.options,
            time_limit=time_limit,
        )
    except (PreviewRefused, PlatformNotRecognized) as error:
        raise InvalidRegistration(str(error), field="url") from None
    except SourceRejected as error:
        raise InvalidRegistration(str(error), field="options") from None
    return found, check_options(found.platform, request.options)


# --- registering ---------------------------------------------------------------------------


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def _free_source_id(session: AsyncSession, base: str) -> str:
    candidate, number = base or "source", 1
    while await session.get(Source, candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


async def register(
    session: AsyncSession,
    request: RegistrationRequest,
    *,
    client: httpx.AsyncClient,
    allow: Sequence[str] = (),
    time_limit: float = 30.0,
) -> Registered:
    """Check, preview and create a pending source (see the module docstring)."""
    request = check_request(request, allow)
    await _refuse_duplicate(session, request.url, request.options)
    found, options = await _preview(request, client, time_limit)
    await _refuse_duplicate(session, request.url, options)  # registered meanwhile?
    partner = await find_partner(session, request.name, request.kind)
    source = Source(
        id=await _free_source_id(session, slugify(request.name)),
        partner_id=partner.id if partner else None,
        url=request.url,
        platform=found.platform,
        options=options,
        status="pending",
        origin="registration",
        contact_email=request.contact_email,
    )
    session.add(source)
    await session.flush()
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    registration = Registration(
        source_id=source.id,
        name=request.name,
        kind=request.kind,
        contact_email=request.contact_email,
        contact_history=[{"email": request.contact_email, "at": utcnow().isoformat()}],
        key_hash=_hash(key),
        preview=found.model_dump(mode="json"),
    )
    session.add(registration)
    await session.flush()
    return Registered(source, registration, found, key)


async def resubmit(
    session: AsyncSession,
    source_id: str,
    key: str,
    request: RegistrationRequest,
    *,
    client: httpx.AsyncClient,
    allow: Sequence[str] = (),
    time_limit: float = 30.0,
) -> tuple[Source, Registration]:
    """The registrant's corrected registration (allowed while it is open): previewed again,
    back to ``pending``."""
    source, registration = await registration_for(session, source_id, key)
    if registration.state not in OPEN_STATES:
        raise WrongState(f"this registration is {registration.state}; it cannot be changed")
    request = check_request(request, allow)
    await _refuse_duplicate(session, request.url, request.options, source.id)
    found, options = await _preview(request, client, time_limit)
    source.url, source.platform, source.options = request.url, found.platform, options
    source.updated_at = utcnow()
    set_contact(source, registration, request.contact_email, by="registrant")
    registration.name, registration.kind = request.name, request.kind
    registration.preview = found.model_dump(mode="json")
    registration.state = "pending"
    registration.updated_at = utcnow()
    record_event(
        session,
        actor=f"registrant:{source.id}",
        action="registration.resubmit",
        target_type="source",
        target_id=source.id,
        url=source.url,
    )
    await session.flush()
    return source, registration


async def registration_for(
    session: AsyncSession, source_id: str, key: str | None
) -> tuple[Source, Registration]:
    """The source and registration ``key`` opens; ``BadKey`` when it does not."""
    source, registration = await get_registration(session, source_id)
    if (
        registration is None
        or not key
        or not hmac.compare_digest(_hash(key), registration.key_hash)
    ):
        raise BadKey("this key does not open this registration")
    return source, registration


async def get_registration(
    session: AsyncSession, source_id: str
) -> tuple[Source, Registration | None]:
    source = await session.get(Source, source_id)
    if source is None:
        raise UnknownSource(f"no source with id {source_id!r}")
    return source, await session.get(Registration, source_id)


def set_contact(source: Source, registration: Registration | None, email: str, by: str) -> None:
    source.contact_email = email
    if registration is not None and registration.contact_email != email:
        registration.contact_email = email
        history = [
            *registration.contact_history,
            {"email": email, "at": utcnow().isoformat(), "by": by},
        ]
        registration.contact_history = history
