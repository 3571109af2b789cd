"""A loopback CKAN that misbehaves on demand, serving real recorded packages.

The packages come from ``../shared/fixtures/ckan`` at test time (never copied). Faults are
rules matched on the page number (1-based, from ``start``/``rows``) and fired a given number
of times: ``429`` (with ``Retry-After``), ``503``, ``html`` (an HTML page with status 200),
``truncated`` (a JSON page cut in the middle), ``hang`` (no answer until the client gives
up: a timeout). ``delay`` slows every page (for kill -9 tests); ``etag`` turns on
``ETag``/``If-None-Match`` → ``304``. Every request is logged with its answer.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.connectors.ckan_replay import load_lines, search_results
from tests.paths import fixture


def recorded_packages() -> list[dict[str, Any]]:
    """Real CKAN packages: UNHCR, data.gov and dados.gov.br searches plus open.canada."""
    packages = search_results(
        "ridl-unhcr_package_search_start0_rows5.json",
        "datagov_catalog-dev_package_search.json",
        "dadosgovbr_package_search_rows2.json",
    )
    return packages + list(load_lines("open-canada_packages_fluent.jsonl"))


MAINTENANCE_HTML = "bad_html_503_maintenance_catalog-data-gov.html"


@dataclass
class Fault:
    """Misbehave on ``page`` (any page when None) the next ``times`` times it is asked."""

    kind: str
    page: int | None = None
    times: int = 1
    retry_after: str = "7"


@dataclass
class Logged:
    page: int
    start: int
    status: int
    fault: str | None
    if_none_match: str | None


@dataclass
class Portal:
    """What the server serves; tests change it between runs."""

    packages: list[dict[str, Any]]
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0
    etag: bool = False
    log: list[Logged] = field(default_factory=list)
    in_flight: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, page: int) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.page in (None, page):
                    fault.times -= 1
                    return fault
        return None

    def pages(self, status: int | None = None) -> list[int]:
        """Pages requested so far (optionally only those answered with ``status``)."""
        return [e.page for e in self.log if status is None or e.status == status]


def _handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path != "/api/3/action/package_search":
                self._send(404, b'{"success": false}', "application/json")
                return
            start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
            page = start // max(rows, 1) + 1
            with portal.lock:
                portal.in_flight += 1
            try:
                if portal.delay:
                    portal.stop.wait(portal.delay)
                fault = portal.take_fault(page)
                inm = self.headers.get("If-None-Match")
                status = self._answer(fault, start, rows, inm)
                portal.log.append(Logged(page, start, status, fault.kind if fault else None, inm))
            finally:
                with portal.lock:
                    portal.in_flight -= 1

        def _answer(self, fault: Fault | None, start: int, rows: int, inm: str | None) -> int:
            kind = fault.kind if fault else None
            if kind == "hang":
                portal.stop.wait(5)
                self.close_connection = True
                return 0
            if kind in ("429", "503"):
                extra = {"Retry-After": fault.retry_after} if fault and kind == "429" else {}
                self._send(int(kind), b'{"success": false}', "application/json", extra)
                return int(kind)
            if kind == "html":
                html = fixture("ckan", MAINTENANCE_HTML).read_bytes()
                self._send(200, html, "text/html; charset=utf-8")
                return 200
            result = {
                "count": len(portal.packages),
                "results": portal.packages[start : start + rows],
            }
            body = json.dumps({"help": "", "success": True, "result": result}).encode()
            if kind == "truncated":
                self._send(200, body[: len(body) // 2], "application/json")
                return 200
            if portal.etag:
                tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if inm == tag:
                    self._send(304, b"", None, {"ETag": tag})
                    return 304
                self._send(
                    200, body, "application/json", {"ETag": tag, "Cache-Control": "no-cache"}
                )
                return 200
            self._send(200, body, "application/json")
            return 200

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str | None,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                with suppress(OSError):  # the client gave up (timeout, killed process)
                    self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that vanish (timeouts, kill -9) are part of the tests."""


@contextmanager
def serve(portal: Portal) -> Iterator[str]:
    """Run the portal on 127.0.0.1; yields its base URL."""
    server = _QuietServer(("127.0.0.1", 0), _handler(portal))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        portal.stop.set()
        server.shutdown()
        server.server_close()
        thread.join()
