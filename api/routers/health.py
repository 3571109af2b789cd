"""Liveness and database reachability."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

import sqlalchemy as sa
from fastapi import APIRouter, Response

from api.deps import Session
from api.schemas import Health

router = APIRouter(tags=["health"])


@cache
def _installed_version() -> str:
    """The installed package's version, read once (reading the distribution's metadata was
    most of a ``/health`` call's cost, which load balancers call every few seconds)."""
    return version("moisson")


@router.get("/health", response_model=Health)
async def health(session: Session, response: Response) -> Health:
    """Whether the service and its database answer."""
    try:
        await session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception:  # any database failure is reported, not raised
        database = "unreachable"
        response.status_code = 503
    return Health(
        status="ok" if database == "ok" else "degraded",
        database=database,
        version=_installed_version(),
    )
