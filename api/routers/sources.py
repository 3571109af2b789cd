"""Sources: open registration (rate-limited), the public list, the operator's decisions and
edits by the operator or the owning partner (DESIGN §6, §6b, §9)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from api.auth import Operator, SourceAccess, optional_principal
from api.deps import Session
from api.problems import PROBLEM_BASE, problem_response
from api.registration_limit import registration_limit
from api.source_schemas import (
    ApproveBody,
    ChangesBody,
    PendingSource,
    ReasonBody,
    Registered,
    RegistrationBody,
    RegistrationView,
    SourcePatch,
    SourcePublic,
    registration_view,
    source_public,
)
from connectors.client import build_client
from harvester import decisions
from harvester import registration as service
from harvester.store.queries import list_sources
from harvester.store.tables import Partner, Source
from harvester.tokens import Principal

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])

PUBLIC_STATUSES = ("approved", "paused")


async def preview_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """The SSRF-guarded client previews use (``app.state.preview_client_factory`` replaces
    it, e.g. with an ``httpx.MockTransport`` in tests)."""
    settings = request.app.state.settings
    factory = getattr(request.app.state, "preview_client_factory", None)
    client = (
        factory()
        if factory
        else build_client(allow=settings.ssrf_allow, timeout=settings.http_timeout)
    )
    async with client:
        yield client


PreviewClient = Annotated[httpx.AsyncClient, Depends(preview_client)]
Key = Annotated[
    str | None,
    Query(description="The registration key returned at registration."),
]


def _request(body: RegistrationBody) -> service.RegistrationRequest:
    return service.RegistrationRequest(
        url=body.url,
        name=body.name,
        kind=body.kind,
        contact_email=body.contact_email,
        platform=body.platform,
        options=body.options,
    )


def _status_url(request: Request, source_id: str, key: str) -> str:
    url = request.url_for("registration_status", source_id=source_id)
    return str(url.include_query_params(key=key))


@router.post(
    "",
    status_code=201,
    response_model=Registered,
    dependencies=[Depends(registration_limit)],
)
async def register(
    body: RegistrationBody,
    request: Request,
    response: Response,
    session: Session,
    client: PreviewClient,
) -> Registered:
    """Register a portal: checked, recognized, previewed (first page, at most 20 datasets,
    nothing indexed) and created **pending** until an operator decides. No token needed."""
    settings = request.app.state.settings
    done = await service.register(
        session,
        _request(body),
        client=client,
        allow=settings.ssrf_allow,
        time_limit=settings.preview_time_limit,
    )
    await session.commit()
    partner = await session.get(Partner, done.source.partner_id) if done.source.partner_id else None
    status_url = _status_url(request, done.source.id, done.key)
    response.headers["Location"] = status_url
    return Registered(
        source=source_public(done.source, partner),
        state=done.registration.state,
        key=done.key,
        status_url=status_url,
        preview=done.preview,
        message=(
            f"{done.preview.summary} Your registration is pending: an operator will review it."
            " Keep the key; the status address shows the decision."
        ),
    )


@router.get("", response_model=list[SourcePublic])
async def list_public(
    session: Session,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    status: Annotated[
        str | None, Query(description="Operators only: any status (pending, rejected…).")
    ] = None,
) -> list[SourcePublic]:
    """Approved and paused sources (operators may ask for another ``status``)."""
    wanted: tuple[str, ...] = PUBLIC_STATUSES
    if status is not None and principal is not None and principal.role == "operator":
        wanted = (status,)
    return [
        source_public(source, partner, count)
        for source, partner, count in await list_sources(session)
        if source.status in wanted
    ]


@router.get("/pending", response_model=list[PendingSource])
async def pending(session: Session, _: Operator) -> list[PendingSource]:
    """Sources waiting for a decision, with their preview (operators)."""
    return [
        PendingSource(
            source=source_public(source, partner),
            registration=registration_view(source, reg, partner) if reg else None,
            contact_email=source.contact_email,
        )
        for source, reg, partner in await decisions.pending_sources(session)
    ]


async def _partner(session: Session, source: Source) -> Partner | None:
    return await session.get(Partner, source.partner_id) if source.partner_id else None


@router.get("/{source_id}", response_model=SourcePublic)
async def show(source_id: str, session: Session) -> SourcePublic:
    """One source's public fields (whatever its status; never its contact)."""
    source = await session.get(Source, source_id)
    if source is None:
        raise service.UnknownSource(f"no source with id {source_id!r}")
    return source_public(source, await _partner(session, source))


