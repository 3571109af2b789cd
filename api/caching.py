"""HTTP caching and cross-cutting middleware: ETag / Last-Modified with 304s, gzip, CORS.

One dataset has a modification date (its last write, withdrawal or source harvest) and is
validated by it and by its ETag. Collections (search pages, catalogue feeds) are validated
by their ETag alone and send no ``Last-Modified``: the newest ``updated_at`` is no date of
the collection's last change. A batch is dated before it commits, so one committed after
a newer batch's date does not move it (concurrent runs), nor does a withdrawal; an
``If-Modified-Since`` answered from it gave 304 for a page whose datasets had changed.
Without a modification date the header is ignored (RFC 9110, 13.1.3)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import FastAPI, Request, Response
from starlette.middleware.cors import CORSMiddleware

from api.compression import IsalGZipMiddleware
from api.head import HeadAsGetMiddleware

MAX_AGE = 60
GZIP_LEVEL = 1
"""ISA-L's default and zlib's fastest (nginx's default): a search page (40–45 kB of JSON)
compresses to 6.7–7.3 kB instead of 5.7–6.1 kB at zlib's default 6, in 0.05 ms with ISA-L
(0.14–0.20 ms with zlib at 1, 0.57–0.66 at 6: a sixth of a search call's instructions went
to ``deflate`` at 6; ``bench/HISTORY.md``, sessions 12 and 14)."""


def etag(*parts: object) -> str:
    """A weak validator (responses may be gzipped) from what the representation depends on."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def validators(tag: str, last_modified: datetime | None = None) -> dict[str, str]:
    """The caching headers of a response."""
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE}"}
    if last_modified is not None:
        headers["Last-Modified"] = _http_date(last_modified)
    return headers


def is_fresh(request: Request, tag: str, last_modified: datetime | None = None) -> bool:
    """Whether the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return if_none_match.strip() == "*" or tag.removeprefix("W/") in _tags(if_none_match)
    since = request.headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            client = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if client.tzinfo is None:
            client = client.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= client
    return False


def not_modified(tag: str, last_modified: datetime | None = None) -> Response:
    return Response(status_code=304, headers=validators(tag, last_modified))


def install_http_middleware(app: FastAPI) -> None:
    """gzip for large bodies, CORS for the public read endpoints, and ``HEAD`` wherever
    ``GET`` is served (outermost: the headers are those of the ``GET`` response, gzip
    included)."""
    app.add_middleware(IsalGZipMiddleware, minimum_size=1000, compresslevel=GZIP_LEVEL)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "Last-Modified", "Retry-After", "Link"],
        max_age=3600,
    )
    app.add_middleware(HeadAsGetMiddleware)
