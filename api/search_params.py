"""Query parameters of dataset search, turned into a :class:`SearchRequest`.

Every malformed value is a 400 problem naming its parameter (``query.bbox``): FastAPI's
own validation covers types and ranges, :func:`parse_*` the rest.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import Depends, Query

from api.problems import bad_parameter
from catalog.model import PartnerKind
from harvester.search.engine import SearchRequest
from harvester.search.fields import FACETS, normalize
from harvester.search.filters import BBox, Filters

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


def parse_moment(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 date (its first instant) or date-time; naive means UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_parameter(
            f"query.{name}", f"{value!r} is not an ISO 8601 date or date-time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_bbox(value: str | None, name: str = "bbox") -> BBox | None:
    """``west,south,east,north`` in WGS 84 degrees."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise bad_parameter(f"query.{name}", "expected four numbers: west,south,east,north")
    west, south, east, north = numbers
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise bad_parameter(
            f"query.{name}",
            "need -180 ≤ west ≤ east ≤ 180 and -90 ≤ south ≤ north ≤ 90",
        )
    return west, south, east, north


def parse_facet_names(value: str | None) -> list[str]:
    """``facets=format,licence`` (default: every facet; empty: none)."""
    if value is None:
        return list(FACETS)
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in FACETS]
    if unknown:
        raise bad_parameter(
            "query.facets", f"unknown facet {unknown[0]!r}; use any of {', '.join(FACETS)}"
        )
    return list(dict.fromkeys(names))


def _values(facet: str, values: list[str] | None) -> list[str]:
    return [normalize(facet, v) for v in values or [] if v.strip()]


async def search_filters(
    publisher: Annotated[
        list[str] | None, Query(description="Publisher name (repeat for OR).")
    ] = None,
    partner: Annotated[list[str] | None, Query(description="Partner id.")] = None,
    partner_kind: Annotated[list[PartnerKind] | None, Query(description="Kind of partner.")] = None,
    source: Annotated[list[str] | None, Query(description="Source id.")] = None,
    theme: Annotated[list[str] | None, Query(description="Theme code or URI.")] = None,
    keyword: Annotated[list[str] | None, Query(description="Keyword (case-insensitive).")] = None,
    format: Annotated[list[str] | None, Query(description="Distribution format, e.g. CSV.")] = None,
    licence: Annotated[list[str] | None, Query(description="Licence id, e.g. CC-BY-4.0.")] = None,
    license: Annotated[list[str] | None, Query(description="Alias of `licence`.")] = None,
    language: Annotated[list[str] | None, Query(description="EU language code, e.g. FRA.")] = None,
    hvd_category: Annotated[
        list[str] | None, Query(description="High-value dataset category.")
    ] = None,
    api: Annotated[bool | None, Query(description="Has an API access (datastore, SODA…).")] = None,
    modified_since: Annotated[
        str | None, Query(description="ISO date or date-time, inclusive.")
    ] = None,
    modified_before: Annotated[
        str | None, Query(description="ISO date or date-time, exclusive.")
    ] = None,
    temporal_start: Annotated[
        str | None, Query(description="Temporal coverage overlaps a window starting then.")
    ] = None,
    temporal_end: Annotated[
        str | None, Query(description="Temporal coverage overlaps a window ending then.")
    ] = None,
    bbox: Annotated[
        str | None,
        Query(description="Spatial coverage intersects west,south,east,north (WGS 84)."),
    ] = None,
) -> Filters:
    """Filters from the query string (a FastAPI dependency; ``async`` though it awaits
    nothing, so FastAPI calls it on the event loop instead of handing it to a thread)."""
    given: dict[str, list[str] | None] = {
        "publisher": publisher,
        "partner": partner,
        "partner_kind": [str(kind) for kind in partner_kind or []],
        "source": source,
        "theme": theme,
        "keyword": keyword,
        "format": format,
        "licence": [*(licence or []), *(license or [])],
        "language": language,
        "hvd_category": hvd_category,
        "api": None if api is None else ["true" if api else "false"],
    }
    facets = {name: values for name, raw in given.items() if (values := _values(name, raw))}
    filters = Filters(
        facets=facets,
        modified_since=parse_moment("modified_since", modified_since),
        modified_before=parse_moment("modified_before", modified_before),
        temporal_start=parse_moment("temporal_start", temporal_start),
        temporal_end=parse_moment("temporal_end", temporal_end),
        bbox=parse_bbox(bbox),
    )
    if (
        filters.temporal_start
        and filters.temporal_end
        and filters.temporal_start > filters.temporal_end
    ):
        raise bad_parameter("query.temporal_end", "must not be before temporal_start")
    return filters


async def search_request(
    filters: Annotated[Filters, Depends(search_filters)],
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description='Full text, French and English, accent-insensitive: words, "phrases", '
            "-exclusion, OR.",
        ),
    ] = None,
    sort: Annotated[
        Literal["relevance", "modified", "title"],
        Query(description="relevance (title matches, then best described), modified, title."),
    ] = "relevance",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    facets: Annotated[
        str | None,
        Query(description=f"Comma-separated facets to count (default all: {', '.join(FACETS)})."),
    ] = None,
    facet_limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SearchRequest:
    return SearchRequest(
        q=q,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor or None,
        facets=parse_facet_names(facets),
        facet_limit=facet_limit,
    )
