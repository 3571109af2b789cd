"""``HEAD`` wherever ``GET`` is served: the same status and headers, no body, and a streamed
body (a whole-catalogue dump) stopped at its first part."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from api import dcat
from api.caching import install_http_middleware
from harvester.store.datasets import dataset_id
from tests.api import corpus


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/datasets?q=parc",
        "/catalog.jsonld?limit=3",
        f"/api/v1/datasets/{dataset_id('ville', 'velo')}",
        f"/datasets/{dataset_id('ville', 'velo')}.ttl",
        "/catalog.ttl",
        "/catalog.ttl?limit=all",
        "/health",
        "/api/3/action/package_search?q=parc",
    ],
)
async def test_head_is_get_without_its_body(client: httpx.AsyncClient, url: str) -> None:
    got = await client.get(url, headers={"Accept-Encoding": "gzip"})
    head = await client.head(url, headers={"Accept-Encoding": "gzip"})
    assert (head.status_code, got.status_code) == (200, 200)
    assert head.content == b"" and got.content
    for name in ("content-type", "etag", "last-modified", "content-encoding", "content-length"):
        assert head.headers.get(name) == got.headers.get(name), name
    if "etag" in got.headers:
        again = await client.head(url, headers={"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


async def test_head_where_there_is_no_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.head("/api/v1/sources/ville/harvest")
    assert response.status_code == 405 and "POST" in response.headers["allow"]


async def test_head_on_a_dump_reads_no_page_past_the_first(
    database_url: str, api_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole-catalogue dump streamed page by page: ``HEAD`` stops at its first part."""
    await corpus.synthetic(database_url)
    extra = [corpus.record(f"parc-{n}", {"fr": f"Parc numéro {n}"}) for n in range(30)]
    await corpus.write(database_url, "ville", extra)
    monkeypatch.setattr(dcat, "DUMP_PAGE", 3)
    monkeypatch.setattr(dcat, "iter_catalog", partial(dcat.iter_catalog, chunk_chars=0))
    pages: list[int] = []
    records = dcat._records

    def counted(base: str, rows: list[Any]) -> Iterator[Any]:
        pages.append(len(rows))
        return records(base, rows)

    monkeypatch.setattr(dcat, "_records", counted)
    got = await api_client.get("/catalog.nt?limit=all")
    assert got.status_code == 200 and got.text.count("dcat#Dataset>") >= 30
    assert len(pages) >= 10, "the dump is read three datasets at a time"
    pages.clear()
    head = await api_client.head("/catalog.nt?limit=all")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert len(pages) <= 1, "HEAD read the dump past its first page"


async def test_a_streamed_body_stops_at_its_first_part_under_gzip() -> None:
    made: list[int] = []

    def parts() -> Iterator[bytes]:
        for n in range(1000):
            made.append(n)
            yield b"x" * 5000

    async def stream(_request: Request) -> StreamingResponse:
        return StreamingResponse(parts(), media_type="text/turtle")

    app = Starlette(routes=[Route("/stream", stream)])
    install_http_middleware(app)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        head = await client.head("/stream", headers={"Accept-Encoding": "gzip"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-encoding"] == "gzip"
        assert len(made) == 1
        made.clear()
        got = await client.get("/stream")
        assert len(got.content) == 5_000_000 and len(made) == 1000
