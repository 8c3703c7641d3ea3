"""Subscribe, confirm, unsubscribe and manage pages.

Every change goes through the API's own models and service functions (``SubscriptionIn``,
``SubscriptionPatch``, ``routes_subscriptions.create`` and ``apply_patch``, the store's confirm and
unsubscribe): the pages add forms, not rules. A GET never changes anything: the confirm and unsubscribe
links show a button, and only the button's POST (with a signed form token) acts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ApiError
from alerts.api.routes_subscriptions import apply_patch, create
from alerts.api.schemas_subscriptions import SubscriptionIn, SubscriptionPatch
from alerts.api.security import client_address
from alerts.links import check_link_token, link_token
from alerts.models import CATEGORIES, EVENT_TYPES
from alerts.store import subscriptions as store
from alerts.store.subscriptions import SubscriptionView
from alerts.web.forms import FieldError, filters_from_form, first, form_token, schedule_from_form, validate
from alerts.web.pages import N_, PageError, check_post, error_page, read_form, render, secret_of

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ApiContext, Depends(get_context)]
Form = Annotated[dict[str, list[str]], Depends(read_form)]
DELIVERY_LOG_ROWS = 50


def _choices() -> dict[str, Any]:
    return {"categories": CATEGORIES, "event_types": EVENT_TYPES}


def _subscription(ctx: ApiContext, action: str, subscription_id: str, token: str) -> SubscriptionView:
    """The subscription a link is for, when its token is right."""
    # Real tokens are URL-safe base64; hmac.compare_digest raises TypeError on non-ASCII text.
    if not (token.isascii() and check_link_token(secret_of(ctx), action, subscription_id, token)):
        raise PageError(403, N_("Link not valid"), N_("This link is not valid. Copy the whole link from the email."))
    view = store.get_subscription(ctx.db, subscription_id)
    if view is None:
        raise PageError(404, N_("Subscription not found"), N_("This subscription does not exist (any more)."))
    return view


# --- subscribe -------------------------------------------------------------------------------
@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request, ctx: Ctx) -> Response:
    """The subscription form: the API's channels and filters."""
    token = form_token(secret_of(ctx), "subscribe")
    return render(request, "subscribe.html", form_token=token, values={}, errors=[], **_choices())


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe(request: Request, ctx: Ctx, form: Form) -> Response:
    """Create the subscription with the API's model and service; show the form again on errors."""
    try:
        check_post(request, ctx, form, "subscribe")
    except PageError as error:
        return error_page(request, error)
    data: dict[str, Any] = {
        "channel": first(form, "channel"),
        "target": first(form, "target"),
        "filters": filters_from_form(form),
        **schedule_from_form(form),
    }
    if first(form, "name"):
        data["name"] = first(form, "name")
    if data["channel"] == "webhook" and first(form, "format"):
        data["format"] = first(form, "format")
    body, errors = validate(SubscriptionIn, data)
    status = 400
    if body is not None:
        try:
            created = create(ctx, body, client_address(request))
        except ApiError as exc:
            errors, status = [FieldError(exc.field or "", str(exc.detail))], exc.status_code
    if errors:
        token = form_token(secret_of(ctx), "subscribe")
        context = {"form_token": token, "values": form, "errors": errors, **_choices()}
        return render(request, "subscribe.html", status, **context)
    # An email address's owner gets the manage link in every alert; whoever typed the address into this
    # form may not be its owner, so only a webhook's creator is shown the link here.
    manage = ""
    if body.channel == "webhook":
        manage = f"/subscriptions/{created.id}/manage?token={link_token(secret_of(ctx), 'manage', created.id)}"
    return render(request, "subscribed.html", 201, created=created, channel=body.channel, manage_url=manage)


# --- confirm and unsubscribe links -----------------------------------------------------------
def _link_page(request: Request, ctx: ApiContext, action: str, subscription_id: str, token: str) -> Response:
    try:
        view = _subscription(ctx, action, subscription_id, token)
    except PageError as error:
        return error_page(request, error)
    done = view.status == "unsubscribed" or (action == "confirm" and view.status != "pending_confirmation")
    return render(
        request,
        f"{action}.html",
        subscription=view,
        done=done,
        token=token,
        form_token=form_token(secret_of(ctx), action, view.id),
    )


@router.get("/subscriptions/{subscription_id}/confirm", response_class=HTMLResponse)
def confirm_page(subscription_id: str, request: Request, ctx: Ctx, token: str = "") -> Response:
    """The emailed confirmation link: shows a Confirm button and changes nothing."""
    return _link_page(request, ctx, "confirm", subscription_id, token)


