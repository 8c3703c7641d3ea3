"""Incidents: public reads unless ``api.private_incidents`` is set (then the admin token is needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, ApiError
from alerts.api.routes_incident_feeds import Filters
from alerts.api.schemas_incidents import IncidentList
from alerts.api.security import require_admin
from alerts.models import Incident
from alerts.store.incidents import get_incident

Ctx = Annotated[ApiContext, Depends(get_context)]


def _maybe_private(request: Request, ctx: Ctx) -> None:
    if ctx.settings.api.private_incidents:
        require_admin(request, ctx.settings.api.admin_token)


router = APIRouter(
    prefix="/api/v1/incidents", tags=["incidents"], responses=ERROR_RESPONSES, dependencies=[Depends(_maybe_private)]
)


@router.get("", response_model=IncidentList, summary="List incidents")
def incidents(ctx: Ctx, filters: Filters) -> IncidentList:
    """Incident records, most recently updated first."""
    found = filters.fetch(ctx)
    return IncidentList(incidents=found, limit=filters.limit, offset=filters.offset)


@router.get("/{incident_id}", response_model=Incident, summary="One incident")
def incident(incident_id: int, ctx: Ctx) -> Incident:
    """The incident record (docs/api.md, incidents)."""
    if not 0 < incident_id < 2**63:
        raise ApiError(404, "not_found", "no such incident")
    found = get_incident(ctx.db, incident_id)
    if found is None:
        raise ApiError(404, "not_found", "no such incident")
    return found
