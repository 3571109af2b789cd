"""Who publishes what: publishers with their dataset counts, and catalogue statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import Session
from harvester.store.queries import facet_totals, visible_count

router = APIRouter(prefix="/api/v1", tags=["publishers"])


class Publisher(BaseModel):
    name: str
    datasets: int


class Count(BaseModel):
    value: str
    count: int


class Stats(BaseModel):
    datasets: int = Field(description="Visible (not withdrawn) datasets.")
    withdrawn: int
    by_partner_kind: list[Count]
    by_partner: list[Count]
    by_source: list[Count]
    by_format: list[Count]
    by_licence: list[Count]
    exact: bool = Field(
        True,
        description="False while harvests write: the by_* counts are those stored when the "
        "last run closed (as search's facets_exact); datasets and withdrawn are always exact.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "datasets": 1200,
                    "withdrawn": 3,
                    "by_partner_kind": [{"value": "municipality", "count": 800}],
                    "by_partner": [{"value": "ville-quebec", "count": 500}],
                    "by_source": [{"value": "ville-quebec-ckan", "count": 500}],
                    "by_format": [{"value": "CSV", "count": 900}],
                    "by_licence": [{"value": "CC-BY-4.0", "count": 700}],
                    "exact": True,
                }
            ]
        }
    }


@router.get("/publishers", response_model=list[Publisher])
async def publishers(
    session: Session, limit: Annotated[int, Query(ge=1, le=5000)] = 1000
) -> list[Publisher]:
    """Publishers of visible datasets, most prolific first."""
    counts, _ = await facet_totals(session, ["publisher"], limit=limit)
    return [Publisher(name=name, datasets=n) for name, n in counts["publisher"]]


@router.get("/stats", response_model=Stats)
async def stats(session: Session) -> Stats:
    """Visible datasets counted by partner kind, partner, source, format and licence."""
    visible, withdrawn = await visible_count(session)
    names = ["partner_kind", "partner", "source", "format", "licence"]
    counts, exact = await facet_totals(session, names, stale=True)

    def listed(name: str) -> list[Count]:
        return [Count(value=v, count=n) for v, n in counts[name]]

    return Stats(
        datasets=visible,
        withdrawn=withdrawn,
        by_partner_kind=listed("partner_kind"),
        by_partner=listed("partner"),
        by_source=listed("source"),
        by_format=listed("format"),
        by_licence=listed("licence"),
        exact=exact,
    )
