"""The links people click in their mail: confirm (double opt-in) and unsubscribe (RFC 8058 one-click).

Browsers (Accept: text/html) get a small page, everything else JSON. A GET on the unsubscribe link only
shows a button: mail scanners prefetch links, and a prefetch must not unsubscribe anyone.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from alerts.api.schemas import LinkResult
from alerts.api.security import wants_html
from alerts.links import check_link_token, link_secret
from alerts.render import render_page
from alerts.store import subscriptions as store

router = APIRouter(prefix="/api/v1/subscriptions", tags=["links"], responses=ERROR_RESPONSES)
Ctx = Annotated[ApiContext, Depends(get_context)]
Token = Annotated[str, Query(min_length=1, max_length=200, description="the token from the emailed link")]
# Browsers (Accept: text/html) get a page instead of the JSON body, for answers and errors alike.
_PAGE = {"text/html": {"schema": {"type": "string", "description": "HTML page for browsers"}}}
_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": _PAGE, "description": "done (JSON, or a page for browsers)"},
    403: {"model": ErrorBody, "content": _PAGE, "description": "the link's token is not valid"},
    404: {"model": ErrorBody, "content": _PAGE, "description": "no such subscription"},
}
_CONFIRM: dict[int | str, dict[str, Any]] = _HTML | {
    409: {"model": LinkResult, "content": _PAGE, "description": "unsubscribed: it cannot be confirmed"}
}


def _answer(request: Request, status: int, result: LinkResult, title: str, form_action: str | None = None) -> Response:
    if wants_html(request):
        button = "Unsubscribe" if form_action else ""
        return HTMLResponse(render_page(title, result.message, form_action, button), status_code=status)
    return JSONResponse(result.model_dump(), status_code=status)


def _check(ctx: ApiContext, request: Request, action: str, subscription_id: str, token: str) -> None:
    with ctx.db.transaction() as tx:
        secret = link_secret(tx)
    # Real tokens are URL-safe base64; hmac.compare_digest raises TypeError on non-ASCII text.
    if not (token.isascii() and check_link_token(secret, action, subscription_id, token)):
        if wants_html(request):
            page = render_page("Link not valid", "This link is not valid. Copy the whole link from the email.")
            raise _HtmlError(HTMLResponse(page, status_code=403))
        raise ApiError(403, "invalid_token", "this link's token is not valid", "token")


def _not_found(request: Request) -> Response:
    if wants_html(request):
        page = render_page("Subscription not found", "This subscription does not exist (any more).")
        return HTMLResponse(page, status_code=404)
    raise ApiError(404, "not_found", "no such subscription")


class _HtmlError(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


@router.get("/{subscription_id}/confirm", response_model=LinkResult, responses=_CONFIRM, summary="Confirm an email")
def confirm(subscription_id: str, token: Token, request: Request, ctx: Ctx) -> Response:
    """Double opt-in: activates a pending email subscription (idempotent)."""
    try:
        _check(ctx, request, "confirm", subscription_id, token)
    except _HtmlError as exc:
        return exc.response
    view = store.confirm_subscription(ctx.db, subscription_id, ctx.clock())
    if view is None:
        return _not_found(request)
    if view.status == "active":
        message = "Your subscription is confirmed: alerts will now be sent to this address."
        result = LinkResult(id=view.id, status=view.status, message=message)
        return _answer(request, 200, result, "Subscription confirmed")
    message = f"This subscription is {view.status.replace('_', ' ')} and cannot be confirmed."
    return _answer(request, 409, LinkResult(id=view.id, status=view.status, message=message), "Not confirmed")


@router.get("/{subscription_id}/unsubscribe", response_model=LinkResult, responses=_HTML, summary="Unsubscribe page")
def unsubscribe_page(subscription_id: str, token: Token, request: Request, ctx: Ctx) -> Response:
    """Shows a confirm button (browsers) or how to unsubscribe (JSON); changes nothing."""
    try:
        _check(ctx, request, "unsubscribe", subscription_id, token)
    except _HtmlError as exc:
        return exc.response
    view = store.get_subscription(ctx.db, subscription_id)
    if view is None:
        return _not_found(request)
    if view.status == "unsubscribed":
        message = "You are unsubscribed: nothing more will be sent."
        return _answer(request, 200, LinkResult(id=view.id, status=view.status, message=message), "Unsubscribed")
    if wants_html(request):
        message = "Press the button to stop receiving aidwatch alerts at this address."
        action = f"{request.url.path}?{request.url.query}"  # relative: works behind any public URL
        result = LinkResult(id=view.id, status=view.status, message=message)
        return _answer(request, 200, result, "Unsubscribe?", action)
    message = "Not unsubscribed yet: POST to this URL with the body List-Unsubscribe=One-Click."
    return _answer(request, 200, LinkResult(id=view.id, status=view.status, message=message), "Unsubscribe?")


@router.post(
    "/{subscription_id}/unsubscribe",
    response_model=LinkResult,
    responses=_HTML,
    summary="Unsubscribe (RFC 8058 one-click)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
                        "required": ["List-Unsubscribe"],
                    }
                }
            },
        }
    },
)
async def unsubscribe(subscription_id: str, token: Token, request: Request, ctx: Ctx) -> Response:
    """Body ``List-Unsubscribe=One-Click``: stops every delivery to this subscription (idempotent)."""
    body = (await request.body()).decode("utf-8", "replace")
    if parse_qs(body).get("List-Unsubscribe") != ["One-Click"]:
        raise ApiError(400, "invalid_request", "the body must be List-Unsubscribe=One-Click", "List-Unsubscribe")

    def work() -> Response:
        try:
            _check(ctx, request, "unsubscribe", subscription_id, token)
        except _HtmlError as exc:
            return exc.response
        view = store.unsubscribe(ctx.db, subscription_id, ctx.clock())
        if view is None:
            return _not_found(request)
        message = "You are unsubscribed: nothing more will be sent."
        return _answer(request, 200, LinkResult(id=view.id, status=view.status, message=message), "Unsubscribed")

    # Database work off the event loop, like every other (sync) route.
    return await asyncio.to_thread(work)
