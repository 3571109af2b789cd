"""Per-transaction planner settings for search statements on PostgreSQL.

asyncpg prepares every statement once per connection, and after five executions PostgreSQL
may switch a prepared statement to a *generic plan*, planned without the parameter values.
Search statements share their text across queries, and a full-text condition's
selectivity is only known from its tsquery: a generic plan estimated for an "average" term
sorts every match of a very common one (200 k datasets: the facet sample of "données" went
from 15 ms to 295 ms). Search transactions therefore plan each statement with its values.
JIT compilation is off too: search statements are short, and at 1 M datasets the
estimated costs of some pass ``jit_above_cost``, which adds compilation time to every call.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

_SETTINGS = sa.text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('jit', 'off', true)"
)


async def plan_for_values(session: AsyncSession) -> None:
    """Until the end of the current transaction, plan statements with their parameter
    values and without JIT (PostgreSQL; no-op elsewhere)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_SETTINGS)
