"""``column IN (values)`` bound as one parameter, for a harvest batch's reads by key.

SQLAlchemy's ``in_`` binds a list as an "expanding" parameter: each execution renders one
placeholder per value into the cached statement (on PostgreSQL with a cast each:
``$2::VARCHAR, $3::VARCHAR, …``), ~3–4 ms of the harvesting process's CPU for a batch of
500 remote ids, several times per batch. :func:`among` binds the values as one array
(PostgreSQL: ``column = ANY($1::VARCHAR[])``, what the server makes of an ``IN`` list) or
one JSON array read by ``json_each`` (SQLite: ``column IN (SELECT value FROM
json_each(?))``, which the planner reads as a list of keys to look up in the column's
index). The statement text is then the same for every batch, so it is compiled once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def among(column: sa.ColumnElement[Any], values: Collection[Any], dialect: str) -> Any:
    """``column IN values`` on ``dialect`` (``sqlite`` or ``postgresql``), ``values`` bound
    as one parameter: strings or integers, as ``column`` holds them."""
    if dialect == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    listed = sa.func.json_each(sa.bindparam(None, orjson.dumps(list(values)).decode()))
    return column.in_(sa.select(listed.table_valued("value").c.value))