@router.post("/subscriptions/{subscription_id}/confirm", response_class=HTMLResponse)
def confirm(subscription_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    """The Confirm button: activates a pending email subscription (idempotent)."""
    try:
        view = _subscription(ctx, "confirm", subscription_id, first(form, "token"))
        check_post(request, ctx, form, "confirm", subscription_id)
    except PageError as error:
        return error_page(request, error)
    confirmed = store.confirm_subscription(ctx.db, view.id, ctx.clock()) or view
    status = 200 if confirmed.status == "active" else 409
    return render(request, "confirmed.html", status, subscription=confirmed)


@router.get("/subscriptions/{subscription_id}/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(subscription_id: str, request: Request, ctx: Ctx, token: str = "") -> Response:
    """The emailed unsubscribe link: shows an Unsubscribe button and changes nothing."""
    return _link_page(request, ctx, "unsubscribe", subscription_id, token)


@router.post("/subscriptions/{subscription_id}/unsubscribe", response_class=HTMLResponse)
def unsubscribe(subscription_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    """The Unsubscribe button: stops every delivery to this subscription (idempotent)."""
    try:
        view = _subscription(ctx, "unsubscribe", subscription_id, first(form, "token"))
        check_post(request, ctx, form, "unsubscribe", subscription_id)
    except PageError as error:
        return error_page(request, error)
    store.unsubscribe(ctx.db, view.id, ctx.clock())
    message = N_("You are unsubscribed: nothing more will be sent.")
    return render(request, "message.html", title=N_("Unsubscribed"), message=message)


# --- manage ----------------------------------------------------------------------------------
def _manage(
    request: Request,
    ctx: ApiContext,
    view: SubscriptionView,
    token: str,
    status: int = 200,
    errors: list[FieldError] | None = None,
    notice: str = "",
    values: dict[str, list[str]] | None = None,
) -> Response:
    return render(
        request,
        "manage.html",
        status,
        subscription=view,
        token=token,
        form_token=form_token(secret_of(ctx), "manage", view.id),
        deliveries=store.list_deliveries(ctx.db, view.id, DELIVERY_LOG_ROWS),
        pending=store.count_pending(ctx.db, view.id),
        errors=errors or [],
        notice=notice,
        values=values,
        **_choices(),
    )


@router.get("/subscriptions/{subscription_id}/manage", response_class=HTMLResponse)
def manage_page(subscription_id: str, request: Request, ctx: Ctx, token: str = "") -> Response:
    """The manage link in every alert: filters, pause or resume, unsubscribe, delivery log."""
    try:
        view = _subscription(ctx, "manage", subscription_id, token)
    except PageError as error:
        return error_page(request, error)
    return _manage(request, ctx, view, token)


MANAGE_NOTICES = {
    "filters": N_("Your changes are saved."),
    "pause": N_("Alerts are paused. Nothing is sent until you resume them."),
    "resume": N_("Alerts are resumed."),
}


@router.post("/subscriptions/{subscription_id}/manage", response_class=HTMLResponse)
def manage(subscription_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    """One manage form: ``action`` is ``filters``, ``pause``, ``resume`` or ``unsubscribe``."""
    token = first(form, "token")
    try:
        view = _subscription(ctx, "manage", subscription_id, token)
        check_post(request, ctx, form, "manage", subscription_id)
    except PageError as error:
        return error_page(request, error)
    action = first(form, "action")
    if action == "unsubscribe":
        view = store.unsubscribe(ctx.db, view.id, ctx.clock()) or view
        return _manage(request, ctx, view, token, notice=N_("You are unsubscribed: nothing more will be sent."))
    if action == "filters":
        data: dict[str, Any] = {"filters": filters_from_form(form), **schedule_from_form(form)}
        data["name"] = first(form, "name") or None
        if view.channel == "webhook" and first(form, "format"):
            data["format"] = first(form, "format")
    elif action in ("pause", "resume"):
        data = {"status": "paused" if action == "pause" else "active"}
    else:
        return error_page(request, PageError(400, N_("Form refused"), N_("This form asks for something unknown.")))
    body, errors = validate(SubscriptionPatch, data)
    status = 400
    if body is not None:
        try:
            view = apply_patch(ctx, view, body)
        except ApiError as exc:
            errors, status = [FieldError(exc.field or "", str(exc.detail))], exc.status_code
    if errors:
        return _manage(request, ctx, view, token, status, errors=errors, values=form)
    return _manage(request, ctx, view, token, notice=MANAGE_NOTICES[action])
