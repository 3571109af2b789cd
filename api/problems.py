"""RFC 9457 problem details: every error the API returns goes through these handlers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://moisson.example/problems/"


class Problem(Exception):
    """An error with its HTTP status, raised anywhere below a route."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.headers = headers
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.type = type_ or "about:blank"
        self.extra = extra


def bad_parameter(location: str, message: str) -> Problem:
    """A 400 for one bad request parameter, shaped like the validation errors
    (``location`` is ``query.<name>``)."""
    return Problem(
        400,
        f"{location}: {message}",
        title="Invalid request",
        type_=PROBLEM_BASE + "invalid-request",
        errors=[{"location": location, "message": message}],
    )


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def _problem(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(
        error.status,
        error.detail,
        title=error.title,
        type_=error.type,
        headers=error.headers,
        **error.extra,
    )


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem_response(error.status_code, str(error.detail), headers=dict(error.headers or {}))


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    """Malformed parameters are a 400 naming each one (``query.limit: …``)."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {"location": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors()
    ]
    detail = "; ".join(f"{p['location']}: {p['message']}" for p in problems)
    return problem_response(
        400,
        detail,
        title="Invalid request",
        type_=PROBLEM_BASE + "invalid-request",
        errors=problems,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error through problem details."""
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
