"""When sources are due: schedule arithmetic, the due list and the claim that starts them.

A schedule is an interval (``"6h"``, ``"1d"``; the default is daily) or a 5-field cron
expression (UTC). Intervals are *staggered*: a source fires at ``k × interval + offset``
where the offset is a hash of its id, so a thousand daily sources spread over the day instead
of starting together at midnight. Cron expressions fire when they say.

``source.next_harvest_at`` holds the due time. :func:`claim` moves it to the next fire time
with a compare-and-set ``UPDATE … WHERE next_harvest_at <= now``: whoever's update changes
the row — one scheduler, one of several workers — starts the run; the others see no row.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from harvester.config_model import DEFAULT_SCHEDULE, parse_interval, validate_schedule
from harvester.store.tables import HarvestRun, Source

_DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def stagger(source_id: str, interval: timedelta) -> float:
    """A stable offset in ``[0, interval)`` seconds for this source."""
    seconds = max(int(interval.total_seconds()), 1)
    digest = int.from_bytes(hashlib.sha256(source_id.encode()).digest()[:8], "big")
    return float(digest % seconds)


def _days(field: str) -> str:
    """Cron's day-of-week field (0 or 7 = Sunday) as the explicit day names APScheduler
    reads unambiguously (its numbers start on Monday)."""
    numbers = {name: index for index, name in enumerate(_DAY_NAMES)}

    def value(token: str) -> int:
        return (int(token) if token.isdigit() else numbers[token.lower()[:3]]) % 7

    chosen: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            start, dash, end = span.partition("-")
            first = value(start)
            last = (int(end) if end.isdigit() else value(end)) if dash else first
            if dash and end.isdigit() and int(end) == 7:
                last = 7
        chosen.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(chosen))


def cron_trigger(expression: str) -> CronTrigger:
    """An APScheduler trigger (UTC) for a 5-field crontab expression."""
    minute, hour, day, month, day_of_week = validate_schedule(expression).split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_days(day_of_week) if day_of_week != "*" else "*",
        timezone=UTC,
    )


def next_fire(schedule: str | None, source_id: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` when this source's schedule fires."""
    text = effective(schedule)
    interval = parse_interval(text)
    if interval is not None:
        step = interval.total_seconds()
        offset = stagger(source_id, interval)
        k = math.floor((after.timestamp() - offset) / step) + 1
        return datetime.fromtimestamp(k * step + offset, UTC)
    fire = cron_trigger(text).get_next_fire_time(None, after + timedelta(microseconds=1))
    assert fire is not None
    return fire.astimezone(UTC)


def _runnable() -> list[sa.ColumnElement[bool]]:
    return [col(Source.status) == "approved", col(Source.paused).is_(False)]


async def initialize(session: AsyncSession, now: datetime) -> int:
    """Give runnable sources without a due time one: now for a source never harvested, else
    the schedule's next fire after its last run. The caller commits."""
    rows = (
        await session.execute(
            sa.select(col(Source.id), col(Source.schedule), sa.func.max(col(HarvestRun.started_at)))
            .outerjoin(HarvestRun, col(HarvestRun.source_id) == col(Source.id))
            .where(col(Source.next_harvest_at).is_(None), *_runnable())
            .group_by(col(Source.id), col(Source.schedule))
        )
    ).all()
    for source_id, schedule, last in rows:
        due = now if last is None else next_fire(schedule, source_id, last)
        await session.execute(
            sa.update(Source)
            .where(col(Source.id) == source_id, col(Source.next_harvest_at).is_(None))
            .values(next_harvest_at=due)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def due_sources(session: AsyncSession, now: datetime, limit: int = 1000) -> list[str]:
    """Ids of runnable sources due at ``now``, longest overdue first."""
    await initialize(session, now)
    return list(
        (
            await session.scalars(
                sa.select(col(Source.id))
                .where(col(Source.next_harvest_at) <= now, *_runnable())
                .order_by(col(Source.next_harvest_at), col(Source.id))
                .limit(limit)
            )
        ).all()
    )


async def claim(session: AsyncSession, source_id: str, now: datetime) -> bool:
    """Move a due source's ``next_harvest_at`` past ``now``; True for the one caller whose
    update won. The caller commits before starting the run."""
    source = await session.get(Source, source_id)
    if source is None:
        return False
    following = next_fire(source.schedule, source_id, now)
    result = await session.execute(
        sa.update(Source)
        .where(
            col(Source.id) == source_id,
            col(Source.next_harvest_at) <= now,
            *_runnable(),
        )
        .values(next_harvest_at=following)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def reschedule(session: AsyncSession, source: Source, now: datetime) -> None:
    """Recompute a source's due time after its schedule changed (the caller commits)."""
    source.next_harvest_at = next_fire(source.schedule, source.id, now)
    session.add(source)


def effective(schedule: str | None) -> str:
    """The schedule a source follows: its own, else the default."""
    return (schedule or DEFAULT_SCHEDULE).strip()


async def follow_change(
    session: AsyncSession, source: Source, before: str | None, now: datetime
) -> None:
    """:func:`reschedule` a source whose schedule is no longer ``before``, if it has a due
    time (one without gets it from :func:`initialize`, after the new schedule)."""
    if source.next_harvest_at is not None and effective(source.schedule) != effective(before):
        await reschedule(session, source, now)
