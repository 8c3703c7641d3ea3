"""Wrong-alert feedback: the form a feedback link opens (HTML, no JavaScript) and the admin's views.

``GET /feedback/{id}`` only shows the form (mail scanners prefetch links); ``POST`` stores the answer when
the form carries the link's signed token, which is bound to the incident and the subscription.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, json_error
from alerts.api.schemas_feedback import FeedbackList, FeedbackOut, PrecisionOut, PrecisionReport
from alerts.api.security import require_admin
from alerts.feedback import (
    CHOICES,
    COMMENT_MAX,
    FeedbackError,
    check_feedback_token,
    clean_choice,
    clean_comment,
)
from alerts.links import link_secret
from alerts.render import ENV
from alerts.store import feedback as store
from alerts.store.incidents import get_incident

Ctx = Annotated[ApiContext, Depends(get_context)]
_SUBSCRIPTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_PAGE = {"text/html": {"schema": {"type": "string", "description": "HTML page"}}}
# The form answers pages; only what fails before it runs (an incident id that is not a number, a body over
# the limit, a wrong method) gets the API's one JSON error. As in ERROR_RESPONSES, "4XX" also keeps
# FastAPI from documenting a 422, which the API never answers.
_FORM_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": _PAGE, "description": "the form"},
    400: json_error("the incident id is not a number"),
    403: {"content": _PAGE, "description": "the link's token is not valid"},
    404: {"content": _PAGE, "description": "no such incident"},
    "4XX": json_error("any other client error"),
}
_SEND_ANSWERS: dict[int | str, dict[str, Any]] = _FORM_ANSWERS | {
    200: {"content": _PAGE, "description": "the answer is stored (thank-you page)"},
    400: {
        "content": _PAGE | json_error("")["content"],
        "description": "the form cannot be read or a field is wrong (page); the incident id is not a number (JSON)",
    },
    413: json_error("body too large"),
}

form_router = APIRouter(prefix="/feedback", tags=["feedback"])


def _page(status: int, title: str, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {
        "incident_title": "",
        "error": "",
        "message": "",
        "answer": "",
        "comment": "",
        "show_form": False,
        "token": "",
        "subscription_id": None,
        "choices": CHOICES,
        "chosen": None,
        "comment_max": COMMENT_MAX,
    }
    values.update(context)
    return HTMLResponse(ENV.get_template("feedback_form.html").render(title=title, **values), status_code=status)


def _invalid_link() -> HTMLResponse:
    return _page(403, "Link not valid", message="This link is not valid. Copy the whole link from the alert.")


def _checked(ctx: ApiContext, incident_id: int, subscription_id: str | None, token: str | None) -> bool:
    """True when the token was signed for this incident and this subscription (or the public page)."""
    if not token or len(token) > 200 or (subscription_id is not None and not _SUBSCRIPTION_ID.match(subscription_id)):
        return False
    if not 0 < incident_id < 2**63:
        return False
    with ctx.db.session() as session:
        secret = link_secret(session)
    return check_feedback_token(secret, incident_id, subscription_id, token)


@form_router.get("/{incident_id}", response_class=HTMLResponse, responses=_FORM_ANSWERS, summary="Wrong-alert form")
def feedback_form(
    incident_id: int,
    ctx: Ctx,
    token: Annotated[str | None, Query(description="the token from the alert's link")] = None,
    s: Annotated[str | None, Query(description="the subscription the alert went to")] = None,
) -> HTMLResponse:
    """The form: what is wrong (one choice) and an optional comment. Changes nothing."""
    subscription_id = s or None
    if not _checked(ctx, incident_id, subscription_id, token):
        return _invalid_link()
    incident = get_incident(ctx.db, incident_id)
    if incident is None:
        return _page(404, "Incident not found", message="This incident does not exist (any more).")
    return _page(
        200,
        "Report a wrong alert",
        incident_title=incident.title,
        show_form=True,
        token=token,
        subscription_id=subscription_id,
    )


def _form_fields(body: bytes) -> dict[str, str]:
    text = body.decode("utf-8", "strict")
    fields = parse_qs(text, keep_blank_values=True, max_num_fields=20, encoding="utf-8", errors="strict")
    # A repeated field is ambiguous: the first value counts, as browsers send one per name here.
    return {name: values[0] for name, values in fields.items()}


_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "token": {"type": "string", "maxLength": 200},
                        "s": {"type": "string", "maxLength": 40},
                        "choice": {"type": "string", "enum": list(CHOICES)},
                        "comment": {"type": "string", "maxLength": COMMENT_MAX},
                    },
                    "required": ["token", "choice"],
                }
            }
        },
    }
}


@form_router.post(
    "/{incident_id}",
    response_class=HTMLResponse,
    responses=_SEND_ANSWERS,
    summary="Send wrong-alert feedback",
    openapi_extra=_FORM_BODY,
)
async def send_feedback(incident_id: int, request: Request, ctx: Ctx) -> HTMLResponse:
    """Stores the answer (form fields ``token``, ``s``, ``choice``, ``comment``); answering again replaces it."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type != "application/x-www-form-urlencoded":
            raise FeedbackError("content-type", "send the form as application/x-www-form-urlencoded")
        fields = _form_fields(body)
    except (UnicodeDecodeError, ValueError) as exc:
        message = str(exc) if isinstance(exc, FeedbackError) else "the form could not be read (not UTF-8 form data)"
        return _page(400, "Feedback not sent", error=message)

    def work() -> HTMLResponse:
        subscription_id = fields.get("s") or None
        token = fields.get("token")
        if not _checked(ctx, incident_id, subscription_id, token):
            return _invalid_link()
        form = {
            "show_form": True,
            "token": token,
            "subscription_id": subscription_id,
            "chosen": fields.get("choice"),
        }
        try:
            choice = clean_choice(fields.get("choice"))
            comment = clean_comment(fields.get("comment"))
        except FeedbackError as exc:
            # The comment goes back into the form (escaped) so nothing typed is lost.
            return _page(400, "Feedback not sent", error=str(exc), comment=fields.get("comment", ""), **form)
        view = store.record_feedback(ctx.db, incident_id, subscription_id, choice, comment, ctx.clock())
        if view is None:
            return _page(404, "Incident not found", message="This incident does not exist (any more).")
        return _page(
            200,
            "Thank you",
            incident_title=view.incident_title,
            message="Your answer is recorded. It helps aidwatch send fewer wrong alerts.",
            answer=CHOICES[choice],
            comment=comment,
        )

    return await asyncio.to_thread(work)


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


__all__ = ["admin_router", "form_router"]
