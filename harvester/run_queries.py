"""Read queries about runs for the API and the CLI: errors grouped by cause."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.store.tables import HarvestError

EXAMPLES = 5


@dataclass(slots=True)
class ErrorGroup:
    """Errors of one cause: same kind and same message once the record id is masked."""

    kind: str
    message: str
    count: int = 0
    remote_ids: list[str] = field(default_factory=list)
    url: str | None = None
    detail: str | None = None


def _cause(message: str, remote_id: str | None) -> str:
    if remote_id and remote_id in message:
        return message.replace(remote_id, "{id}")
    return message


async def grouped_errors(session: AsyncSession, run_id: int, limit: int = 50) -> list[ErrorGroup]:
    """The run's errors grouped by cause, most frequent first, with example record ids."""
    rows = await session.execute(
        sa.select(
            col(HarvestError.kind),
            col(HarvestError.message),
            col(HarvestError.remote_id),
            col(HarvestError.url),
            col(HarvestError.detail),
        )
        .where(col(HarvestError.run_id) == run_id)
        .order_by(col(HarvestError.id))
    )
    groups: dict[tuple[str, str], ErrorGroup] = {}
    for kind, message, remote_id, url, detail in rows.all():
        cause = _cause(message, remote_id)
        group = groups.setdefault((kind, cause), ErrorGroup(kind, cause, url=url, detail=detail))
        group.count += 1
        if remote_id and len(group.remote_ids) < EXAMPLES:
            group.remote_ids.append(remote_id)
    ordered = sorted(groups.values(), key=lambda g: -g.count)
    return ordered[:limit]
