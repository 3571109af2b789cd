"""The SSRF guard (DESIGN §9): which URLs and addresses Moisson may connect to.

Only ``http``/``https`` URLs whose host resolves exclusively to globally routable
addresses are allowed. :func:`is_forbidden_address` does not trust ``ipaddress``'s
``is_global`` alone (Python 3.11 calls 192.0.0.8 and 64:ff9b::7f00:1 global) and
unwraps IPv4 addresses embedded in IPv6 ones (mapped, compatible, NAT64, 6to4, Teredo).

Numeric host spellings: httpx's URL parser does *not* normalize ``2130706433``,
``0x7f000001`` or ``127.1`` (they stay host names) and rejects ``0177.0.0.1`` as an
invalid URL. :meth:`SSRFGuard.check_url` parses the first three like ``inet_aton`` does and
:meth:`SSRFGuard.resolve` checks whatever ``getaddrinfo`` turns them into, so both layers
refuse them. The client transport (``connectors.client``) connects to the checked address
itself, so DNS rebinding between check and connect is impossible.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterator, Sequence

import httpx

from connectors.errors import SourceForbidden

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges that are never a public web server (IANA special-purpose registry).
FORBIDDEN_V4: tuple[ipaddress.IPv4Network, ...] = (
    _V4("0.0.0.0/8"),  # "this network"
    _V4("10.0.0.0/8"),  # private
    _V4("100.64.0.0/10"),  # CGNAT shared address space
    _V4("127.0.0.0/8"),  # loopback
    _V4("169.254.0.0/16"),  # link-local, cloud metadata 169.254.169.254
    _V4("172.16.0.0/12"),  # private
    _V4("192.0.0.0/24"),  # IETF protocol assignments (incl. 192.0.0.8-10)
    _V4("192.0.2.0/24"),  # TEST-NET-1
    _V4("192.88.99.0/24"),  # deprecated 6to4 relay anycast
    _V4("192.168.0.0/16"),  # private
    _V4("198.18.0.0/15"),  # benchmarking
    _V4("198.51.100.0/24"),  # TEST-NET-2
    _V4("203.0.113.0/24"),  # TEST-NET-3
    _V4("224.0.0.0/4"),  # multicast
    _V4("240.0.0.0/4"),  # reserved, incl. broadcast 255.255.255.255
)

#: IPv6 ranges that are never a public web server.
FORBIDDEN_V6: tuple[ipaddress.IPv6Network, ...] = (
    _V6("::/96"),  # unspecified, loopback, deprecated IPv4-compatible
    _V6("::ffff:0:0:0/96"),  # SIIT IPv4-translated
    _V6("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215), not globally reachable
    _V6("100::/64"),  # discard-only
    _V6("2001::/23"),  # IETF protocol assignments, incl. Teredo 2001::/32
    _V6("2001:db8::/32"),  # documentation
    _V6("3fff::/20"),  # documentation (RFC 9637)
    _V6("5f00::/16"),  # SRv6 SIDs
    _V6("fc00::/7"),  # unique-local
    _V6("fe80::/10"),  # link-local
    _V6("fec0::/10"),  # deprecated site-local
    _V6("ff00::/8"),  # multicast
)

_IPV4_COMPATIBLE = _V6("::/96")
_IPV4_TRANSLATED = _V6("::ffff:0:0:0/96")
_NAT64_WELL_KNOWN = _V6("64:ff9b::/96")
_NAT64_LOCAL_USE = _V6("64:ff9b:1::/48")
_LOW32_CARRIERS = (_IPV4_COMPATIBLE, _IPV4_TRANSLATED, _NAT64_WELL_KNOWN, _NAT64_LOCAL_USE)
_NUMERIC_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> Iterator[ipaddress.IPv4Address]:
    """IPv4 addresses carried inside ``ip`` by a transition mechanism."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        yield ip.ipv4_mapped
    if any(ip in net for net in _LOW32_CARRIERS):
        yield low32
    if ip.sixtofour is not None:
        yield ip.sixtofour
    if ip.teredo is not None:  # (server, de-obfuscated client)
        yield from ip.teredo


def is_forbidden_address(ip: IPAddress) -> bool:
    """True if ``ip`` is not a globally routable unicast address (or embeds one that isn't)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return any(ip in net for net in FORBIDDEN_V4) or not ip.is_global
    mapped = ip.ipv4_mapped
    if mapped is not None:  # ::ffff:a.b.c.d is exactly a.b.c.d on a dual-stack socket
        return is_forbidden_address(mapped)
    if any(is_forbidden_address(v4) for v4 in _embedded_ipv4(ip)):
        return True
    return any(ip in net for net in FORBIDDEN_V6) or not ip.is_global


def parse_ip(host: str) -> IPAddress | None:
    """The address a host spelling denotes, including ``inet_aton`` forms (``127.1``, ``0x7f…``)."""
    host = host.strip("[]").split("%", 1)[0]  # brackets and IPv6 zone id
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _normalize_name(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


class SSRFGuard:
    """Decides whether a URL may be fetched; ``allow`` exempts hosts, IPs and CIDRs.

    The allow-list is for tests and local replays only (``MOISSON_SSRF_ALLOW``):
    e.g. ``["127.0.0.1", "::1", "localhost", "10.0.0.0/8"]``.
    """

    def __init__(self, allow: Sequence[str] = ()) -> None:
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in allow:
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(_normalize_name(entry))
        self.allowed_names = frozenset(names)
        self.allowed_networks = tuple(networks)

    def is_allowed_address(self, ip: IPAddress) -> bool:
        """True if ``ip`` is global, or inside an allowed network."""
        if any(ip.version == net.version and ip in net for net in self.allowed_networks):
            return True
        return not is_forbidden_address(ip)

    def check_url(self, url: str | httpx.URL) -> None:
        """Refuse (``SourceForbidden``) a URL that is not http(s), has no host, or names a
        forbidden address literally. Host names are checked when resolved (:meth:`resolve`)."""
        text = str(url)
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise SourceForbidden(f"refused: invalid URL ({exc})", url=text) from None
        scheme = parsed.scheme.lower()
        if not scheme:
            raise SourceForbidden("refused: URL has no scheme (http or https needed)", url=text)
        if scheme not in ALLOWED_SCHEMES:
            raise SourceForbidden(f"refused: {scheme}:// URLs are not allowed", url=text)
        host = parsed.host
        if not host:
            raise SourceForbidden("refused: URL has no host", url=text)
        name = _normalize_name(host)
        if name in self.allowed_names:
            return
        ip = parse_ip(host)
        if ip is not None and not self.is_allowed_address(ip):
            raise SourceForbidden(f"refused: {ip} is a private or reserved address", url=text)
        if ip is None and (name == "localhost" or name.endswith(".localhost")):
            raise SourceForbidden(f"refused: {host} is a local host name", url=text)

    async def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and return its addresses, all checked; refuse if ANY is forbidden.

        Numeric spellings are parsed without DNS (``AI_NUMERICHOST``) first.
        Raises ``socket.gaierror`` when the name does not resolve.
        """
        host = host.strip("[]")
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
            )
        except socket.gaierror:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise socket.gaierror(f"no address for {host}")
        if _normalize_name(host) in self.allowed_names:
            return addresses
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not self.is_allowed_address(ip):
                what = address if address == host else f"{host} resolves to {address}, which"
                raise SourceForbidden(f"refused: {what} is a private or reserved address")
        return addresses
