"""DCAT-AP 3 feeds: ``/catalog`` (paged with Hydra, filterable, or dumped whole) and
``/datasets/{id}``, in Turtle, JSON-LD, RDF/XML or N-Triples by ``Accept`` or suffix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.dcat import catalog_response, dataset_rdf_response
from api.deps import Session
from api.negotiation import RDF_MEDIA_TYPES, rdf_format
from api.problems import Problem, bad_parameter
from api.search_params import FILTER_PARAMETERS, search_filters
from catalog.rdf import SUFFIXES, Format
from harvester.search.cursor import CursorError
from harvester.search.engine import SearchRequest, SearchResult, search_rows
from harvester.search.filters import Filters
from harvester.search.version import catalog_version
from harvester.store.queries import get_dataset
from harvester.store.stored_records import RecordRow, load_record_rows

router = APIRouter(tags=["dcat"])

MAX_PAGE = 1000
RDF_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in RDF_MEDIA_TYPES}}
}


def _format(request: Request, suffix: str | None) -> Format:
    fmt = rdf_format(request.headers.get("accept"), suffix, offers=RDF_MEDIA_TYPES)
    assert fmt is not None  # every offer is RDF
    return fmt


def _page_size(limit: str) -> int | None:
    """The page size, or None for ``all`` (the whole catalogue, streamed)."""
    if limit == "all":
        return None
    if limit.isdigit() and 1 <= int(limit) <= MAX_PAGE:
        return int(limit)
    raise bad_parameter("query.limit", f"expected 1 to {MAX_PAGE}, or 'all'")


async def _catalog(
    request: Request,
    session: Session,
    filters: Filters,
    q: str | None,
    limit: str,
    cursor: str | None,
    suffix: str | None,
) -> Response:
    fmt = _format(request, suffix)
    size = _page_size(limit)
    query = SearchRequest(q=q, filters=filters, sort="pk", limit=size or 1, cursor=cursor or None)
    sessions = request.app.state.sessions

    async def fetch(page: SearchRequest) -> SearchResult[RecordRow]:
        async with sessions() as own:
            return await search_rows(own, page, load_record_rows)

    try:  # the first page is fetched before streaming starts, so a bad cursor is a 400
        return await catalog_response(
            request,
            query,
            fmt,
            version=await catalog_version(session),
            fetch=fetch,
            dump=size is None,
        )
    except CursorError as error:
        raise bad_parameter("query.cursor", str(error)) from None


Q = Annotated[str | None, Query(max_length=500, description="Full-text filter, as in search.")]
Limit = Annotated[str, Query(description=f"Datasets per page (1–{MAX_PAGE}) or 'all'.")]
Cursor = Annotated[str | None, Query(description="From the page's hydra:next link.")]
FiltersDep = Annotated[Filters, Depends(search_filters)]


@router.get(
    "/catalog", responses=RDF_CONTENT, response_class=Response, openapi_extra=FILTER_PARAMETERS
)
async def catalog(
    request: Request,
    session: Session,
    filters: FiltersDep,
    q: Q = None,
    limit: Limit = "100",
    cursor: Cursor = None,
) -> Response:
    """The federated catalogue as DCAT-AP 3, by `Accept` (Turtle by default); pages are
    linked with hydra:PartialCollectionView and the legacy hydra:PagedCollection terms."""
    return await _catalog(request, session, filters, q, limit, cursor, None)


@router.get(
    "/catalog.{suffix}",
    responses=RDF_CONTENT,
    response_class=Response,
    openapi_extra=FILTER_PARAMETERS,
)
async def catalog_with_suffix(
    suffix: str,
    request: Request,
    session: Session,
    filters: FiltersDep,
    q: Q = None,
    limit: Limit = "100",
    cursor: Cursor = None,
) -> Response:
    """`/catalog` in the format of the suffix: .ttl, .jsonld, .rdf or .nt."""
    return await _catalog(request, session, filters, q, limit, cursor, suffix)


@router.get("/datasets/{name}", responses=RDF_CONTENT, response_class=Response)
async def dataset(name: str, request: Request, session: Session) -> Response:
    """One dataset as DCAT-AP 3 (`/datasets/{id}` by `Accept`, or `/datasets/{id}.ttl`…):
    this is the dataset's URI in every feed."""
    dataset_id, dot, suffix = name.rpartition(".")
    if not dot or suffix not in SUFFIXES:
        dataset_id, suffix = name, ""
    fmt = _format(request, suffix or None)
    row = await get_dataset(session, dataset_id)
    if row is None:
        raise Problem(404, f"no dataset with id {dataset_id!r}", title="Dataset not found")
    return dataset_rdf_response(request, row, fmt)
