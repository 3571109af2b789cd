"""``HEAD`` answered as ``GET`` without its body (RFC 9110, 9.3.2).

FastAPI's routes declared ``GET`` answer ``HEAD`` with 405 (Starlette's own routes add
``HEAD``, FastAPI's do not). Link checkers and harvesters probe a catalogue's feeds and
dataset pages with ``HEAD`` (data.europa.eu's and CKAN's link checkers do) and saw them as
broken. The application sees such a request as ``GET``; the response's status and headers
go out as they are (``Content-Type``, ``Content-Length``, ``ETag``, a 304 for a matching
``If-None-Match``, a 429 past the rate limit) and its body is dropped.

A streamed body (a whole-catalogue dump, ``/catalog.ttl?limit=all``) is stopped at its
first part: the response ends there and the application is interrupted, as when a client
goes away, so a ``HEAD`` on a dump of a million datasets costs its first page, not the
export.
"""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _BodyDropped(Exception):
    """Raised into the application once a ``HEAD`` response is complete, to stop a body
    still being streamed."""


class HeadAsGetMiddleware:
    """Runs ``HEAD`` requests as ``GET`` and sends no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def without_body(message: Message) -> None:
            nonlocal ended
            if message["type"] != "http.response.body":
                await send(message)
                return
            if not ended:
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            if message.get("more_body", False):
                raise _BodyDropped

        with contextlib.suppress(_BodyDropped):
            await self.app({**scope, "method": "GET"}, receive, without_body)
