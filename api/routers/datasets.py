"""Federated dataset search and dataset pages (JSON; DCAT-AP by content negotiation)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.caching import etag, is_fresh, not_modified, validators
from api.dcat import dataset_rdf_response
from api.deps import Session
from api.negotiation import JSON, RDF_MEDIA_TYPES, rdf_format
from api.problems import Problem, bad_parameter
from api.schemas import DatasetDetail, DatasetSearchPage, dataset_detail
from api.search_page import search_page
from api.search_params import SEARCH_PARAMETERS, search_request
from harvester.search.cursor import CursorError
from harvester.search.engine import SearchRequest, load_summary_rows, search_rows
from harvester.search.highlight import query_stems
from harvester.search.version import catalog_version
from harvester.store.queries import get_dataset, get_source

router = APIRouter(prefix="/api/v1", tags=["datasets"])

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter is malformed (problem+json naming it)."},
    404: {"description": "No such dataset (problem+json)."},
    429: {"description": "Too many anonymous requests; see Retry-After."},
}


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(
    "/datasets",
    response_model=DatasetSearchPage,
    responses={400: PROBLEM_RESPONSES[400], 429: PROBLEM_RESPONSES[429]},
    openapi_extra=SEARCH_PARAMETERS,
)
async def search_datasets(request: Request) -> Response:
    """Search every harvested source at once; withdrawn datasets are left out.

    Filters with several values match any of them; different filters all apply. Pages are
    keyset-paginated: follow `next` (or pass `next_cursor` as `cursor`)."""
    # The query string and the session are read here rather than as FastAPI dependencies
    # (the parameters are documented by SEARCH_PARAMETERS either way): solving them was
    # 2–5 % of a search call's instructions (bench/HISTORY.md, session 14).
    query = await search_request(request)
    async with request.app.state.sessions() as session:
        return await _search_response(request, session, query)


async def _search_response(
    request: Request, session: AsyncSession, query: SearchRequest
) -> Response:
    version = await catalog_version(session)
    tag = etag("search", *version, request.url.query)  # no Last-Modified: see api.caching
    if is_fresh(request, tag):
        return not_modified(tag)
    try:
        result = await search_rows(session, query, load_summary_rows, version=version)
    except CursorError as error:
        raise bad_parameter("query.cursor", str(error)) from None
    stems = query_stems(result.query) if result.query.must else None
    next_url = (
        str(request.url.include_query_params(cursor=result.next_cursor))
        if result.next_cursor
        else None
    )
    body = search_page(
        result, limit=query.limit, base=base_url(request), stems=stems, next_url=next_url
    )
    return Response(body, media_type=JSON, headers=validators(tag))


@router.get(
    "/datasets/{dataset_id}",
    response_model=DatasetDetail,
    responses={
        200: {"content": {media: {} for media in RDF_MEDIA_TYPES}},
        404: PROBLEM_RESPONSES[404],
        406: {"description": "No acceptable representation."},
    },
)
async def show_dataset(dataset_id: str, request: Request, session: Session) -> Any:
    """One dataset, withdrawn ones included (with their status). JSON by default; DCAT-AP
    when `Accept` prefers text/turtle, application/ld+json, application/rdf+xml or
    application/n-triples."""
    fmt = rdf_format(request.headers.get("accept"), None, offers=(JSON, *RDF_MEDIA_TYPES))
    row = await get_dataset(session, dataset_id)
    if row is None:
        raise Problem(404, f"no dataset with id {dataset_id!r}", title="Dataset not found")
    if fmt is not None:
        return dataset_rdf_response(request, row, fmt)
    source = await get_source(session, row.source_id)
    harvested = source.last_complete_harvest_at if source else None
    modified = max(filter(None, (row.updated_at, row.withdrawn_at, harvested)))
    tag = etag("dataset", row.content_hash, row.withdrawn_at, harvested)
    if is_fresh(request, tag, modified):
        return not_modified(tag, modified)
    detail = dataset_detail(row, base_url(request), last_complete_harvest=harvested)
    return Response(
        detail.model_dump_json(),
        media_type=JSON,
        headers={**validators(tag, modified), "Vary": "Accept"},
    )
