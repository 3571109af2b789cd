"""The Socrata Discovery API (``/api/catalog/v1``) over the corpus.

Paging by ``scroll_id`` (assets after that id, in id order, no depth limit) or by
``offset``/``limit`` (refused past ``offset + limit > 10000``, as Socrata does);
``order=updatedAt DESC`` sorts by modification time. Socrata sites are monolingual: assets
carry the French title and description.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.corpus import SimDataset
from simulator.state import SimState

MAX_OFFSET_PLUS_LIMIT = 10_000
COLUMNS = (
    ("Identifiant", "identifiant", "Text"),
    ("Date", "date", "Calendar date"),
    ("Arrondissement", "arrondissement", "Text"),
    ("Catégorie", "categorie", "Text"),
    ("Valeur", "valeur", "Number"),
    ("Localisation", "localisation", "Point"),
)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def asset(d: SimDataset, domain: str) -> dict[str, Any]:
    """One Discovery API result."""
    columns = COLUMNS[: 3 + d.index % 4]
    return {
        "resource": {
            "name": d.title[0],
            "id": d.fxf,
            "parent_fxf": [],
            "description": d.description[0],
            "attribution": d.place.name[0],
            "attribution_link": f"https://{d.place.host}",
            "contact_email": d.contact[1],
            "type": "dataset",
            "updatedAt": _iso(d.modified),
            "createdAt": _iso(d.created),
            "metadata_updated_at": _iso(d.modified),
            "data_updated_at": _iso(d.modified),
            "page_views": {
                "page_views_last_week": d.index % 50,
                "page_views_last_month": d.index % 200,
                "page_views_total": d.index % 9000,
            },
            "columns_name": [c[0] for c in columns],
            "columns_field_name": [c[1] for c in columns],
            "columns_datatype": [c[2] for c in columns],
            "columns_description": ["" for _ in columns],
            "columns_format": [{} for _ in columns],
            "download_count": d.index % 5000,
            "provenance": "official",
            "lens_view_type": "tabular",
            "blob_mime_type": None,
            "hide_from_data_json": False,
        },
        "classification": {
            "categories": [d.theme.label[1].lower()],
            "tags": [],
            "domain_category": d.theme.label[0],
            "domain_tags": d.keywords[0],
            "domain_metadata": [
                {"key": "Mise-a-jour_Frequence", "value": d.frequency[1]},
                {"key": "Territoire_Couverture", "value": d.place.name[0]},
            ],
        },
        "metadata": {"domain": domain, "license": d.licence.title},
        "permalink": f"https://{domain}/d/{d.fxf}",
        "link": f"https://{domain}/{d.theme.label[0].replace(' ', '-')}/{d.name}/{d.fxf}",
        "owner": {"id": "abcd-ef23", "user_type": "interactive", "display_name": d.contact[0]},
        "creator": {"id": "abcd-ef23", "user_type": "interactive", "display_name": d.contact[0]},
    }


def _error(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status)


class SocrataPlatform:
    """Routes of the simulated Socrata site."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [Route("/api/catalog/v1", self.catalog)]

    def _by_id(self) -> tuple[list[str], list[int]]:
        corpus = self.state.corpus
        pairs = sorted((corpus.fxf(i), i) for i in corpus.indices)
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def _by_update(self) -> list[int]:
        corpus = self.state.corpus
        return sorted(
            corpus.indices, key=lambda i: (corpus.modified(i), corpus.fxf(i)), reverse=True
        )

    async def catalog(self, request: Request) -> Response:
        params = request.query_params
        domain = params.get("domains") or request.url.hostname or "localhost"
        limit = self.state.page_size(params.get("limit"))
        ids, indices = self.state.memo("socrata-ids", self._by_id)
        total = len(indices)
        if "scroll_id" in params:
            position = bisect.bisect_right(ids, params["scroll_id"])
            chosen = indices[position : position + limit]
            page = position // max(limit, 1) + 1
        else:
            try:
                offset = int(params.get("offset") or 0)
            except ValueError:
                return _error("offset must be an integer")
            if offset + limit > MAX_OFFSET_PLUS_LIMIT:
                return _error(
                    f"offset + limit must be <= {MAX_OFFSET_PLUS_LIMIT}; use scroll_id instead"
                )
            order = (params.get("order") or "").lower()
            listing = (
                self.state.memo("socrata-updated", self._by_update)
                if order.startswith("updatedat")
                else indices
            )
            chosen = listing[offset : offset + limit]
            page = offset // max(limit, 1) + 1

        def render() -> bytes:
            corpus = self.state.corpus
            results = [asset(corpus.dataset(i), domain) for i in chosen]
            return orjson.dumps(
                {"results": results, "resultSetSize": total, "timings": {"serviceMillis": 3}}
            )

        return await self.state.answer(
            request,
            page=page,
            render=render,
            media_type="application/json; charset=utf-8",
            cache_key=("socrata", domain, tuple(chosen[:1]), len(chosen), params.get("order")),
        )
