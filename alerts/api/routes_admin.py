"""Admin endpoints (admin token): every subscription, and the feeds CRUD."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, ApiError
from alerts.api.routes_subscriptions import subscription_out
from alerts.api.schemas_operations import FeedListOut, FeedOut
from alerts.api.schemas_subscriptions import SubscriptionList
from alerts.api.security import require_admin
from alerts.feedlist import FeedSpec
from alerts.store import feeds as feed_store
from alerts.store import subscriptions as store
from alerts.store.feeds import FeedExistsError, FeedView

Ctx = Annotated[ApiContext, Depends(get_context)]


def _admin(request: Request, ctx: Ctx) -> None:
    require_admin(request, ctx.settings.api.admin_token)


router = APIRouter(prefix="/api/v1", tags=["admin"], responses=ERROR_RESPONSES, dependencies=[Depends(_admin)])


def _feed_out(view: FeedView) -> FeedOut:
    data = asdict(view)
    return FeedOut(**{name: data[name] for name in FeedOut.model_fields})


@router.get("/subscriptions", response_model=SubscriptionList, summary="All subscriptions (admin)")
def list_subscriptions(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # SQLite integers are 64-bit
) -> SubscriptionList:
    """Every subscription with its status, oldest first."""
    views = store.list_subscriptions(ctx.db, limit, offset)
    return SubscriptionList(subscriptions=[subscription_out(v) for v in views], limit=limit, offset=offset)


@router.get("/feeds", response_model=FeedListOut, summary="Feeds (admin)")
def list_feeds(ctx: Ctx) -> FeedListOut:
    """Every enabled feed with its polling state."""
    return FeedListOut(feeds=[_feed_out(v) for v in feed_store.list_feeds(ctx.db)])


@router.post("/feeds", status_code=201, response_model=FeedOut, summary="Add a feed (admin)")
def add_feed(body: FeedSpec, ctx: Ctx) -> FeedOut:
    """Add a feed; it is polled at the next tick. Defaults come from ``[crawler]``."""
    crawler = ctx.settings.crawler
    source = body.to_source(crawler.default_interval, crawler.fetch_articles)
    try:
        return _feed_out(feed_store.add_feed(ctx.db, source, origin="api"))
    except FeedExistsError:
        raise ApiError(409, "conflict", f"a feed with id {body.id!r} exists", "id") from None


@router.get("/feeds/{feed_id}", response_model=FeedOut, summary="One feed (admin)")
def get_feed(feed_id: str, ctx: Ctx) -> FeedOut:
    """One feed with its polling state."""
    view = feed_store.get_feed(ctx.db, feed_id)
    if view is None:
        raise ApiError(404, "not_found", "no such feed")
    return _feed_out(view)


@router.delete("/feeds/{feed_id}", status_code=204, summary="Delete a feed (admin)")
def delete_feed(feed_id: str, ctx: Ctx) -> Response:
    """Delete a feed (its stored articles stay)."""
    if not feed_store.delete_feed(ctx.db, feed_id):
        raise ApiError(404, "not_found", "no such feed")
    return Response(status_code=204)
