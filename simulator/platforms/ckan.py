"""A CKAN 2.10 Action API over the corpus (Données Québec flavour: scheming + fluent fields).

``package_search`` supports ``rows``/``start`` paging, ``sort`` (``id asc``, ``name asc``,
``metadata_modified asc|desc`` with ``id`` tie-break), and ``fq`` terms
``metadata_modified:[… TO …]`` and ``organization:"slug"`` joined with ``AND``; ``q`` other
than ``*:*`` is matched against titles. Also ``status_show``, ``package_show``,
``package_list`` and ``organization_list``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.corpus import SimDataset
from simulator.state import SimState

API = "/api/3/action"
HELP = "{site}/api/3/action/help_show?name={action}"
_MODIFIED = re.compile(r"metadata_modified:\[\s*(\S+)\s+TO\s+(\S+)\s*\]")
_ORGANIZATION = re.compile(r'organization:"?([\w-]+)"?')


def _iso(value: datetime) -> str:
    """CKAN's timestamp style: naive UTC with microseconds."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _solr_time(text: str) -> datetime | None:
    if text == "*":
        return None
    text = text.replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def organization(d: SimDataset) -> dict[str, Any]:
    place = d.place
    return {
        "id": f"org-{place.slug}",
        "name": place.slug,
        "title": place.name[0],
        "type": "organization",
        "description": f"Données ouvertes de la {place.name[0]}.",
        "image_url": f"https://{place.host}/logo.png",
        "created": "2015-03-02T14:21:08.123456",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def resource(d: SimDataset, position: int) -> dict[str, Any]:
    dist = d.distributions[position]
    return {
        "id": dist.uid,
        "package_id": d.uid,
        "name": dist.title[0],
        "name_translated": {"fr": dist.title[0], "en": dist.title[1]},
        "description": f"{dist.title[0]} — {d.title[0]}",
        "format": dist.format.name,
        "mimetype": dist.format.media_type,
        "url": dist.url,
        "url_type": "upload" if dist.format.name != "WMS" else None,
        "size": dist.byte_size,
        "created": _iso(dist.created),
        "last_modified": _iso(dist.modified),
        "metadata_modified": _iso(dist.modified),
        "position": position,
        "state": "active",
        "datastore_active": dist.format.name == "CSV",
        "hash": "",
        "cache_url": None,
        "resource_type": None,
    }


def package(d: SimDataset, site: str) -> dict[str, Any]:
    """The ``package_show`` result of one dataset."""
    west, south, east, north = d.bbox
    polygon = [[[west, south], [east, south], [east, north], [west, north], [west, south]]]
    tags = [*d.keywords[0]]
    return {
        "id": d.uid,
        "name": d.name,
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": d.licence.ckan_id != "cc-by-nc",
        "title": d.title[0],
        "title_translated": {"fr": d.title[0], "en": d.title[1]},
        "notes": d.description[0],
        "notes_translated": {"fr": d.description[0], "en": d.description[1]},
        "keywords": {"fr": d.keywords[0], "en": d.keywords[1]},
        "author": d.contact[0],
        "author_email": d.contact[1],
        "maintainer": d.contact[0],
        "maintainer_email": d.contact[1],
        "license_id": d.licence.ckan_id,
        "license_title": d.licence.title,
        "license_url": d.licence.url,
        "metadata_created": _iso(d.created),
        "metadata_modified": _iso(d.modified),
        "owner_org": f"org-{d.place.slug}",
        "organization": organization(d),
        "url": None,
        "version": str(d.version + 1),
        "language": "FR_EN",
        "update_frequency": d.frequency[0].lower(),
        "territoire": [d.place.name[0]],
        "temporal_start": d.temporal[0].isoformat(),
        "temporal_end": d.temporal[1].isoformat(),
        "ext_spatial": orjson.dumps({"type": "Polygon", "coordinates": polygon}).decode(),
        "methodologie": "Données extraites du système de gestion municipal.",
        "num_resources": len(d.distributions),
        "num_tags": len(tags),
        "tags": [
            {
                "id": f"tag-{n}",
                "name": t,
                "display_name": t,
                "state": "active",
                "vocabulary_id": None,
            }
            for n, t in enumerate(tags)
        ],
        "groups": [
            {
                "id": f"group-{d.theme.key}",
                "name": d.theme.key,
                "title": d.theme.label[0],
                "display_name": d.theme.label[0],
                "description": "",
                "image_display_url": "",
            }
        ],
        "extras": [],
        "resources": [resource(d, k) for k in range(len(d.distributions))],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def _envelope(site: str, action: str, result: Any) -> bytes:
    return orjson.dumps(
        {"help": HELP.format(site=site, action=action), "success": True, "result": result}
    )


def _error(site: str, action: str, status: int, kind: str, message: str) -> Response:
    body = {
        "help": HELP.format(site=site, action=action),
        "success": False,
        "error": {"__type": kind, "message": message},
    }
    return JSONResponse(body, status_code=status)


def _site(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class CkanPlatform:
    """Routes of the simulated CKAN."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route(f"{API}/status_show", self.status_show),
            Route(f"{API}/package_search", self.package_search),
            Route(f"{API}/package_show", self.package_show),
            Route(f"{API}/package_list", self.package_list),
            Route(f"{API}/organization_list", self.organization_list),
        ]

    async def status_show(self, request: Request) -> Response:
        result = {
            "site_title": "Portail de données ouvertes (simulé)",
            "site_description": "Moisson portal simulator",
            "site_url": _site(request),
            "ckan_version": "2.10.4",
            "error_emails_to": None,
            "locale_default": "fr",
            "extensions": ["scheming_datasets", "fluent", "dcat", "activity"],
        }
        return Response(
            _envelope(_site(request), "status_show", result), media_type="application/json"
        )

    def _listing(self, sort: str, fq: str, q: str) -> list[int]:
        corpus = self.state.corpus
        indices = corpus.indices
        low = high = None
        if match := _MODIFIED.search(fq):
            low, high = _solr_time(match.group(1)), _solr_time(match.group(2))
        org = match.group(1) if (match := _ORGANIZATION.search(fq)) else None
        if low or high:
            indices = [
                i
                for i in indices
                if (low is None or corpus.modified(i) >= low)
                and (high is None or corpus.modified(i) <= high)
            ]
        if org or (q and q != "*:*"):
            words = q.lower().split() if q and q != "*:*" else []
            datasets = [corpus.dataset(i) for i in indices]
            indices = [
                d.index
                for d in datasets
                if (org is None or d.place.slug == org)
                and all(w in d.title[0].lower() for w in words)
            ]
        key = sort.replace(" ", "").lower()
        if key.startswith("metadata_modified"):
            descending = key.startswith("metadata_modifieddesc")
            return sorted(
                indices, key=lambda i: (corpus.modified(i), corpus.uid(i)), reverse=descending
            )
        if key.startswith("name"):
            return sorted(indices, key=lambda i: corpus.dataset(i).name)
        return sorted(indices, key=corpus.uid)

    async def package_search(self, request: Request) -> Response:
        site = _site(request)
        params = request.query_params
        try:
            rows = self.state.page_size(params.get("rows"))
            start = max(int(params.get("start") or 0), 0)
        except ValueError:
            return _error(site, "package_search", 409, "Validation Error", "Invalid integer")
        sort = params.get("sort") or "score desc, metadata_modified desc"
        fq, q = params.get("fq") or "", params.get("q") or "*:*"
        try:
            listing = self.state.memo(("ckan", sort, fq, q), lambda: self._listing(sort, fq, q))
        except ValueError as error:
            return _error(site, "package_search", 409, "Search Query Error", str(error))

        def render() -> bytes:
            corpus = self.state.corpus
            chosen = listing[start : start + rows]
            results = [package(corpus.dataset(i), site) for i in chosen]
            result = {
                "count": len(listing),
                "sort": sort,
                "facets": {},
                "results": results,
                "search_facets": {},
            }
            return _envelope(site, "package_search", result)

        return await self.state.answer(
            request,
            page=start // max(rows, 1) + 1,
            render=render,
            media_type="application/json;charset=utf-8",
            cache_key=("ckan", site, sort, fq, q, start, rows),
        )

    async def package_show(self, request: Request) -> Response:
        site = _site(request)
        wanted = request.query_params.get("id", "")
        corpus = self.state.corpus
        by_key = self.state.memo(
            "ckan-keys",
            lambda: {k: i for i in corpus.indices for k in (corpus.uid(i), corpus.dataset(i).name)},
        )
        index = by_key.get(wanted)
        if index is None:
            return _error(site, "package_show", 404, "Not Found Error", "Not found")
        body = _envelope(site, "package_show", package(corpus.dataset(index), site))
        return await self.state.answer(
            request, page=1, render=lambda: body, media_type="application/json;charset=utf-8"
        )

    async def package_list(self, request: Request) -> Response:
        corpus = self.state.corpus
        names = sorted(corpus.dataset(i).name for i in corpus.indices)
        return Response(
            _envelope(_site(request), "package_list", names), media_type="application/json"
        )

    async def organization_list(self, request: Request) -> Response:
        corpus = self.state.corpus
        slugs = sorted({corpus.dataset(i).place.slug for i in corpus.indices[:2000]})
        return Response(
            _envelope(_site(request), "organization_list", slugs), media_type="application/json"
        )
