"""Liveness and database reachability."""

from __future__ import annotations

from importlib.metadata import version

import sqlalchemy as sa
from fastapi import APIRouter, Response

from api.deps import Session
from api.schemas import Health

router = APIRouter(tags=["health"])


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
        version=version("moisson"),
    )