@router.get("/{source_id}/registration", response_model=RegistrationView)
async def registration_status(
    source_id: str,
    session: Session,
    key: Key = None,
    x_registration_key: Annotated[str | None, Header()] = None,
) -> RegistrationView:
    """A registration's state, preview, rejection reason or requested changes — for the
    registrant, with the key returned at registration."""
    source, reg = await service.registration_for(session, source_id, key or x_registration_key)
    return registration_view(source, reg, await _partner(session, source))


@router.put("/{source_id}/registration", response_model=RegistrationView)
async def resubmit(
    source_id: str,
    body: RegistrationBody,
    request: Request,
    session: Session,
    client: PreviewClient,
    key: Key = None,
    x_registration_key: Annotated[str | None, Header()] = None,
) -> RegistrationView:
    """The registrant's corrected registration (while pending or when changes were asked)."""
    settings = request.app.state.settings
    source, reg = await service.resubmit(
        session,
        source_id,
        key or x_registration_key or "",
        _request(body),
        client=client,
        allow=settings.ssrf_allow,
        time_limit=settings.preview_time_limit,
    )
    await session.commit()
    return registration_view(source, reg, await _partner(session, source))


@router.post("/{source_id}/approve", response_model=SourcePublic)
async def approve(
    source_id: str, session: Session, principal: Operator, body: ApproveBody | None = None
) -> SourcePublic:
    """Approve a pending source: its partner joins (if new) and it is scheduled."""
    source = await decisions.approve(
        session, source_id, actor=principal.actor, schedule=body.schedule if body else None
    )
    await session.commit()
    return source_public(source, await _partner(session, source))


@router.post("/{source_id}/reject", response_model=SourcePublic)
async def reject(
    source_id: str, body: ReasonBody, session: Session, principal: Operator
) -> SourcePublic:
    """Reject a pending source; the registrant sees the reason."""
    source = await decisions.reject(session, source_id, actor=principal.actor, reason=body.reason)
    await session.commit()
    return source_public(source, await _partner(session, source))


@router.post("/{source_id}/request-changes", response_model=SourcePublic)
async def request_changes(
    source_id: str, body: ChangesBody, session: Session, principal: Operator
) -> SourcePublic:
    """Ask the registrant for changes; they resubmit with their key."""
    source = await decisions.request_changes(
        session, source_id, actor=principal.actor, changes=body.changes
    )
    await session.commit()
    return source_public(source, await _partner(session, source))


@router.patch("/{source_id}", response_model=SourcePublic)
async def edit(body: SourcePatch, session: Session, access: SourceAccess) -> SourcePublic:
    """Change the schedule or the contact (operators, or the partner owning the source)."""
    principal, source = access
    source = await decisions.edit_source(
        session,
        source,
        actor=principal.actor,
        schedule=body.schedule,
        contact_email=body.contact_email,
    )
    await session.commit()
    return source_public(source, await _partner(session, source))


async def _registration_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, service.RegistrationError)
    extra = dict(error.extra)
    if error.field:
        extra["errors"] = [{"location": f"body.{error.field}", "message": error.message}]
    if "existing_source" in extra:
        extra["existing"] = f"/api/v1/sources/{extra['existing_source']}"
    return problem_response(
        error.status,
        error.message,
        title=error.title,
        type_=PROBLEM_BASE + type(error).__name__.lower(),
        **extra,
    )


def install(app: FastAPI) -> None:
    """Include the router and turn registration errors into problem details."""
    app.include_router(router)
    app.add_exception_handler(service.RegistrationError, _registration_error)
