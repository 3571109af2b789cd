"""Response models of the partnership endpoints (the figures' own models live in
:mod:`harvester.partnership.model`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class CountedDataset(BaseModel):
    """A dataset a figure counts, with what the figure looked at."""

    id: str
    title: str
    source: str
    partner: str | None
    published: date
    conforms: bool
    failed_rules: list[str]
    is_csv: bool
    csv_api: bool
    hvd_categories: list[str]
    link: str
    conformity: str


class CountedPage(BaseModel):
    total: int
    limit: int
    offset: int | None
    """The rows skipped; None on a page asked by ``cursor``."""
    filters: dict[str, str]
    results: list[CountedDataset]
    next: str | None
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page (what ``next`` does); None on the last page."""


class RuleVerdict(BaseModel):
    rule: str
    text: str
    result: str


class DatasetConformity(BaseModel):
    id: str
    title: str
    conforms: bool | None
    checked_at: datetime | None
    rules: list[RuleVerdict]


class Guideline(BaseModel):
    rule: str
    text: str


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
