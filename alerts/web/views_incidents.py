"""Incident pages: the list with its filters and map, one incident, and the map's world outline."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import pycountry
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from alerts.api.context import ApiContext, get_context
from alerts.feedback import feedback_url
from alerts.models import CATEGORIES
from alerts.render import safe_url
from alerts.store.incident_versions import list_versions
from alerts.store.incidents import get_incident, list_incidents
from alerts.web.mapview import map_view, outline_svg
from alerts.web.pages import N_, PageError, error_page, render, secret_of

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ApiContext, Depends(get_context)]
PAGE_SIZE = 50


def countries() -> list[tuple[str, str]]:
    """(alpha-2 code, English name) of every ISO 3166-1 country, by name."""
    return sorted(((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries), key=lambda p: p[1])


def _public(ctx: ApiContext) -> None:
    if ctx.settings.api.private_incidents:
        raise PageError(403, N_("Incidents are private"), N_("This server shows incidents to its administrators only."))


def _since(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise PageError(400, N_("Filter not valid"), N_("Since: give a date as YYYY-MM-DD.")) from None
    if not 1900 <= day.year <= 9000:
        raise PageError(400, N_("Filter not valid"), N_("Since: give a year from 1900 to 9000."))
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@router.get("/", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    ctx: Ctx,
    country: Annotated[str, Query(max_length=2)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Incidents, most recently updated first, with filters and a map of the same incidents."""
    try:
        _public(ctx)
        if country and not (country.isalpha() and pycountry.countries.get(alpha_2=country.upper())):
            raise PageError(400, N_("Filter not valid"), N_("Country: choose a country from the list."))
        if category and category not in CATEGORIES:
            raise PageError(400, N_("Filter not valid"), N_("Target: choose a kind of target from the list."))
        found = list_incidents(
            ctx.db,
            country=country.upper() or None,
            category=category or None,
            since=_since(since),
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    except PageError as error:
        return error_page(request, error)
    shown = found[:PAGE_SIZE]
    settings = ctx.settings.web
    # The same filters for the incident feeds of the API (their ``since`` is an instant with a time zone).
    feed_filters = {"country": country.upper(), "category": category, "since": f"{since}T00:00:00Z" if since else ""}
    feed_query = urlencode({key: value for key, value in feed_filters.items() if value})
    return render(
        request,
        "incidents.html",
        incidents=shown,
        map=map_view(shown, settings.map_tile_url),
        tile_attribution=settings.map_tile_attribution,
        countries=countries(),
        categories=CATEGORIES,
        chosen={"country": country.upper(), "category": category, "since": since},
        page=page,
        more=len(found) > PAGE_SIZE,
        filtered=bool(country or category or since),
        feed_query=feed_query,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(incident_id: int, request: Request, ctx: Ctx) -> Response:
    """One incident: coded fields, every report with its link, evidence sentences and version history."""
    try:
        _public(ctx)
        incident = get_incident(ctx.db, incident_id) if 0 < incident_id < 2**63 else None
        if incident is None:
            raise PageError(404, N_("Incident not found"), N_("There is no incident with this number."))
    except PageError as error:
        return error_page(request, error)
    sources = [(article, safe_url(article.url)) for article in incident.articles]
    history = list_versions(ctx.db, incident.id)
    # The signed "wrong alert" link of the web page (no subscription), relative so it works behind any URL.
    wrong = urlsplit(feedback_url(ctx.settings.api.public_url, secret_of(ctx), incident.id))
    feedback = f"{wrong.path}?{wrong.query}"
    return render(request, "incident.html", incident=incident, sources=sources, history=history, feedback_url=feedback)


@router.get("/map/world.svg")
def world_outline() -> Response:
    """The world outline under the incident map (Natural Earth, public domain); cached by browsers."""
    return Response(
        outline_svg(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
