"""Answer bodies of the wrong-alert feedback routes (admin): the answers and the precision report
(contract: docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema

from alerts.api.schemas_common import AnswerBody
from alerts.feedback import CHOICES
from alerts.models import Instant

# A stored answer is documented by the form's choices but not re-checked on the way out (as subscription statuses are).
_Choice = Annotated[str, WithJsonSchema({"type": "string", "enum": list(CHOICES)})]


class FeedbackOut(AnswerBody):
    """One wrong-alert answer."""

    id: int
    incident_id: int
    incident_version: int = Field(description="the incident's version when the answer was given")
    incident_title: str
    subscription_id: str | None = Field(description="the subscription whose alert was answered; null: public page")
    choice: _Choice = Field(description="what is wrong with the alert")
    comment: str = Field(description="the person's comment, plain text (may be empty)")
    created_at: Instant
    updated_at: Instant = Field(description="when the answer was last given (a second answer replaces the first)")


class FeedbackList(AnswerBody):
    """GET /feedback (admin)."""

    feedback: list[FeedbackOut] = Field(description="most recently given first")
    total: int = Field(description="answers matching the filter, in all")
    limit: int
    offset: int


class PrecisionOut(AnswerBody):
    """Alerts sent to one subscription (or about one feed's reports) and how many were judged wrong."""

    id: str = Field(description="the subscription id or the feed id")
    alerts_sent: int = Field(description="delivered (subscription, incident) pairs; a digest counts each incident")
    judged_wrong: int = Field(description="of those, the ones the subscription answered as wrong")
    wrong_by_choice: dict[_Choice, int] = Field(description="judged_wrong split by the answer's choice")
    precision: float | None = Field(description="1 - judged_wrong / alerts_sent, 4 decimals; null before any alert")


class PrecisionReport(AnswerBody):
    """GET /feedback/precision (admin)."""

    subscriptions: list[PrecisionOut] = Field(description="every subscription, by id")
    feeds: list[PrecisionOut] = Field(description="every feed with an alert sent about its reports, by id")
