"""DCAT-AP responses built on :mod:`catalog.rdf`: one dataset, and catalogue pages streamed
with Hydra paging (current and legacy terms).

A whole-catalogue dump (``limit=all``) streams page after page: the RDF writers pull records
from a plain iterator, which Starlette runs in a worker thread; that iterator fetches each
page of 200 records on the event loop, so memory holds one page at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from api.caching import etag, is_fresh, not_modified, validators
from catalog.model import DatasetRecord
from catalog.rdf import MEDIA_TYPES, Format, iter_catalog, paging_triples, serialize_dataset
from catalog.rdf.namespaces import Triple
from harvester.catalog_header import catalog_header, catalog_uri, dataset_uri
from harvester.search.engine import SearchRequest, SearchResult
from harvester.search.version import CatalogVersion
from harvester.store.stored_records import RecordRow, stored_record
from harvester.store.tables import Dataset

DUMP_PAGE = 200

Fetch = Callable[[SearchRequest], Coroutine[Any, Any, SearchResult[RecordRow]]]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _rdf_headers(fmt: Format) -> dict[str, str]:
    return {"Content-Type": f"{MEDIA_TYPES[fmt]}; charset=utf-8", "Vary": "Accept"}


def dataset_rdf_response(request: Request, row: Dataset, fmt: Format) -> Response:
    """One dataset as a DCAT-AP document (withdrawn ones too, as in JSON)."""
    modified = max(filter(None, (row.updated_at, row.withdrawn_at)))
    tag = etag("dataset-rdf", row.content_hash, row.withdrawn_at, fmt)
    if is_fresh(request, tag, modified):
        return not_modified(tag, modified)
    base = base_url(request)
    record = DatasetRecord.model_validate(row.record)
    body = serialize_dataset(record, dataset_uri(base, row.id), fmt, catalog_uri=catalog_uri(base))
    return Response(body, headers={**_rdf_headers(fmt), **validators(tag, modified)})


def _header(
    request: Request,
    query: SearchRequest,
    result: SearchResult[RecordRow],
    modified: datetime | None,
) -> list[Triple]:
    base = base_url(request)
    page = request.url.remove_query_params("cursor")
    triples = catalog_header(base, modified)
    if query.limit >= 0:
        following = (
            str(request.url.include_query_params(cursor=result.next_cursor))
            if result.next_cursor
            else None
        )
        triples += paging_triples(
            page_uri=str(request.url),
            first=str(page),
            last=None,
            next=following,
            total_items=result.total,
            items_per_page=query.limit,
            collection_uri=catalog_uri(base),
        )
    return triples


def _records(base: str, rows: list[RecordRow]) -> Iterator[tuple[str, DatasetRecord]]:
    for row in rows:
        yield dataset_uri(base, row.id), stored_record(row.record)


def _dump(
    base: str, first: SearchResult[RecordRow], query: SearchRequest, fetch: Fetch
) -> Iterator[tuple[str, DatasetRecord]]:
    """Every page after ``first``, fetched on the event loop from the writer's thread."""
    loop = asyncio.get_running_loop()

    def pages() -> Iterator[tuple[str, DatasetRecord]]:
        result = first
        while True:
            yield from _records(base, result.datasets)
            if result.next_cursor is None:
                return
            following = replace(query, cursor=result.next_cursor, count=False)
            result = asyncio.run_coroutine_threadsafe(fetch(following), loop).result()

    return pages()


async def catalog_response(
    request: Request,
    query: SearchRequest,
    fmt: Format,
    *,
    version: CatalogVersion,
    fetch: Fetch,
    dump: bool,
) -> Response:
    """A catalogue page (or, with ``dump``, the whole filtered catalogue) in ``fmt``,
    validated by its ETag alone (see :mod:`api.caching`)."""
    tag = etag("catalog", *version, request.url.path, request.url.query, fmt)
    if is_fresh(request, tag):
        return not_modified(tag)
    page_query = replace(query, limit=DUMP_PAGE, count=False) if dump else query
    first = await fetch(page_query)
    base = base_url(request)
    header = _header(request, replace(query, limit=-1) if dump else query, first, version[1])
    records = _dump(base, first, page_query, fetch) if dump else _records(base, first.datasets)
    body = iter_catalog(records, format=fmt, header=header, catalog_uri=catalog_uri(base))
    return StreamingResponse(body, headers={**_rdf_headers(fmt), **validators(tag)})
