"""Subscriptions: create, read, change, delete, delivery log, secret and token rotation (manage token or
admin token), and the resend of a confirmation email."""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from alerts.api.schemas_subscriptions import (
    FORMAT_WEBHOOKS_ONLY,
    DeliveryList,
    DeliveryOut,
    ResendAccepted,
    SecretRotated,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    TokenRotated,
)
from alerts.api.security import (
    client_address,
    enforce,
    hash_token,
    new_manage_token,
    new_signing_secret,
    new_subscription_id,
    require_manage,
)
from alerts.netpolicy import UnsafeTarget, check_target
from alerts.store import subscriptions as store
from alerts.store.confirmation_requests import ConfirmationLimitReached
from alerts.store.subscriptions import SubscriptionView
from alerts.subscriptions import Filters, recipient_key

#: Rate-limit buckets: per client address (creation, resend) and per subscription (rotations).
CLIENT_BUCKET = "client"
SUBSCRIPTION_BUCKET = "subscription"
#: Routes that count a rate limit answer 503 when the limit's store (Redis) cannot be reached.
LIMITED: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "the rate-limit store (Redis) cannot be reached"}
}
RESEND_ANSWER = "if this subscription is waiting for confirmation, its confirmation email is on its way"

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"], responses=ERROR_RESPONSES)
Ctx = Annotated[ApiContext, Depends(get_context)]


def subscription_out(view: SubscriptionView) -> SubscriptionOut:
    """The public form of a stored subscription."""
    data = asdict(view)
    data.pop("manage_token_hash")
    if view.channel != "webhook":
        data["format"] = None  # stored for every row, but only webhook bodies have a format
    data["filters"] = Filters.from_dict(view.filters).to_dict()  # as every write stores them
    return SubscriptionOut(**data)


def _authorized(ctx: ApiContext, request: Request, subscription_id: str) -> SubscriptionView:
    view = store.get_subscription(ctx.db, subscription_id)
    if view is None:
        raise ApiError(404, "not_found", "no such subscription")
    require_manage(request, ctx.settings.api.admin_token, view.manage_token_hash)
    return view


@router.post(
    "", status_code=201, response_model=SubscriptionCreated, summary="Create a subscription", responses=LIMITED
)
def create_subscription(body: SubscriptionIn, request: Request, ctx: Ctx) -> SubscriptionCreated:
    """Email subscriptions start ``pending_confirmation`` (a confirmation email is queued, at most
    ``api.confirmations_per_hour`` per address); webhooks start active."""
    return create(ctx, body, client_address(request))


def create(ctx: ApiContext, body: SubscriptionIn, address: str) -> SubscriptionCreated:
    """Create a subscription for a client at ``address`` (the API's and the web form's one path).

    Raises ``ApiError`` (rate limits, refused webhook target) with the field at fault.
    """
    enforce(ctx.limits, CLIENT_BUCKET, address, ctx.settings.api.subscriptions_per_hour, "requests from this address")
    if body.channel == "webhook":
        try:
            check_target(body.target, ctx.settings.delivery.allow_private_networks)
        except UnsafeTarget as exc:
            raise ApiError(400, "target_refused", str(exc), "target") from None
    token = new_manage_token()
    secret = new_signing_secret()
    values: dict[str, Any] = {
        "id": new_subscription_id(),
        "channel": body.channel,
        "target": body.target,
        "name": body.name,
        "format": body.format or "json",
        "mode": body.mode,
        "filters": Filters.from_dict(body.filters.model_dump()).to_dict(),
        "digest": body.digest.model_dump() if body.digest else None,
        "status": "pending_confirmation" if body.channel == "email" else "active",
        "manage_token_hash": hash_token(token),
        "signing_secret": secret,
        "client_address": address[:64],
    }
    try:
        view = store.create_subscription(
            ctx.db,
            values,
            ctx.clock(),
            recipient_key=recipient_key(body.target) if body.channel == "email" else None,
            confirmations_per_hour=ctx.settings.api.confirmations_per_hour,
        )
    except ConfirmationLimitReached as exc:
        # Every confirmation queued for the address in the last hour counts, whatever became of its
        # subscription, and nothing else does: the answer says nothing about whether it is subscribed.
        wait = math.ceil(exc.retry_after)
        raise ApiError(
            429,
            "rate_limited",
            f"too many confirmation emails to this address; try again in {wait} s",
            "target",
            headers={"Retry-After": str(wait)},
        ) from None
    return SubscriptionCreated(id=view.id, status=view.status, manage_token=token, signing_secret=secret)


