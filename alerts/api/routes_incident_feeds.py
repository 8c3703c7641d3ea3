"""Incident feeds: Atom, GeoJSON, CSV (+HXL) lists and one incident version as CAP 1.2.

The lists take the filters of ``GET /api/v1/incidents`` (``IncidentFilters``). This router is included
before the incidents router: ``/incidents/{id}.cap`` must not be read as ``/incidents/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from alerts.api.context import ApiContext, get_context
from alerts.api.errors import ERROR_RESPONSES, NON_JSON_ROUTE_ERRORS, ApiError
from alerts.api.schemas_common import Category, Timestamp
from alerts.api.security import require_admin
from alerts.incident_feeds.atom import ATOM_TYPE, render_atom
from alerts.incident_feeds.cap import CAP_TYPE, render_cap
from alerts.incident_feeds.csv_hxl import CSV_TYPE, render_csv
from alerts.incident_feeds.geojson import GEOJSON_TYPE, FeatureCollection, render_geojson
from alerts.models import Incident
from alerts.store.incidents import get_incident, list_incidents

Ctx = Annotated[ApiContext, Depends(get_context)]


@dataclass(frozen=True, slots=True)
class IncidentFilters:
    """The query of ``GET /api/v1/incidents`` and of every incident feed."""

    country: str | None
    category: str | None
    since: datetime | None
    min_score: float | None
    limit: int
    offset: int

    def fetch(self, ctx: ApiContext) -> list[Incident]:
        """The incidents these filters select, most recently updated first."""
        return list_incidents(
            ctx.db,
            country=self.country,
            category=self.category,
            since=self.since,
            min_score=self.min_score,
            limit=self.limit,
            offset=self.offset,
        )


def incident_filters(
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")] = None,
    category: Category | None = None,
    since: Annotated[
        Timestamp | None, Query(description="updated at or after (ISO 8601 with a time zone, years 1900-9000)")
    ] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> IncidentFilters:
    """FastAPI dependency: the incident list's query parameters, checked."""
    return IncidentFilters(country.upper() if country else None, category, since, min_score, limit, offset)


Filters = Annotated[IncidentFilters, Depends(incident_filters)]


def _maybe_private(request: Request, ctx: Ctx) -> None:
    if ctx.settings.api.private_incidents:
        require_admin(request, ctx.settings.api.admin_token)


router = APIRouter(
    prefix="/api/v1", tags=["incident feeds"], responses=ERROR_RESPONSES, dependencies=[Depends(_maybe_private)]
)


def _text_document(media_type: str, what: str) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {media_type: {"schema": {"type": "string", "description": what}}}, "description": what}}


class GeoJsonResponse(JSONResponse):
    """JSON sent as ``application/geo+json``; as a route's response class, the OpenAPI document gives the
    route's response model as the schema of that media type."""

    media_type = GEOJSON_TYPE


@router.get(
    "/incidents.atom",
    response_class=Response,
    responses=_text_document(ATOM_TYPE, "Atom 1.0 feed (RFC 4287)"),
    summary="Incidents, Atom",
)
def incidents_atom(filters: Filters, request: Request, ctx: Ctx) -> Response:
    """Atom 1.0 feed of the incidents the filters select."""
    public = ctx.settings.api.public_url.rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    body = render_atom(
        filters.fetch(ctx), public_url=public, self_url=f"{public}{request.url.path}{query}", now=ctx.clock()
    )
    return Response(body, media_type=ATOM_TYPE)


@router.get(
    "/incidents.geojson",
    response_class=GeoJsonResponse,
    response_model=FeatureCollection,
    response_description="RFC 7946 FeatureCollection",
    responses=NON_JSON_ROUTE_ERRORS,  # errors stay application/json
    summary="Incidents, GeoJSON",
)
def incidents_geojson(filters: Filters, ctx: Ctx) -> Response:
    """RFC 7946 FeatureCollection: one Point per located incident, properties = the incident record."""
    return Response(render_geojson(filters.fetch(ctx)), media_type=GEOJSON_TYPE)


@router.get(
    "/incidents.csv",
    response_class=Response,
    responses=_text_document(CSV_TYPE, "CSV (RFC 4180): a header row, a row of HXL hashtags, one row per incident"),
    summary="Incidents, CSV + HXL",
)
def incidents_csv(filters: Filters, ctx: Ctx) -> Response:
    """CSV in Aid Worker Security Database column order, with a second row of HXL hashtags."""
    body = render_csv(filters.fetch(ctx), ctx.settings.api.public_url)
    return Response(body, media_type=CSV_TYPE, headers={"Content-Disposition": 'inline; filename="incidents.csv"'})


@router.get(
    "/incidents/{incident_id}.cap",
    response_class=Response,
    responses=_text_document(CAP_TYPE, "CAP 1.2 alert (XML)"),
    summary="Incident, CAP 1.2",
)
def incident_cap(incident_id: int, ctx: Ctx) -> Response:
    """The incident's current version as a CAP 1.2 alert (Update, referencing the first Alert, after a merge)."""
    found = get_incident(ctx.db, incident_id) if 0 < incident_id < 2**63 else None
    if found is None:
        raise ApiError(404, "not_found", "no such incident")
    settings = ctx.settings.api
    return Response(
        render_cap(found, public_url=settings.public_url, restricted=settings.private_incidents), media_type=CAP_TYPE
    )
