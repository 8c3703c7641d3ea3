"""Answer bodies of the incident routes (contract: docs/api.md)."""

from __future__ import annotations

from pydantic import Field

from alerts.api.schemas_common import AnswerBody
from alerts.models import Incident


class IncidentList(AnswerBody):
    """GET /incidents."""

    incidents: list[Incident] = Field(description="most recently updated first")
    limit: int
    offset: int
