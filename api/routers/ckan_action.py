"""A read-only subset of CKAN's Action API (``/api/3/action/…`` and ``/api/action/…``), in
CKAN's envelope, so CKAN clients and harvesters (ckanapi, ckanext-harvest) can consume Moisson.

GET query parameters and POST JSON bodies are both accepted, as CKAN does. Errors keep
CKAN's shapes and statuses: 404 ``Not Found Error``, 409 ``Validation Error`` and
``Search Query Error``, 400 for an unknown action.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.ckan_format import (
    CKAN_VERSION,
    FIELDS,
    SORTS,
    CkanQueryError,
    free_text,
    organization,
    package,
    parse_fq,
)
from api.deps import Session
from harvester.search import record_cache
from harvester.search.engine import SearchRequest, search
from harvester.store.db import database_id
from harvester.store.queries import get_dataset, partner_counts, partners_of_sources

router = APIRouter(tags=["ckan"])

MAX_ROWS = 1000
Params = dict[str, Any]


class CkanError(Exception):
    def __init__(self, status: int, kind: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.fields = status, kind, message, fields


class CkanEnvelope(BaseModel):
    """CKAN's response envelope."""

    help: str
    success: bool
    result: Any = None
    error: dict[str, Any] | None = Field(default=None, description="When success is false.")


def _int(params: Params, name: str, default: int, *, maximum: int | None = None) -> int:
    try:
        value = int(params.get(name, default))
    except (TypeError, ValueError):
        raise CkanError(
            409, "Validation Error", f"{name} must be an integer", **{name: ["Invalid integer"]}
        ) from None
    if value < 0 or (maximum is not None and value > maximum):
        raise CkanError(
            409, "Validation Error", f"{name} out of range", **{name: [f"Must be 0 to {maximum}"]}
        )
    return value


def _bool(params: Params, name: str) -> bool:
    return str(params.get(name, "false")).lower() in ("true", "1", "yes")


def _facet_fields(params: Params) -> list[str]:
    raw = params.get("facet.field")
    if raw is None:
        return []
    fields = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(fields, list):
        raise CkanQueryError("facet.field must be a JSON list")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise CkanQueryError(f"cannot facet on {unknown[0]}; use one of {', '.join(FIELDS)}")
    return [str(f) for f in fields]


async def _packages(session: AsyncSession, rows: list[Any], base: str) -> list[dict[str, Any]]:
    """The rows as CKAN packages, their record-only parts kept with the record cache (a
    record validated and made into a package was a third of a ``package_search`` call)."""
    partners = await partners_of_sources(session, [row.source_id for row in rows])
    database = database_id(session)
    packages = []
    for row in rows:
        key = (database, row.pk, row.content_hash)
        kept = record_cache.get(key) or record_cache.put(key, row.record)
        packages.append(package(row, partners.get(row.source_id), base, kept.derived))
    return packages


async def package_search(session: AsyncSession, params: Params, base: str) -> Any:
    fields = _facet_fields(params)
    sort_name = str(params.get("sort") or "score desc, metadata_modified desc")
    sort = SORTS.get(sort_name.strip().lower())
    if sort is None:
        raise CkanQueryError(f"cannot sort by {sort_name!r}; use one of {', '.join(SORTS)}")
    rows = _int(params, "rows", 10, maximum=MAX_ROWS)
    request = SearchRequest(
        q=free_text(params.get("q")),
        filters=parse_fq(params.get("fq")),
        sort=sort,  # type: ignore[arg-type]
        limit=max(rows, 1),
        offset=_int(params, "start", 0),
        facets=list(dict.fromkeys(FIELDS[f] for f in fields)),
        facet_limit=_int(params, "facet.limit", 50, maximum=1000) or 50,
        count_limit=10**9,
    )
    result = await search(session, request)
    counts = {f: result.facets.get(FIELDS[f], []) for f in fields}
    return {
        "count": result.total,
        "sort": sort_name,
        "results": await _packages(session, result.datasets[:rows], base),
        "facets": {f: dict(values) for f, values in counts.items()},
        "search_facets": {
            f: {
                "title": f,
                "items": [{"name": v, "display_name": v, "count": n} for v, n in values],
            }
            for f, values in counts.items()
        },
    }


