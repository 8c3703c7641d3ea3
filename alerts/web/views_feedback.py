"""The "wrong alert" form every alert's signed feedback link opens: a web page in the site's layout and languages.

``GET /feedback/{id}`` only shows the form (mail scanners prefetch links); ``POST`` stores the answer when
the form carries the link's signed token, which is bound to the incident and the subscription
(``alerts.feedback``). The token is the form's CSRF defence, so this form has no separate form token.
Unlike the other pages these two operations are part of the API's OpenAPI document: the links are in
every webhook body, and their answers are documented like the API's.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import json_error
from alerts.feedback import CHOICES, COMMENT_MAX, FeedbackError, check_feedback_token, clean_choice, clean_comment
from alerts.store import feedback as store
from alerts.store.incidents import get_incident
from alerts.web.forms import FieldError
from alerts.web.pages import N_, PageError, error_page, render, secret_of

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
#: The page's words for what ``alerts.feedback`` refuses (its own messages are for logs and the API).
_FIELD_MESSAGES = {
    "choice": N_("Choose what is wrong with this alert."),
    "comment": N_("Shorten the comment: it can have at most %(max)d characters."),
}
INVALID_LINK = PageError(403, N_("Link not valid"), N_("This link is not valid. Copy the whole link from the alert."))
NO_INCIDENT = PageError(404, N_("Incident not found"), N_("This incident does not exist (any more)."))
UNREADABLE = PageError(
    400, N_("Feedback not sent"), N_("This form could not be read. Open the link from the alert again and send it.")
)

router = APIRouter(prefix="/feedback", tags=["feedback"])


def _checked(ctx: ApiContext, incident_id: int, subscription_id: str | None, token: str | None) -> bool:
    """True when the token was signed for this incident and this subscription (or the public page)."""
    if not token or len(token) > 200 or (subscription_id is not None and not _SUBSCRIPTION_ID.match(subscription_id)):
        return False
    if not 0 < incident_id < 2**63:
        return False
    return check_feedback_token(secret_of(ctx), incident_id, subscription_id, token)


def _form(request: Request, status: int, incident_title: str, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {"chosen": None, "comment": "", "errors": [], "subscription_id": None}
    values.update(context)
    return render(
        request,
        "feedback.html",
        status,
        incident_title=incident_title,
        choices=list(CHOICES),
        comment_max=COMMENT_MAX,
        **values,
    )


@router.get("/{incident_id}", response_class=HTMLResponse, responses=_FORM_ANSWERS, summary="Wrong-alert form")
def feedback_form(
    incident_id: int,
    request: Request,
    ctx: Ctx,
    token: Annotated[str | None, Query(description="the token from the alert's link")] = None,
    s: Annotated[str | None, Query(description="the subscription the alert went to")] = None,
) -> HTMLResponse:
    """The form: what is wrong (one choice) and an optional comment. Changes nothing."""
    subscription_id = s or None
    if not _checked(ctx, incident_id, subscription_id, token):
        return error_page(request, INVALID_LINK)
    incident = get_incident(ctx.db, incident_id)
    if incident is None:
        return error_page(request, NO_INCIDENT)
    return _form(request, 200, incident.title, token=token, subscription_id=subscription_id)


def _form_fields(body: bytes) -> dict[str, str]:
    text = body.decode("utf-8", "strict")
    fields = parse_qs(text, keep_blank_values=True, max_num_fields=20, encoding="utf-8", errors="strict")
    # A repeated field is ambiguous: the first value counts, as browsers send one per name here.
    return {name: values[0] for name, values in fields.items()}


@router.post(
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
    except (UnicodeDecodeError, ValueError):
        return error_page(request, UNREADABLE)

    def work() -> HTMLResponse:
        subscription_id = fields.get("s") or None
        token = fields.get("token")
        if not _checked(ctx, incident_id, subscription_id, token):
            return error_page(request, INVALID_LINK)
        try:
            choice = clean_choice(fields.get("choice"))
            comment = clean_comment(fields.get("comment"))
        except FeedbackError as exc:
            incident = get_incident(ctx.db, incident_id)
            # The comment goes back into the form (escaped) so nothing typed is lost.
            return _form(
                request,
                400,
                incident.title if incident else "",
                token=token,
                subscription_id=subscription_id,
                chosen=fields.get("choice"),
                comment=fields.get("comment", ""),
                errors=[FieldError(exc.field, _FIELD_MESSAGES[exc.field])],
            )
        view = store.record_feedback(ctx.db, incident_id, subscription_id, choice, comment, ctx.clock())
        if view is None:
            return error_page(request, NO_INCIDENT)
        return render(request, "feedback_sent.html", incident_title=view.incident_title, answer=choice, comment=comment)

    return await asyncio.to_thread(work)
