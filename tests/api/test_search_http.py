"""HTTP behaviour of the read API: validators and 304s, gzip, CORS, rate limiting, OpenAPI,
and the publishers and stats endpoints."""

from __future__ import annotations

import gzip
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from api.app import create_app
from api.ratelimit import TokenBuckets
from harvester.settings import Settings
from harvester.store.datasets import dataset_id, write_batch
from harvester.store.db import create_engine, session_factory
from tests.api import corpus

COLLECTIONS = ["/api/v1/datasets?q=parc", "/catalog.jsonld?limit=3"]
DATASETS = [
    f"/api/v1/datasets/{dataset_id('ville', 'velo')}",
    f"/datasets/{dataset_id('ville', 'velo')}.ttl",
]


@pytest.mark.parametrize("url", COLLECTIONS + DATASETS)
async def test_etags_give_304_until_the_catalogue_changes(
    database_url: str, client: httpx.AsyncClient, url: str
) -> None:
    first = await client.get(url)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    again = await client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    if url in COLLECTIONS:  # validated by their ETag alone
        assert "last-modified" not in first.headers
    else:
        since = first.headers["last-modified"]
        assert (await client.get(url, headers={"If-Modified-Since": since})).status_code == 304
    await corpus.write(
        database_url, "ville", [corpus.record("velo", {"fr": "Pistes cyclables 2"})], corpus.LATER
    )
    changed = await client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


@pytest.mark.parametrize("url", COLLECTIONS)
async def test_collections_ignore_if_modified_since(
    database_url: str, client: httpx.AsyncClient, url: str
) -> None:
    """A batch is dated before it commits: one committed later, older than the newest write
    (another source's run), changes the page; no date may answer for it."""
    first = await client.get(url)
    await corpus.write(
        database_url,
        "ville",
        [corpus.record("tard", {"fr": "Parc tardif"})],
        corpus.NOW - timedelta(days=30),
    )
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    later = await client.get(url, headers={"If-Modified-Since": future})
    assert later.status_code == 200 and later.content != first.content


async def test_a_dataset_is_modified_by_its_withdrawal_and_its_sources_harvest(
    database_url: str, client: httpx.AsyncClient
) -> None:
    """One dataset's Last-Modified moves with whatever its representation shows."""
    url = f"/api/v1/datasets/{dataset_id('ville', 'velo')}"
    first = await client.get(url)
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert (await client.get(url, headers=since)).status_code == 304
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(
                sa.text("UPDATE source SET last_complete_harvest_at = :at WHERE id = 'ville'"),
                {"at": corpus.LATER + timedelta(days=1)},
            )
    finally:
        await engine.dispose()
    harvested = await client.get(url, headers=since)
    assert harvested.status_code == 200
    seen = harvested.json()["provenance"]["last_seen"]
    assert seen != first.json()["provenance"]["last_seen"]
    since = {"If-Modified-Since": harvested.headers["last-modified"]}
    await corpus.withdraw(database_url, "velo", corpus.LATER + timedelta(days=2))
    withdrawn = await client.get(url, headers=since)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["provenance"]["status"] == "withdrawn"


