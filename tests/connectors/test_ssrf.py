"""The SSRF guard: forbidden addresses, URL checks and resolution (no network traffic)."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from connectors.errors import SourceForbidden
from connectors.ssrf import SSRFGuard, is_forbidden_address, parse_ip

FORBIDDEN = [
    # IPv4
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "192.0.2.1",  # TEST-NET-1
    "198.51.100.7",  # TEST-NET-2
    "203.0.113.9",  # TEST-NET-3
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "192.0.0.1",
    "192.0.0.8",  # Python 3.11 says global
    "192.0.0.9",  # Python 3.11 says global
    "192.0.0.10",  # Python 3.11 says global
    "192.88.99.1",  # 6to4 relay anycast
    # IPv6
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "3fff::1",  # documentation (RFC 9637)
    "100::1",  # discard
    # IPv4 embedded in IPv6
    "::ffff:127.0.0.1",  # mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # compatible
    "::8.8.8.8",  # compatible (deprecated) — never a real server
    "::ffff:0:127.0.0.1",  # SIIT translated
    "64:ff9b::7f00:1",  # NAT64 well-known, Python 3.11 says global
    "64:ff9b::a00:1",  # NAT64 → 10.0.0.1
    "64:ff9b::c000:8",  # NAT64 → 192.0.0.8
    "64:ff9b:1::7f00:1",  # NAT64 local-use
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:7f00:1::1",  # Teredo, server 127.0.0.1
    "2001:0:808:808:0:0:80ff:fffe",  # Teredo, obfuscated client 127.0.0.1
]

GLOBAL = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "192.0.1.1",  # just outside 192.0.0.0/24
    "100.128.0.1",  # just outside CGNAT
    "172.32.0.1",  # just outside 172.16/12
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",  # mapped global address is that address
    "64:ff9b::808:808",  # DNS64-synthesized 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_forbidden_addresses(text: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(text)) is True


@pytest.mark.parametrize("text", GLOBAL)
def test_global_addresses_allowed(text: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(text)) is False


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("example.org", None),
        ("1.2.3.4.5", None),
    ],
)
def test_parse_ip_numeric_spellings(spelling: str, expected: str | None) -> None:
    ip = parse_ip(spelling)
    assert (str(ip) if ip is not None else None) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "file://"),
        ("ftp://example.org/data.csv", "ftp://"),
        ("gopher://example.org:70/_x", "gopher://"),
        ("data:text/plain,hello", "data://"),
        ("http:///path-only", "no host"),
        ("https://", "no host"),
        ("example.org/no-scheme", "no scheme"),
        ("http://127.0.0.1/", "127.0.0.1 is a private or reserved address"),
        ("http://[::1]:8080/", "::1 is a private or reserved address"),
        ("http://[::ffff:127.0.0.1]/", "private or reserved"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://2130706433/", "127.0.0.1 is a private"),
        ("http://0x7f000001/", "127.0.0.1 is a private"),
        ("http://127.1/", "127.0.0.1 is a private"),
        ("http://0177.0.0.1/", "invalid URL"),  # httpx itself rejects this spelling
        ("http://localhost:8000/", "local host name"),
        ("http://LOCALHOST./", "local host name"),
        ("http://api.localhost/", "local host name"),
    ],
)
def test_check_url_refuses(url: str, message: str) -> None:
    with pytest.raises(SourceForbidden) as info:
        SSRFGuard().check_url(url)
    assert info.value.message.startswith("refused: ")
    assert message in info.value.message
    assert info.value.url == url


def test_httpx_does_not_normalize_numeric_hosts() -> None:
    """Documents why the guard parses numeric spellings itself."""
    assert httpx.URL("http://2130706433/").host == "2130706433"
    assert httpx.URL("http://127.1/").host == "127.1"
    with pytest.raises(httpx.InvalidURL):
        httpx.URL("http://0177.0.0.1/")


@pytest.mark.parametrize(
    "url", ["https://donnees.example.org/api/3", "http://8.8.8.8/", "HTTPS://Example.org"]
)
def test_check_url_accepts_public_http(url: str) -> None:
    SSRFGuard().check_url(url)
    SSRFGuard().check_url(httpx.URL(url))


def test_check_url_allow_list() -> None:
    guard = SSRFGuard(["127.0.0.1", "localhost", "10.0.0.0/8", "[::1]"])
    guard.check_url("http://127.0.0.1:8000/")
    guard.check_url("http://localhost:8000/")
    guard.check_url("http://10.20.30.40/")
    guard.check_url("http://[::1]/")
    with pytest.raises(SourceForbidden):
        guard.check_url("http://127.0.0.2/")
    with pytest.raises(SourceForbidden):
        guard.check_url("http://192.168.0.1/")
    with pytest.raises(SourceForbidden):  # the allow-list never opens other schemes
        guard.check_url("file://localhost/etc/passwd")


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1"])
async def test_resolve_refuses_numeric_loopback(host: str) -> None:
    with pytest.raises(SourceForbidden, match=r"127\.0\.0\.1"):
        await SSRFGuard().resolve(host, 80)


async def test_resolve_refuses_ipv6_forms() -> None:
    for host in ("::1", "[::1]", "::ffff:127.0.0.1", "64:ff9b::7f00:1"):
        with pytest.raises(SourceForbidden):
            await SSRFGuard().resolve(host, 80)


async def test_resolve_localhost_refused_unless_allowed() -> None:
    with pytest.raises(SourceForbidden, match="localhost resolves to"):
        await SSRFGuard().resolve("localhost", 80)
    addresses = await SSRFGuard(["localhost"]).resolve("localhost", 80)
    assert addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)


async def test_resolve_allowed_cidr_and_address() -> None:
    assert await SSRFGuard(["127.0.0.0/8"]).resolve("127.0.0.2", 80) == ["127.0.0.2"]
    assert await SSRFGuard(["127.0.0.1"]).resolve("2130706433", 80) == ["127.0.0.1"]
    with pytest.raises(SourceForbidden):
        await SSRFGuard(["127.0.0.1"]).resolve("127.0.0.2", 80)


async def test_resolve_refuses_if_any_address_is_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name with one public and one private address is refused (no DNS: getaddrinfo faked)."""
    import socket

    loop = asyncio.get_running_loop()

    async def fake_getaddrinfo(host: str, port: int, **kwargs: object) -> list[object]:
        if kwargs.get("flags") == socket.AI_NUMERICHOST:
            raise socket.gaierror(socket.EAI_NONAME, "not numeric")
        assert host == "mixed.example"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(SourceForbidden, match=r"mixed\.example resolves to 10\.1\.2\.3"):
        await SSRFGuard().resolve("mixed.example", 443)
    assert await SSRFGuard(["10.0.0.0/8"]).resolve("mixed.example", 443) == [
        "93.184.215.14",
        "10.1.2.3",
    ]
