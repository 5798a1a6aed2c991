"""The one mapping from Homeport's errors to HTTP answers: `{"error": {"code", "message", "fields"?}}`."""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from homeport.core.errors import (
    Busy,
    Conflict,
    Forbidden,
    HomeportError,
    InvalidInput,
    NotFound,
    OffsetMismatch,
    OperationFailed,
    TooManyAttempts,
    Unauthenticated,
)

_log = structlog.get_logger("homeport.http")

STATUS_OF: dict[type[HomeportError], int] = {
    InvalidInput: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    Busy: 503,
    OperationFailed: 500,
}

_FRIENDLY: dict[str, str] = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field; remove it.",
    "string_type": "Send text here.",
    "bool_type": "Send true or false here.",
    "int_type": "Send a whole number here.",
    "int_parsing": "Enter a whole number.",
    "bool_parsing": "Choose yes or no.",
    "list_type": "Send a list here.",
    "dict_type": "Send an object here.",
    "model_type": "Send a JSON object here.",
    "model_attributes_type": "Send a JSON object here.",
}


class AsciiJSONResponse(JSONResponse):
    """Error answers in ASCII JSON: a message may echo what the client sent, lone surrogates included, and
    must still encode (an escaped `\\ud800` is valid JSON, a raw one is not valid UTF-8)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def status_of(error: HomeportError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return {"error": detail}


def error_response(error: HomeportError) -> JSONResponse:
    headers = {}
    if isinstance(error, TooManyAttempts | Busy):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, OffsetMismatch):
        headers["X-Upload-Offset"] = str(error.expected)
    fields = error.fields or None
    return AsciiJSONResponse(
        error_body(error.code, error.message, fields), status_code=status_of(error), headers=headers
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


_WITH_LIMIT: dict[str, tuple[str, str]] = {
    "string_too_long": ("Use at most {} characters.", "max_length"),
    "string_too_short": ("Use at least {} character(s).", "min_length"),
    "too_long": ("Send at most {} items.", "max_length"),
    "greater_than_equal": ("Use a number of at least {}.", "ge"),
    "less_than_equal": ("Use a number of at most {}.", "le"),
}


def _friendly(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _WITH_LIMIT:
        sentence, limit = _WITH_LIMIT[kind]
        return sentence.format(ctx.get(limit))
    if kind == "literal_error":
        return f"Choose one of {ctx.get('expected', 'the values listed in the API document')}."
    if kind in ("greater_than", "less_than"):
        return str(error.get("msg", "Out of range."))
    return _FRIENDLY.get(kind, str(error.get("msg", "Not valid.")))


def field_problems(errors: list[Any], *, depth: int | None = None) -> dict[str, str]:
    """Pydantic's errors as one friendly sentence per field path (the first problem of a field wins); `depth`
    cuts the path (a form shows `allow_list`, not `allow_list.3`)."""
    fields: dict[str, str] = {}
    for error in errors:
        path = _field_path(tuple(error.get("loc", ())))
        if depth is not None:
            path = ".".join(path.split(".")[:depth])
        fields.setdefault(path, _friendly(error))
    return fields


def validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return AsciiJSONResponse(
            error_body("invalid_json", "The request body is not valid JSON; send a JSON object."),
            status_code=400,
        )
    return AsciiJSONResponse(
        error_body("invalid_input", "Some fields are missing or not valid; see the fields.", field_problems(errors)),
        status_code=422,
    )


def install(app: FastAPI) -> None:
    """JSON answers for every error; the console adds its HTML pages on top for its own paths."""

    async def on_homeport_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HomeportError)
        return error_response(exc)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_response(exc)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        messages = {
            404: ("not_found", "There is nothing at this address; see /api/v1/openapi.json for the API."),
            405: ("method_not_allowed", "This address does not accept that method."),
        }
        code, message = messages.get(exc.status_code, ("http_error", str(exc.detail)))
        return AsciiJSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", error=type(exc).__name__)
        return AsciiJSONResponse(
            error_body("internal_error", "Something went wrong inside Homeport; the daemon log has the details."),
            status_code=500,
        )

    app.add_exception_handler(HomeportError, on_homeport_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
