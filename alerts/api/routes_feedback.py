"""Wrong-alert feedback: the admin's views of the answers.

The form a feedback link opens (``GET/POST /feedback/{id}``) is a web page: ``alerts.web.views_feedback``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES
from alerts.api.schemas_feedback import FeedbackList, FeedbackOut, PrecisionOut, PrecisionReport
from alerts.api.security import require_admin
from alerts.store import feedback as store

Ctx = Annotated[ApiContext, Depends(get_context)]


def _admin(request: Request, ctx: Ctx) -> None:
    require_admin(request, ctx.settings.api.admin_token)


admin_router = APIRouter(
    prefix="/api/v1/feedback", tags=["admin"], responses=ERROR_RESPONSES, dependencies=[Depends(_admin)]
)


@admin_router.get("", response_model=FeedbackList, summary="Wrong-alert answers (admin)")
def list_feedback(
    ctx: Ctx,
    incident_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FeedbackList:
    """Answers, most recently given first, with how many match the filter in all."""
    views, total = store.list_feedback(ctx.db, incident_id=incident_id, limit=limit, offset=offset)
    items = [FeedbackOut.model_validate(view, from_attributes=True) for view in views]
    return FeedbackList(feedback=items, total=total, limit=limit, offset=offset)


@admin_router.get(
    "/precision", response_model=PrecisionReport, summary="Alert precision per feed and per subscription (admin)"
)
def precision(ctx: Ctx) -> PrecisionReport:
    """Per subscription and per feed: alerts sent, judged wrong, by choice, and precision."""
    report = store.precision_report(ctx.db)
    rows = {name: [PrecisionOut.model_validate(row.as_json()) for row in rows] for name, rows in report.items()}
    return PrecisionReport(subscriptions=rows["subscriptions"], feeds=rows["feeds"])


__all__ = ["admin_router"]