@router.get("/{subscription_id}", response_model=SubscriptionOut, summary="Read a subscription")
def read_subscription(subscription_id: str, request: Request, ctx: Ctx) -> SubscriptionOut:
    """Needs the subscription's manage token (or the admin token)."""
    return subscription_out(_authorized(ctx, request, subscription_id))


@router.patch("/{subscription_id}", response_model=SubscriptionOut, summary="Change a subscription")
def patch_subscription(subscription_id: str, body: SubscriptionPatch, request: Request, ctx: Ctx) -> SubscriptionOut:
    """Change filters, mode, digest, format, name or status (pause, resume); channel and target are fixed."""
    return subscription_out(apply_patch(ctx, _authorized(ctx, request, subscription_id), body))


def apply_patch(ctx: ApiContext, current: SubscriptionView, body: SubscriptionPatch) -> SubscriptionView:
    """Apply a change to a subscription (the API's and the web manage page's one path).

    Raises ``ApiError`` naming the field at fault.
    """
    subscription_id = current.id
    given = body.model_fields_set
    for key in ("filters", "mode", "format", "status"):
        if key in given and getattr(body, key) is None:
            raise ApiError(400, "invalid_request", f"{key} cannot be null (leave it out to keep it)", key)
    if "format" in given and current.channel != "webhook":
        raise ApiError(400, "invalid_request", FORMAT_WEBHOOKS_ONLY, "format")
    changes: dict[str, Any] = {}
    if body.filters is not None:
        changes["filters"] = Filters.from_dict(body.filters.model_dump()).to_dict()
    for key in ("mode", "format", "name"):  # null clears the name; mode and format were checked above
        if key in given:
            changes[key] = getattr(body, key)
    if "digest" in given:
        changes["digest"] = body.digest.model_dump() if body.digest is not None else None
    mode = changes.get("mode", current.mode)
    digest = changes.get("digest", current.digest)
    if mode == "digest" and not digest:
        raise ApiError(400, "invalid_request", "digest is required when mode is 'digest'", "digest")
    if mode == "instant" and changes.get("digest") is not None:
        raise ApiError(400, "invalid_request", "digest is only allowed when mode is 'digest'", "digest")
    if body.status is not None and body.status != current.status:
        changes.update(_status_change(ctx, current, body.status))
    view = store.update_subscription(ctx.db, subscription_id, changes, ctx.clock())
    if view is None:  # deleted meanwhile
        raise ApiError(404, "not_found", "no such subscription")
    return view


def _status_change(ctx: ApiContext, current: SubscriptionView, wanted: str) -> dict[str, Any]:
    """Pause an active subscription, resume a paused one, or re-enable a webhook a 410 disabled."""
    state = current.status.replace("_", " ")
    if wanted == "paused":
        if current.status != "active":
            raise ApiError(409, "conflict", f"this subscription is {state} and cannot be paused", "status")
        return {"status": "paused", "status_reason": f"paused at {ctx.clock().isoformat()}"}
    if current.status == "paused":
        return {"status": "active", "status_reason": None}
    if not (current.channel == "webhook" and current.status == "disabled"):
        raise ApiError(
            409, "conflict", f"this {current.channel} subscription is {state} and cannot be re-activated", "status"
        )
    try:  # the receiver may have moved meanwhile: the same check as at creation
        check_target(current.target, ctx.settings.delivery.allow_private_networks)
    except UnsafeTarget as exc:
        raise ApiError(400, "target_refused", str(exc), "target") from None
    return {"status": "active", "status_reason": None}