@pytest.mark.parametrize("url", COLLECTIONS)
async def test_etags_change_after_a_commit_below_the_newest_stamp(
    database_url: str, client: httpx.AsyncClient, url: str
) -> None:
    """PostgreSQL: a dataset committed after the tag was made, stamped below the newest
    stamp and written earlier than the newest write (a transaction that drew its stamp
    before taking its id), leaves the stamp and write time as they were; the tag moves."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: nothing commits below the newest stamp")
    first = await client.get(url)
    tag = first.headers["etag"]
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            late = corpus.record("tard", {"fr": "Parc tardif"})
            await write_batch(session, "ville", [late], now=corpus.NOW - timedelta(days=30))
            await session.execute(
                sa.text("UPDATE dataset SET change_seq = 1 WHERE remote_id = 'tard'")
            )
    finally:
        await engine.dispose()
    changed = await client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.content != first.content, "the representation did change"


async def test_gzip_and_cors(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/catalog.ttl", headers={"Accept-Encoding": "gzip", "Origin": "https://other.example"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = await client.options(
        "/api/v1/datasets",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/api/v1/datasets?q=parc&limit=50", "/api/v1/datasets?limit=50", "/catalog.ttl"],
)
async def test_gzipped_bodies_are_the_identity_bodies(client: httpx.AsyncClient, url: str) -> None:
    """Whole bodies and streamed ones (the catalogue) come out of the compressor intact."""
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) >= 1000
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
        wire = b"".join([chunk async for chunk in zipped.aiter_raw()])
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert len(wire) < len(plain.content)
    assert gzip.decompress(wire) == plain.content


async def test_anonymous_reads_are_rate_limited(database_url: str) -> None:
    now = [0.0]
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    app.state.rate_limiter = TokenBuckets(rate=0.5, burst=3, clock=lambda: now[0])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        statuses = [(await client.get("/health")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await client.get("/health")
        assert limited.headers["retry-after"] == "2"
        assert limited.headers["content-type"] == "application/problem+json"
        now[0] += 2.0
        assert (await client.get("/health")).status_code == 200


async def test_rate_limit_follows_settings(database_url: str) -> None:
    limited = create_app(
        Settings(database_url=database_url, auto_migrate=False, rate_limit=2, rate_limit_burst=5)
    )
    assert limited.state.rate_limiter.rate == 2
    assert limited.state.rate_limiter.burst == 5
    unlimited = create_app(Settings(database_url=database_url, auto_migrate=False, rate_limit=0))
    assert unlimited.state.rate_limiter is None
    transport = httpx.ASGITransport(app=unlimited)
    async with (
        unlimited.router.lifespan_context(unlimited),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        statuses = {(await client.get("/health")).status_code for _ in range(80)}
    assert statuses == {200}, "80 reads at once, past the default burst of 60"


def test_token_buckets_refill_and_forget() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=1, burst=2, max_keys=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a"), buckets.take("a")] == [0, 0, 1.0]
    now[0] = 0.5
    assert buckets.take("a") == pytest.approx(0.5)  # refusals cost nothing
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: a fresh bucket
    assert buckets.take("a") == 0


async def test_publishers_and_stats(client: httpx.AsyncClient) -> None:
    publishers = (await client.get("/api/v1/publishers")).json()
    assert publishers[0] == {"name": "Ville de Québec", "datasets": len(corpus.VILLE)}
    assert {"name": "Ministère des Transports", "datasets": 1} in publishers
    stats = (await client.get("/api/v1/stats")).json()
    assert stats["datasets"] == len(corpus.SYNTHETIC) and stats["withdrawn"] == 0
    assert {"value": "ministry", "count": 2} in stats["by_partner_kind"]
    assert {"value": "min", "count": 2} in stats["by_source"]
    assert {"value": "CSV", "count": 2} in stats["by_format"]
    assert {"value": "CC-BY-4.0", "count": 2} in stats["by_licence"]


async def test_openapi_describes_every_endpoint_with_models_and_examples(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/api/v1/datasets",
        "/api/v1/datasets/{dataset_id}",
        "/catalog",
        "/catalog.{suffix}",
        "/datasets/{name}",
        "/api/v1/changes",
        "/api/v1/publishers",
        "/api/v1/stats",
        "/api/3/action/{action}",
    ):
        assert path in paths, path
    search = paths["/api/v1/datasets"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert {"q", "bbox", "cursor", "facets", "modified_since", "partner_kind", "sort"} <= names
    schemas = spec["components"]["schemas"]
    assert schemas["DatasetSearchPage"]["examples"]
    assert schemas["ChangeFeed"]["examples"] and schemas["Stats"]["examples"]
    assert "text/turtle" in paths["/catalog"]["get"]["responses"]["200"]["content"]
