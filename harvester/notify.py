"""Failure streaks, flags and the operator's webhook.

Every finished run updates its source's ``consecutive_failures`` (a failed or interrupted run
adds one, any other outcome resets it). When the streak reaches the threshold the source is
flagged (``flagged_at``) and a ``source.failing`` event is posted to the webhook; the first
run that does not fail afterwards clears the flag and posts ``source.recovered``. The
webhook goes through the SSRF-guarded client; its failures are logged, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from connectors.client import build_client
from harvester.store.tables import HarvestRun, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Transition:
    """A source crossing the failure threshold (``failing``) or coming back (``recovered``)."""

    event: str
    source_id: str
    consecutive_failures: int
    run_id: int | None
    message: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "event": f"source.{self.event}",
            "source_id": self.source_id,
            "consecutive_failures": self.consecutive_failures,
            "run_id": self.run_id,
            "message": self.message,
        }


async def record_outcome(
    session: AsyncSession,
    source_id: str,
    *,
    failed: bool,
    threshold: int,
    now: datetime,
    run: HarvestRun | None = None,
) -> Transition | None:
    """Update the source's streak and flag for one finished run; the caller commits."""
    source = await session.get(Source, source_id, with_for_update=True)
    if source is None:
        return None
    run_id = run.id if run else None
    if not failed:
        was_flagged = source.flagged_at is not None
        source.consecutive_failures = 0
        source.flagged_at = None
        session.add(source)
        return Transition("recovered", source_id, 0, run_id) if was_flagged else None
    source.consecutive_failures += 1
    transition = None
    if source.consecutive_failures >= threshold and source.flagged_at is None:
        source.flagged_at = now
        transition = Transition(
            "failing", source_id, source.consecutive_failures, run_id, run.message if run else None
        )
    session.add(source)
    return transition


async def send_webhook(
    url: str | None,
    transitions: Sequence[Transition],
    *,
    allow: Sequence[str] = (),
    client: httpx.AsyncClient | None = None,
) -> int:
    """POST each transition as JSON to ``url``; returns how many were delivered (2xx)."""
    if not url or not transitions:
        return 0
    own = client is None
    http = client if client is not None else build_client(allow=allow, timeout=10.0)
    delivered = 0
    try:
        for transition in transitions:
            try:
                response = await http.post(url, json=transition.payload())
                if response.is_success:
                    delivered += 1
                else:
                    log.warning("webhook %s answered %s", url, response.status_code)
            except Exception as error:  # the webhook must never break a harvest
                log.warning("webhook %s failed: %s", url, error)
    finally:
        if own:
            await http.aclose()
    return delivered


async def flagged_sources(session: AsyncSession) -> list[Source]:
    """Sources flagged as failing, longest first."""
    return list(
        (
            await session.scalars(
                sa.select(Source)
                .where(col(Source.flagged_at).is_not(None))
                .order_by(col(Source.flagged_at))
            )
        ).all()
    )
