"""The ``registration`` table: what a registrant submitted and what the operator decided.

The ``source`` row belongs to the harvest engine; everything about a registration (the
preview, the contact history, the decision and its reason) lives here, keyed by source id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from harvester.store.types import JSONDocument, UTCDateTime, utcnow


class Registration(SQLModel, table=True):
    """One registered portal, from submission to decision."""

    source_id: str = Field(primary_key=True, foreign_key="source.id", max_length=100)
    name: str
    kind: str = Field(max_length=32)
    contact_email: str
    contact_history: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONDocument)
    key_hash: str = Field(max_length=64)
    state: str = Field(default="pending", max_length=24, index=True)
    preview: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    reason: str | None = None
    requested_changes: str | None = None
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
