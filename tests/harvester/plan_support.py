"""The plan a database chooses for a statement as the driver runs it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


async def plan_lines(
    connection: AsyncConnection, statement: str, parameters: Sequence[Any]
) -> list[str]:
    """The plan of driver SQL ``statement`` with its positional ``parameters``: SQLite's
    ``EXPLAIN QUERY PLAN`` details, or PostgreSQL's ``EXPLAIN`` with sequential scans
    turned off for this transaction (so a table that is small in a test is still read
    through an index wherever one serves)."""
    if connection.dialect.name == "sqlite":
        rows = await connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, tuple(parameters)
        )
    else:
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = await connection.exec_driver_sql("EXPLAIN " + statement, tuple(parameters))
    return [str(row[-1]) for row in rows]
