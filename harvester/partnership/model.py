"""The shape of the indicator figures (also the API's response models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["met", "on_track", "off_track", "missed", "no_target", "no_data"]


class Progress(BaseModel):
    """Where a figure stands against its goal: ``expected`` is where a straight line from the
    baseline to the goal at the deadline would be on the "as of" day."""

    status: Status
    target: float | None = None
    deadline: date | None = None
    expected: float | None = None


class PartnerRef(BaseModel):
    id: str
    name: str
    joined_at: date | None = None


class KindFigure(BaseModel):
    """Partners of one kind against ``all = true`` or ``additional = N``."""

    kind: str
    partners: int = Field(description="Partners of this kind that joined by the 'as of' day.")
    at_baseline: int
    additional: int = Field(description="Joined after the baseline.")
    publishing: int = Field(description="With at least one visible dataset.")
    not_publishing: list[PartnerRef]
    goal: Literal["all", "additional"] | None = None
    progress: Progress
    datasets: str = Field(description="Link to the visible datasets of this kind.")


class Count(BaseModel):
    key: str
    label: str | None = None
    count: int
    datasets: str


class NewDatasets(BaseModel):
    count: int
    progress: Progress
    by_partner: list[Count]
    by_month: list[Count]
    by_partner_month: list[Count] = Field(description="key is 'partner/YYYY-MM'.")
    datasets: str


class Share(BaseModel):
    """``count`` of ``of`` new datasets meet the criterion."""

    count: int
    of: int
    share: float | None
    progress: Progress
    datasets: str = Field(description="Link to the datasets that meet the criterion.")
    population: str = Field(description="Link to every dataset in the denominator.")
    failing: str = Field(description="Link to the datasets that do not meet it.")


class ConformityShare(Share):
    by_rule: list[Count] = Field(description="New datasets failing each rule.")


class HvdFigure(BaseModel):
    datasets: int
    categories: list[Count]
    covered: int = Field(description="High-value categories with at least one dataset.")
    of: int
    link: str


class Figures(BaseModel):
    """Every indicator of the action plan on one day."""

    as_of: date
    baseline: date
    partners: list[KindFigure]
    new_datasets: NewDatasets
    conformity: ConformityShare
    csv_api: Share
    hvd: HvdFigure
    datasets_without_quality: int = Field(
        0, description="Visible datasets not yet checked (counted nowhere)."
    )
    exact: bool = Field(
        True,
        description="False while a harvest is writing: the figures are those stored when "
        "the catalogue was last counted (at ``counted_at``), recounted when the run closes.",
    )
    counted_at: datetime | None = Field(
        None, description="When the figures served while not exact were counted."
    )


class PartnerConformity(BaseModel):
    """One partner against the publication guidelines."""

    partner: PartnerRef
    kind: str
    datasets: int
    conforming: int
    share: float | None
    new_datasets: int
    new_conforming: int
    failing: list[Count]
    link: str


class HistoryPoint(BaseModel):
    day: date
    partners_additional: dict[str, int]
    ministries_publishing: int | None = None
    new_datasets: int
    conformity_share: float | None
    csv_api_share: float | None
    hvd_datasets: int
