"""The links people click in their mail: confirm (double opt-in) and unsubscribe (RFC 8058 one-click).

A GET on either link changes nothing: mail scanners and link previews fetch links, and a fetch must neither
confirm nor unsubscribe anyone. Browsers (Accept: text/html) are sent on (303) to the web page with the
same token, whose Confirm or Unsubscribe button posts a signed form (``alerts.web``); other clients get
JSON saying how to act. The actions are POSTs: ``/confirm`` (JSON clients) and ``/unsubscribe`` with
``List-Unsubscribe=One-Click`` (RFC 8058, what mail clients send).
"""

from __future__ import annotations

import asyncio
import html
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, ApiError
from alerts.api.schemas_subscriptions import LinkResult
from alerts.api.security import wants_html
from alerts.links import check_link_token, link_secret
from alerts.store import subscriptions as store
from alerts.store.subscriptions import SubscriptionView

router = APIRouter(prefix="/api/v1/subscriptions", tags=["links"], responses=ERROR_RESPONSES)
Ctx = Annotated[ApiContext, Depends(get_context)]
Token = Annotated[str, Query(min_length=1, max_length=200, description="the token from the emailed link")]
_HTML = {"text/html": {"schema": {"type": "string", "description": "a short note linking to the web page"}}}
#: Browsers are sent on to the web page with the button; the answer also says so in HTML (RFC 9110, 303).
_PAGE: dict[int | str, dict[str, Any]] = {303: {"content": _HTML, "description": "browsers: the web page"}}
_CONFIRM: dict[int | str, dict[str, Any]] = {
    409: {"model": LinkResult, "description": "unsubscribed: it cannot be confirmed"}
}
UNSUBSCRIBED = "You are unsubscribed: nothing more will be sent."


def _answer(status: int, view: SubscriptionView, message: str) -> Response:
    return JSONResponse(LinkResult(id=view.id, status=view.status, message=message).model_dump(), status_code=status)


def _to_page(action: str, subscription_id: str, token: str) -> Response:
    # Relative: works behind any public URL. The token is checked by the page, which explains a bad one.
    page = f"/subscriptions/{quote(subscription_id, safe='')}/{action}?{urlencode({'token': token})}"
    note = f'<!doctype html><title>aidwatch</title><p><a href="{html.escape(page)}">Continue</a></p>'
    return HTMLResponse(note, status_code=303, headers={"Location": page})


def _subscription(ctx: ApiContext, action: str, subscription_id: str, token: str) -> SubscriptionView:
    with ctx.db.session() as session:
        secret = link_secret(session)
    # Real tokens are URL-safe base64; hmac.compare_digest raises TypeError on non-ASCII text.
    if not (token.isascii() and check_link_token(secret, action, subscription_id, token)):
        raise ApiError(403, "invalid_token", "this link's token is not valid", "token")
    view = store.get_subscription(ctx.db, subscription_id)
    if view is None:
        raise ApiError(404, "not_found", "no such subscription")
    return view


@router.get("/{subscription_id}/confirm", response_model=LinkResult, responses=_PAGE, summary="Confirmation link")
def confirm_link(subscription_id: str, token: Token, request: Request, ctx: Ctx) -> Response:
    """Changes nothing. Browsers go to the page with the Confirm button; JSON says how to confirm."""
    if wants_html(request):
        return _to_page("confirm", subscription_id, token)
    view = _subscription(ctx, "confirm", subscription_id, token)
    if view.status == "pending_confirmation":
        return _answer(200, view, "Not confirmed yet: POST to this URL to confirm.")
    return _answer(200, view, f"This subscription is {view.status.replace('_', ' ')}: nothing to confirm.")


@router.post("/{subscription_id}/confirm", response_model=LinkResult, responses=_CONFIRM, summary="Confirm an email")
def confirm(subscription_id: str, token: Token, ctx: Ctx) -> Response:
    """Double opt-in: activates a pending email subscription (idempotent); 409 once unsubscribed."""
    view = _subscription(ctx, "confirm", subscription_id, token)
    confirmed = store.confirm_subscription(ctx.db, view.id, ctx.clock())
    if confirmed is None:
        raise ApiError(404, "not_found", "no such subscription")
    if confirmed.status == "active":
        return _answer(200, confirmed, "Your subscription is confirmed: alerts will now be sent to this address.")
    message = f"This subscription is {confirmed.status.replace('_', ' ')} and cannot be confirmed."
    return _answer(409, confirmed, message)


@router.get("/{subscription_id}/unsubscribe", response_model=LinkResult, responses=_PAGE, summary="Unsubscribe link")
def unsubscribe_link(subscription_id: str, token: Token, request: Request, ctx: Ctx) -> Response:
    """Changes nothing. Browsers go to the page with the Unsubscribe button; JSON says how to unsubscribe."""
    if wants_html(request):
        return _to_page("unsubscribe", subscription_id, token)
    view = _subscription(ctx, "unsubscribe", subscription_id, token)
    if view.status == "unsubscribed":
        return _answer(200, view, UNSUBSCRIBED)
    return _answer(200, view, "Not unsubscribed yet: POST to this URL with the body List-Unsubscribe=One-Click.")


@router.post(
    "/{subscription_id}/unsubscribe",
    response_model=LinkResult,
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
        view = _subscription(ctx, "unsubscribe", subscription_id, token)
        done = store.unsubscribe(ctx.db, view.id, ctx.clock())
        if done is None:
            raise ApiError(404, "not_found", "no such subscription")
        return _answer(200, done, UNSUBSCRIBED)

    # Database work off the event loop, like every other (sync) route.
    return await asyncio.to_thread(work)
