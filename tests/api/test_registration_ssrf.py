"""SSRF attempts at registration are refused with 422 and nothing is fetched (DESIGN §9).

The app uses its real SSRF-guarded client here (no replay). Loopback servers count the
requests they receive, so "nothing fetched" is checked, not assumed.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.store.tables import Source
from tests.api.portal_replay import make_app, registration


class Counting(BaseHTTPRequestHandler):
    """Answers 200 to anything and counts the requests; ``redirect`` makes it a 302."""

    hits: list[str]
    redirect: str | None = None

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.redirect:
            self.send_response(302)
            self.send_header("Location", self.redirect + self.path)
            self.end_headers()
            return
        body = b'{"success": true, "result": {"ckan_version": "2.9"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(host: str, redirect: str | None = None) -> tuple[ThreadingHTTPServer, list[str]]:
    hits: list[str] = []
    handler = type("Handler", (Counting,), {"hits": hits, "redirect": redirect})
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


@pytest.fixture
def target() -> Iterator[tuple[int, list[str]]]:
    """A loopback server that must never be reached: (port, requests received)."""
    server, hits = _serve("127.0.0.1")
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


async def _post(database_url: str, url: str, allow: list[str] | None = None) -> httpx.Response:
    app = make_app(database_url, ssrf_allow=allow or [], config="/nonexistent/sources.toml")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        return await client.post("/api/v1/sources", json=registration(url=url))


async def _no_source(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Source)) == 0


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["errors"][0]["location"] == "body.url"
    assert "refused" in problem["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://127.1:{port}/",
    ],
)
async def test_loopback_is_refused_and_not_fetched(
    database_url: str, sessions, target: tuple[int, list[str]], url: str
) -> None:
    port, hits = target
    _refused(await _post(database_url, url.format(port=port)))
    assert hits == []
    await _no_source(sessions)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://192.168.1.10/catalogue",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://192.0.0.8/",
    ],
)
async def test_private_and_metadata_addresses_are_refused(
    database_url: str, sessions, url: str
) -> None:
    _refused(await _post(database_url, url))
    await _no_source(sessions)


@pytest.fixture
async def fake_dns(target: tuple[int, list[str]]) -> AsyncIterator[None]:
    """Names resolving to forbidden addresses (no real DNS)."""
    answers = {"intranet.example.org": "10.1.2.3", "rebind.example.org": "127.0.0.1"}
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(
        host: bytes | str | None, port: bytes | str | int | None, **kwargs: Any
    ) -> Any:
        if isinstance(host, str) and host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return await real(host, port, **kwargs)

    loop.getaddrinfo = getaddrinfo  # type: ignore[method-assign]
    try:
        yield
    finally:
        loop.getaddrinfo = real  # type: ignore[method-assign]


@pytest.mark.parametrize("host", ["intranet.example.org", "rebind.example.org"])
async def test_names_resolving_to_forbidden_addresses_are_refused(
    database_url: str, sessions, target: tuple[int, list[str]], fake_dns: None, host: str
) -> None:
    port, hits = target
    response = await _post(database_url, f"http://{host}:{port}/")
    _refused(response)
    assert "resolves to" in response.json()["detail"]
    assert hits == []
    await _no_source(sessions)


@pytest.mark.parametrize(
    "destination",
    ["http://localhost:{port}", "http://127.0.0.2:{port}", "http://169.254.169.254"],
)
async def test_redirects_to_forbidden_addresses_are_refused(
    database_url: str, sessions, target: tuple[int, list[str]], destination: str
) -> None:
    port, hits = target
    front, front_hits = _serve("127.0.0.1", redirect=destination.format(port=port))
    try:
        # The front server itself is allowed (as a test replay would be); its redirects are not.
        response = await _post(
            database_url, f"http://127.0.0.1:{front.server_address[1]}/", allow=["127.0.0.1/32"]
        )
    finally:
        front.shutdown()
        front.server_close()
    _refused(response)
    assert front_hits, "the allowed front server was asked"
    assert hits == []
    await _no_source(sessions)
