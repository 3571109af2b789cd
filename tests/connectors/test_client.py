"""The guarded client end to end, against a real HTTP server on 127.0.0.1 only.

Every TCP connection the default backend opens is recorded by ``connects``, which also
refuses (before any socket exists) anything that is not loopback: a broken guard fails the
test instead of sending traffic out.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpcore
import httpx
import pytest

from connectors.client import GuardedBackend, GuardedTransport, build_client
from connectors.errors import SourceForbidden
from connectors.ssrf import SSRFGuard
from tests.connectors.loopback import loopback_only


@dataclass
class LoopbackServer:
    """A tiny HTTP/1.1 server: ``/redirect?to=URL`` answers 302, anything else 200 "ok"."""

    port: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in header_lines if line)
        }
        target = request_line.split(" ")[1]
        self.requests.append((target, headers))
        parts = urlsplit(target)
        if parts.path == "/redirect":
            location = parse_qs(parts.query)["to"][0]
            status, extra, body = "302 Found", f"Location: {location}\r\n", b""
        else:
            status, extra, body = "200 OK", "", b"ok"
        writer.write(
            f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode("latin-1")
            + body
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    state = LoopbackServer()
    srv = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield state


@pytest.fixture(autouse=True)
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every real TCP connect; refuse non-loopback ones before any socket is made."""
    return loopback_only(monkeypatch)


@pytest.fixture
async def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names in the returned dict resolve to the given addresses; others resolve normally."""
    table: dict[str, list[str]] = {}
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host: str, port: int, **kwargs: Any) -> Any:
        if host not in table:
            return await real(host, port, **kwargs)
        if kwargs.get("flags") == socket.AI_NUMERICHOST:
            raise socket.gaierror(socket.EAI_NONAME, "not numeric")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return table


async def test_loopback_refused_by_default(server: LoopbackServer, connects: list[str]) -> None:
    async with build_client() as client:
        with pytest.raises(SourceForbidden, match=r"127\.0\.0\.1 is a private or reserved"):
            await client.get(server.url + "/")
    assert server.requests == []
    assert connects == []


async def test_loopback_allowed_explicitly(server: LoopbackServer, connects: list[str]) -> None:
    async with build_client(allow=["127.0.0.1"], headers={"Accept": "application/json"}) as c:
        response = await c.get(server.url + "/catalog")
    assert response.status_code == 200
    assert response.text == "ok"
    target, headers = server.requests[0]
    assert target == "/catalog"
    assert headers["user-agent"] == "Moisson/0.1 (+open data harvester)"
    assert headers["accept"] == "application/json"
    assert connects == ["127.0.0.1"]


def test_build_client_settings() -> None:
    client = build_client(timeout=7.5, max_redirects=3)
    assert client.follow_redirects is True
    assert client.max_redirects == 3
    assert client.timeout == httpx.Timeout(7.5)
    assert isinstance(client._transport, GuardedTransport)
    assert client.trust_env is False


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "127.1", "localhost", "[::ffff:127.0.0.1]", "[::1]"]
)
async def test_loopback_spellings_refused(
    host: str, server: LoopbackServer, connects: list[str]
) -> None:
    async with build_client() as client:
        with pytest.raises(SourceForbidden):
            await client.get(f"http://{host}:{server.port}/")
    assert server.requests == []
    assert connects == []


async def test_octal_spelling_rejected_by_httpx(server: LoopbackServer) -> None:
    async with build_client() as client:
        with pytest.raises(httpx.InvalidURL):
            await client.get(f"http://0177.0.0.1:{server.port}/")
    assert server.requests == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "localhost"])
async def test_backend_refuses_at_connect_time(host: str, connects: list[str]) -> None:
    """The connection-time layer alone (no URL check) refuses every loopback spelling."""
    backend = GuardedBackend(SSRFGuard())
    with pytest.raises(SourceForbidden):
        await backend.connect_tcp(host, 80)
    assert connects == []


async def test_dns_answer_checked_at_connect_time(
    server: LoopbackServer, connects: list[str], fake_dns: dict[str, list[str]]
) -> None:
    """A public-looking name that resolves to loopback passes check_url but not the connect."""
    fake_dns["rebind.example"] = ["127.0.0.1"]
    async with build_client() as client:
        with pytest.raises(
            SourceForbidden, match=r"rebind\.example resolves to 127\.0\.0\.1"
        ) as info:
            await client.get(f"http://rebind.example:{server.port}/")
    assert info.value.url == f"http://rebind.example:{server.port}/"
    assert server.requests == []
    assert connects == []


async def test_connects_to_the_checked_address(
    server: LoopbackServer, connects: list[str], fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["replay.example"] = ["127.0.0.1"]
    async with build_client(allow=["127.0.0.1"]) as client:
        response = await client.get(f"http://replay.example:{server.port}/x")
    assert response.status_code == 200
    assert connects == ["127.0.0.1"]  # the resolved IP, never the name again
    assert server.requests[0][1]["host"] == f"replay.example:{server.port}"


async def test_redirect_within_allowed_server_followed(server: LoopbackServer) -> None:
    async with build_client(allow=["127.0.0.1"]) as client:
        response = await client.get(server.url + "/redirect?to=/final")
    assert response.status_code == 200
    assert [target for target, _ in server.requests] == ["/redirect?to=/final", "/final"]


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}/",
        "http://[::1]:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_x",
    ],
)
async def test_redirect_hop_refused(
    location: str, server: LoopbackServer, connects: list[str]
) -> None:
    hop = location.format(port=server.port)
    async with build_client(allow=["127.0.0.1"]) as client:
        with pytest.raises(SourceForbidden, match=r"^refused: ") as info:
            await client.get(server.url + "/redirect", params={"to": hop})
    # httpx gives a host-less Location (file:///…) the host of the redirecting request
    assert info.value.url == hop.replace(":///", "://127.0.0.1/")
    assert [target for target, _ in server.requests] == [server.requests[0][0]]
    assert server.requests[0][0].startswith("/redirect?to=")
    assert connects == ["127.0.0.1"]  # only the first, allowed hop ever connected


async def test_redirect_to_resolved_private_address_refused(
    server: LoopbackServer, connects: list[str], fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["internal.example"] = ["10.0.0.1"]
    async with build_client(allow=["127.0.0.1"]) as client:
        with pytest.raises(SourceForbidden, match=r"resolves to 10\.0\.0\.1"):
            await client.get(server.url + "/redirect?to=http://internal.example/")
    assert len(server.requests) == 1
    assert connects == ["127.0.0.1"]


class RecordingStream(httpcore.AsyncNetworkStream):
    """Answers one canned HTTP response; records the TLS server name it was given."""

    def __init__(self, log: list[tuple[str, str | None]]) -> None:
        self.log = log
        self.chunks = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return self.chunks.pop(0) if self.chunks else b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        return None

    async def aclose(self) -> None:
        return None

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        self.log.append(("start_tls", server_hostname))
        return self


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Never touches the network; ``unreachable`` addresses fail like a refused connect."""

    def __init__(self, unreachable: Iterable[str] = ()) -> None:
        self.log: list[tuple[str, str | None]] = []
        self.unreachable = set(unreachable)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.log.append(("connect_tcp", host))
        if host in self.unreachable:
            raise httpcore.ConnectError("connection refused")
        return RecordingStream(self.log)

    async def sleep(self, seconds: float) -> None:
        return None


