"""A browser that opens an address with no page gets a page in its language, not the API's JSON error.

Only plain GETs outside ``/api/`` that ask for HTML are answered this way; every API client, and every
deliberate API error (``ApiError``), keeps the one JSON error shape (alerts/api/errors.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from alerts.api.errors import ApiError
from alerts.web.pages import N_, render


def wants_page(request: Request) -> bool:
    """A browser's GET of an address outside the API (it asks for HTML)."""
    return (
        request.method in ("GET", "HEAD")
        and not request.url.path.startswith(("/api/", "/static/"))
        and "text/html" in request.headers.get("accept", "")
    )


def not_found_page(request: Request) -> Response:
    """The "no page here" page, with the site's layout and a way back to the incidents."""
    return render(
        request, "message.html", 404, title=N_("Page not found"), message=N_("There is no page at this address.")
    )


async def _answer(result: Response | Awaitable[Response]) -> Response:
    # Starlette accepts plain and async exception handlers; the API's are async, but either is answered.
    return await result if inspect.isawaitable(result) else result


def install_not_found_page(app: FastAPI) -> None:
    """Answer browsers' unknown addresses (and mistyped ids such as ``/incidents/abc``) with that page."""
    api_http = app.exception_handlers[StarletteHTTPException]
    api_validation = app.exception_handlers[RequestValidationError]

    async def http_error(request: Request, exc: Exception) -> Response:
        missing = isinstance(exc, StarletteHTTPException) and exc.status_code == 404 and not isinstance(exc, ApiError)
        if missing and wants_page(request):
            return not_found_page(request)
        return await _answer(api_http(request, exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        if wants_page(request):
            return not_found_page(request)
        return await _answer(api_validation(request, exc))

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
