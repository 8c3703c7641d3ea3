"""Incidents: public reads unless ``api.private_incidents`` is set (then the admin token is needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, ApiError
from alerts.api.schemas import Category, IncidentList, Timestamp
from alerts.api.security import require_admin
from alerts.models import Incident
from alerts.store.incidents import get_incident, list_incidents

Ctx = Annotated[ApiContext, Depends(get_context)]


def _maybe_private(request: Request, ctx: Ctx) -> None:
    if ctx.settings.api.private_incidents:
        require_admin(request, ctx.settings.api.admin_token)


router = APIRouter(
    prefix="/api/v1/incidents", tags=["incidents"], responses=ERROR_RESPONSES, dependencies=[Depends(_maybe_private)]
)


@router.get("", response_model=IncidentList, summary="List incidents")
def incidents(
    ctx: Ctx,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")] = None,
    category: Category | None = None,
    since: Annotated[
        Timestamp | None, Query(description="updated at or after (ISO 8601 with a time zone, years 1900-9000)")
    ] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> IncidentList:
    """Incident records, most recently updated first."""
    found = list_incidents(
        ctx.db,
        country=country.upper() if country else None,
        category=category,
        since=since,
        min_score=min_score,
        limit=limit,
        offset=offset,
    )
    return IncidentList(incidents=found, limit=limit, offset=offset)


@router.get("/{incident_id}", response_model=Incident, summary="One incident")
def incident(incident_id: int, ctx: Ctx) -> Incident:
    """The incident record (docs/api.md, incidents)."""
    if not 0 < incident_id < 2**63:
        raise ApiError(404, "not_found", "no such incident")
    found = get_incident(ctx.db, incident_id)
    if found is None:
        raise ApiError(404, "not_found", "no such incident")
    return found
