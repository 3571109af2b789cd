"""Federated dataset search and dataset pages (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Session
from api.problems import Problem
from api.schemas import DatasetDetail, DatasetSearchPage, dataset_detail, dataset_summary
from harvester.store.queries import get_dataset, get_source, search_datasets

router = APIRouter(prefix="/api/v1", tags=["datasets"])

MAX_LIMIT = 100


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/datasets", response_model=DatasetSearchPage)
async def search(
    request: Request,
    session: Session,
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description=(
                'Full text, French and English, accent-insensitive: words, "phrases", -exclusion, OR.'
            ),
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> DatasetSearchPage:
    """Search every harvested source at once; withdrawn datasets are left out."""
    page = await search_datasets(session, q, limit=limit, offset=offset)
    base = _base(request)
    following = offset + limit
    next_url = None
    if following < page.total:
        next_url = str(request.url.include_query_params(offset=following, limit=limit))
    return DatasetSearchPage(
        total=page.total,
        limit=limit,
        offset=offset,
        next=next_url,
        results=[dataset_summary(row, base) for row in page.datasets],
    )


@router.get("/datasets/{dataset_id}", response_model=DatasetDetail)
async def show(dataset_id: str, request: Request, session: Session) -> DatasetDetail:
    """One dataset, withdrawn ones included (with their status)."""
    row = await get_dataset(session, dataset_id)
    if row is None:
        raise Problem(404, f"no dataset with id {dataset_id!r}", title="Dataset not found")
    source = await get_source(session, row.source_id)
    return dataset_detail(
        row,
        _base(request),
        last_complete_harvest=source.last_complete_harvest_at if source else None,
    )
