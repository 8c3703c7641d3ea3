"""One error shape for every 4xx/5xx: ``{"error": {"code", "message", "field"}}``.

FastAPI's own 422 and HTTPException answers are replaced, so clients never see two formats, and bad
input is always a 4xx (never a 500).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    """What went wrong; ``field`` names the offending input when there is one."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: str = Field(
        description="machine-readable: invalid_request, invalid_json, target_refused, invalid_token, unauthorized, "
        "forbidden, admin_disabled, not_found, conflict, body_too_large, rate_limited, ..."
    )
    message: str = Field(description="for a person; starts with the field at fault when there is one")
    field: str | None = Field(default=None, description="the input at fault (e.g. 'digest.every'), or null")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


class ApiError(StarletteHTTPException):
    """An error answer with a machine-readable code and, optionally, the field at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.field = field


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON answer for an error."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


#: Declared on every route so the OpenAPI document lists the error answers the API really gives. "4XX"
#: covers the rest (405, 415...): every client error has the one shape. It also keeps FastAPI from
#: documenting a 422 answer, which this API never gives (validation errors are 400).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code.replace("_", " ")}
    for status, code in _CODES.items()
    if status in (400, 401, 403, 404, 409, 413, 429)
} | {"4XX": {"model": ErrorBody, "description": "any other client error"}}


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": "value_error"}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "the body is not valid JSON")
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    field = _field(tuple(first.get("loc", ())))
    if first.get("type") == "missing" and field:
        message = f"{field} is required"
    elif field and not message.startswith(field):
        message = f"{field}: {message}"  # the message alone ("must be at most 30d") would not say what
    return error_response(400, "invalid_request", message, field)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, exc.code, str(exc.detail), exc.field, headers)
    code = _CODES.get(exc.status_code, "error")
    message = str(exc.detail) if exc.detail else code.replace("_", " ")
    headers = getattr(exc, "headers", None)
    return error_response(exc.status_code, code, message, None, dict(headers) if headers else None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the one JSON shape."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
