"""Tables read through a named index on SQLite (``INDEXED BY``); a plain alias elsewhere.

SQLite plans without knowing how many rows a condition keeps, and sometimes sorts every
match where walking an index in the wanted order would stop after a page. Each subclass of
:class:`IndexedBy` names the index its alias is read through.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Alias


class IndexedBy(Alias):
    """An alias that SQLite reads through :attr:`index`."""

    inherit_cache = True
    index: ClassVar[str]

    @classmethod
    def of(cls, table: sa.Table, name: str) -> IndexedBy:
        """``table`` as ``name``, read through :attr:`index` on SQLite."""
        return cls._construct(table, name=name)


@compiles(IndexedBy, "sqlite")
def _indexed_by(element: IndexedBy, compiler: Any, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)
    return f"{text} INDEXED BY {element.index}" if kw.get("asfrom") else text


class QualityPublishedOrder(IndexedBy):
    """``dataset_quality`` newest publication first (migration 0013)."""

    inherit_cache = True
    index = "ix_dataset_quality_published_order"


class VisibleNewestFirst(IndexedBy):
    """Visible datasets, most recently modified first (migration 0007)."""

    inherit_cache = True
    index = "ix_dataset_visible_modified"