async def package_show(session: AsyncSession, params: Params, base: str) -> Any:
    row = await get_dataset(session, str(params.get("id") or params.get("name") or ""))
    if row is None:
        raise CkanError(404, "Not Found Error", "Not found")
    return (await _packages(session, [row], base))[0]


async def package_list(session: AsyncSession, params: Params, base: str) -> Any:
    limit = _int(params, "limit", MAX_ROWS, maximum=MAX_ROWS)
    request = SearchRequest(
        sort="pk", limit=max(limit, 1), offset=_int(params, "offset", 0), count=False
    )
    return [row.id for row in (await search(session, request)).datasets[:limit]]


async def organization_list(session: AsyncSession, params: Params, base: str) -> Any:
    partners = await partner_counts(session)
    if _bool(params, "all_fields"):
        return [organization(partner, count) for partner, count in partners]
    return [partner.id for partner, _ in partners]


async def organization_show(session: AsyncSession, params: Params, base: str) -> Any:
    found = await partner_counts(session, str(params.get("id") or ""))
    if not found:
        raise CkanError(404, "Not Found Error", "Not found")
    partner, count = found[0]
    data = organization(partner, count)
    if _bool(params, "include_datasets"):
        request = SearchRequest(sort="pk", limit=10, count=False)
        request.filters.facets["partner"] = [partner.id]
        data["packages"] = await _packages(session, (await search(session, request)).datasets, base)
    return data


async def status_show(session: AsyncSession, params: Params, base: str) -> Any:
    return {
        "site_title": "Moisson",
        "site_description": "Federated open-data catalogue",
        "site_url": base,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "fr",
        "extensions": ["moisson"],
    }


ACTIONS: dict[str, Callable[[AsyncSession, Params, str], Awaitable[Any]]] = {
    "package_search": package_search,
    "package_show": package_show,
    "package_list": package_list,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "status_show": status_show,
}


async def _params(request: Request) -> Params:
    params: Params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                raise CkanError(400, "Validation Error", "the body is not JSON") from None
            if not isinstance(data, dict):
                raise CkanError(400, "Validation Error", "the body must be a JSON object")
            params.update(data)
    return params


class _CkanResponse(JSONResponse):
    """CKAN's envelope written by orjson: the same compact JSON as Starlette's stdlib
    encoder (keys that are not strings written as it writes them), which was a fifth of a
    20-package ``package_search`` call's instructions."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


async def _action(action: str, request: Request, session: Session) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    envelope: dict[str, Any] = {"help": f"{base}/api/3/action/help_show?name={action}"}
    try:
        handler = ACTIONS.get(action)
        if handler is None:
            raise CkanError(400, "Bad Request", f"Action name not known: {action}")
        result = await handler(session, await _params(request), base)
    except CkanQueryError as error:
        error_body = {"__type": "Search Query Error", "message": f"Search Query Error: {error}"}
        return _CkanResponse({**envelope, "success": False, "error": error_body}, status_code=409)
    except (json.JSONDecodeError, TypeError) as error:
        error_body = {"__type": "Validation Error", "message": str(error)}
        return _CkanResponse({**envelope, "success": False, "error": error_body}, status_code=409)
    except CkanError as error:
        error_body = {"__type": error.kind, "message": error.message, **error.fields}
        return _CkanResponse(
            {**envelope, "success": False, "error": error_body}, status_code=error.status
        )
    return _CkanResponse({**envelope, "success": True, "result": result})


_DOC = (
    "CKAN Action API subset: " + ", ".join(ACTIONS) + ". Parameters as in CKAN (query string "
    "or JSON body); `fq` understands " + ", ".join(FIELDS) + " and metadata_modified ranges."
)


@router.get("/api/3/action/{action}", response_model=CkanEnvelope, description=_DOC)
async def ckan_action_get(action: str, request: Request, session: Session) -> JSONResponse:
    """Call a CKAN action with query parameters."""
    return await _action(action, request, session)


@router.post("/api/3/action/{action}", response_model=CkanEnvelope, description=_DOC)
async def ckan_action_post(action: str, request: Request, session: Session) -> JSONResponse:
    """Call a CKAN action with a JSON body."""
    return await _action(action, request, session)


@router.api_route("/api/action/{action}", methods=["GET", "POST"], include_in_schema=False)
async def ckan_action_unversioned(action: str, request: Request, session: Session) -> JSONResponse:
    """The same at the unversioned path some clients (ckanapi) use."""
    return await _action(action, request, session)
