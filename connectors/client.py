"""The one HTTP client every outside URL goes through, with the SSRF guard at connection time.

:class:`GuardedTransport` checks each request's URL (scheme, literal address) and gives its
httpcore pool a :class:`GuardedBackend`: ``connect_tcp`` resolves the host through the
:class:`~connectors.ssrf.SSRFGuard`, refuses forbidden addresses and connects to the checked
IP address itself, so a DNS answer cannot change between check and connect. TLS still uses
the original host name: httpcore passes ``server_hostname`` (the origin host) separately to
``start_tls``, so SNI and certificate checks are unaffected. Redirects are followed by
httpx, so every hop goes through the transport and is checked again.

Refusals are :class:`~connectors.errors.SourceForbidden`: httpx's ``map_httpcore_exceptions``
only maps httpcore exceptions and re-raises anything else unchanged.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import httpcore
import httpx

from connectors.errors import SourceForbidden
from connectors.ssrf import SSRFGuard

DEFAULT_USER_AGENT = "Moisson/0.1 (+open data harvester)"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that only opens TCP connections to addresses the guard allows."""

    def __init__(self, guard: SSRFGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host`` via the guard; connect to the first checked address that answers."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.guard.resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # resolve() never returns an empty list
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never an outside source."""
        raise SourceForbidden("refused: unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An ``httpx.AsyncHTTPTransport`` whose every connection passes the SSRF guard.

    Proxies are not supported on purpose: the guard would check the proxy, not the target.
    ``backend`` replaces the inner network backend (tests use it to observe connections).
    """

    def __init__(
        self,
        *,
        allow: Sequence[str] = (),
        guard: SSRFGuard | None = None,
        verify: ssl.SSLContext | bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits | None = None,
        retries: int = 0,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        # The parent __init__ is not called: it would build a second pool (and SSL context)
        # without our backend. ``_pool`` is the only state AsyncHTTPTransport's methods use.
        self.guard = guard if guard is not None else SSRFGuard(allow)
        limits = (
            limits
            if limits is not None
            else httpx.Limits(max_connections=100, max_keepalive_connections=20)
        )
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            retries=retries,
            network_backend=GuardedBackend(self.guard, backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the URL (scheme, literal address), then send through the guarded pool."""
        self.guard.check_url(request.url)
        try:
            return await super().handle_async_request(request)
        except SourceForbidden as exc:
            if exc.url is None:
                exc.url = str(request.url)
            raise


def cached_transport(inner: httpx.AsyncBaseTransport, cache_dir: Path) -> httpx.AsyncBaseTransport:
    """``inner`` behind an RFC 9111 HTTP cache (hishel) stored in ``cache_dir``: responses
    with ``ETag``/``Last-Modified`` are revalidated with conditional requests, and a
    ``304 Not Modified`` is answered from the cache."""
    from hishel import AsyncSqliteStorage
    from hishel.httpx import AsyncCacheTransport

    cache_dir.mkdir(parents=True, exist_ok=True)
    storage = AsyncSqliteStorage(database_path=cache_dir / "http-cache.db")
    return AsyncCacheTransport(next_transport=inner, storage=storage, rfc=True)


def build_client(
    *,
    allow: Sequence[str] = (),
    timeout: float = 30.0,
    max_redirects: int = 5,
    user_agent: str = DEFAULT_USER_AGENT,
    headers: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for outside URLs: SSRF-guarded, redirects followed and
    re-checked, ``timeout`` seconds on every request. ``allow`` is for tests/local replays;
    ``cache_dir`` turns on conditional requests through an HTTP cache (off by default)."""
    transport: httpx.AsyncBaseTransport = GuardedTransport(allow=allow)
    if cache_dir is not None:
        transport = cached_transport(transport, cache_dir)
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=True,
        max_redirects=max_redirects,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent, **(headers or {})},
        trust_env=False,  # no environment proxies or .netrc credentials
    )