async def test_tls_uses_original_host_name(fake_dns: dict[str, list[str]]) -> None:
    """Connect to the checked IP, but SNI/certificate checks use the URL's host name."""
    fake_dns["portal.example"] = ["127.0.0.1"]
    backend = RecordingBackend()
    transport = GuardedTransport(allow=["127.0.0.1"], backend=backend)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://portal.example/api/3/action/status_show")
    assert response.text == "ok"
    assert backend.log == [("connect_tcp", "127.0.0.1"), ("start_tls", "portal.example")]


async def test_next_checked_address_tried_when_first_fails(
    fake_dns: dict[str, list[str]],
) -> None:
    fake_dns["two.example"] = ["127.0.0.2", "127.0.0.3"]
    backend = RecordingBackend(unreachable=["127.0.0.2"])
    transport = GuardedTransport(allow=["127.0.0.0/8"], backend=backend)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("http://two.example/")
    assert response.status_code == 200
    assert backend.log == [("connect_tcp", "127.0.0.2"), ("connect_tcp", "127.0.0.3")]


async def test_unresolvable_name_is_a_connect_error(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["nothing.example"] = []
    backend = RecordingBackend()
    transport = GuardedTransport(backend=backend)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError, match=r"cannot resolve nothing\.example"):
            await client.get("http://nothing.example/")
    assert backend.log == []


async def test_unix_sockets_refused() -> None:
    with pytest.raises(SourceForbidden, match="unix sockets"):
        await GuardedBackend(SSRFGuard()).connect_unix_socket("/var/run/docker.sock")
