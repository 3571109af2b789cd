"""Tables behind the action-plan indicators: per-dataset quality and daily snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from harvester.store.types import JSONDocument, UTCDateTime, utcnow


class DatasetQuality(SQLModel, table=True):
    """What the indicators need about one dataset, computed from its record."""

    __tablename__ = "dataset_quality"
    __table_args__ = (  # the listing's order and the periods' ranges (migrations 0013, 0016)
        sa.Index("ix_dataset_quality_published_order", sa.text("published DESC"), "dataset_pk"),
    )

    dataset_pk: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("dataset.pk", ondelete="CASCADE"), primary_key=True
        )
    )
    published: date
    published_month: str = Field(max_length=7, index=True)
    conforms: bool
    failed_rules: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    verdicts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    is_csv: bool = False
    csv_api: bool = False
    hvd: bool = False
    hvd_categories: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    rules_version: int
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PartnershipSnapshot(SQLModel, table=True):
    """The indicator figures as they stood on one day."""

    __tablename__ = "partnership_snapshot"

    day: date = Field(primary_key=True)
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
