"""Prometheus metrics: this process's harvest counters plus per-source gauges from the DB."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import Session
from harvester.metrics import REGISTRY, refresh_source_gauges

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(session: Session) -> Response:
    """Prometheus text exposition format."""
    await refresh_source_gauges(session)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
