"""Keep tests that open real sockets on 127.0.0.1: every TCP connect is recorded, and one to
anything but loopback fails the test before a socket exists."""

from __future__ import annotations

import ipaddress
from typing import Any

import httpcore
import pytest


def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every real TCP connect (the hosts, in order) in the returned list; refuse
    non-loopback ones before any socket is made."""
    seen: list[str] = []
    real = httpcore.AnyIOBackend.connect_tcp

    async def spy(self: httpcore.AnyIOBackend, host: str, port: int, **kwargs: Any) -> Any:
        seen.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"test tried to connect to non-loopback {host}")
        return await real(self, host, port, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return seen