@router.delete("/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(subscription_id: str, request: Request, ctx: Ctx) -> Response:
    """Deletes the subscription, its pending messages and its delivery log."""
    _authorized(ctx, request, subscription_id)
    store.delete_subscription(ctx.db, subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryList, summary="Delivery log")
def deliveries(
    subscription_id: str,
    request: Request,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # SQLite integers are 64-bit
) -> DeliveryList:
    """Every delivery attempt (time, status, response code, error), newest first."""
    _authorized(ctx, request, subscription_id)
    rows = store.list_deliveries(ctx.db, subscription_id, limit, offset)
    return DeliveryList(
        deliveries=[DeliveryOut(**asdict(row)) for row in rows],
        pending=store.count_pending(ctx.db, subscription_id),
    )


def _limit_actions(ctx: ApiContext, subscription_id: str) -> None:
    """Count one rotation against the subscription's hourly budget (429 over it)."""
    limit = ctx.settings.api.subscription_actions_per_hour
    enforce(ctx.limits, SUBSCRIPTION_BUCKET, subscription_id, limit, "rotations for this subscription")


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=SecretRotated,
    summary="Rotate the webhook signing secret",
    responses=LIMITED,
)
def rotate_secret(subscription_id: str, request: Request, ctx: Ctx) -> SecretRotated:
    """A new signing secret, shown once. Deliveries carry signatures by the old and the new secret until
    ``previous_secret_valid_until`` (``api.secret_overlap`` from now), then by the new one only."""
    view = _authorized(ctx, request, subscription_id)
    if view.channel != "webhook":
        raise ApiError(409, "conflict", "only webhook subscriptions have a signing secret to rotate")
    _limit_actions(ctx, subscription_id)
    secret = new_signing_secret()
    overlap = timedelta(seconds=ctx.settings.api.secret_overlap)
    until = store.rotate_signing_secret(ctx.db, subscription_id, secret, ctx.clock(), overlap)
    if until is None:  # deleted meanwhile
        raise ApiError(404, "not_found", "no such subscription")
    return SecretRotated(id=subscription_id, signing_secret=secret, previous_secret_valid_until=until)


@router.post(
    "/{subscription_id}/rotate-token", response_model=TokenRotated, summary="Rotate the manage token", responses=LIMITED
)
def rotate_token(subscription_id: str, request: Request, ctx: Ctx) -> TokenRotated:
    """A new manage token, shown once; the old one stops working at once."""
    view = _authorized(ctx, request, subscription_id)
    _limit_actions(ctx, subscription_id)
    token = new_manage_token()
    if not store.replace_manage_token(ctx.db, subscription_id, view.manage_token_hash, hash_token(token)):
        raise ApiError(409, "conflict", "the subscription or its token changed meanwhile; read it again")
    return TokenRotated(id=subscription_id, manage_token=token)


@router.post(
    "/{subscription_id}/resend-confirmation",
    status_code=202,
    response_model=ResendAccepted,
    summary="Send the confirmation email again",
    responses=LIMITED,
)
def resend_confirmation(subscription_id: str, request: Request, ctx: Ctx) -> ResendAccepted:
    """Queues the confirmation email of a pending email subscription again. No token needed; the answer
    is the same whether or not the subscription exists or waits, so it reveals nothing about an address.
    Counted against the client address's limit (429) and, silently, the recipient's hourly confirmations."""
    enforce(
        ctx.limits,
        CLIENT_BUCKET,
        client_address(request),
        ctx.settings.api.subscriptions_per_hour,
        "requests from this address",
    )
    view = store.get_subscription(ctx.db, subscription_id)
    if view is not None and view.channel == "email" and view.status == "pending_confirmation":
        # Over the recipient's limit nothing is queued, and the answer stays the same: a 429 here would
        # tell whoever asks that this address waits for a confirmation.
        with contextlib.suppress(ConfirmationLimitReached):
            store.resend_confirmation(
                ctx.db,
                subscription_id,
                recipient_key(view.target),
                ctx.clock(),
                ctx.settings.api.confirmations_per_hour,
            )
    return ResendAccepted(message=RESEND_ANSWER)
