"""Rendering alerts, digests and confirmations with one Jinja2 environment (web pages: ``alerts.web``).

Article titles and text are hostile input. HTML templates are autoescaped; webhook JSON is built with
``json.dumps`` of real data structures (never by pasting strings into a JSON template); Slack text is
escaped at the view level before any template sees it; email subjects lose every control character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alerts.models import Incident

ENV = Environment(
    loader=PackageLoader("alerts", "templates"),
    # Anything not explicitly plain text (.txt, Slack .md whose data is pre-escaped) is escaped as HTML.
    autoescape=select_autoescape(
        enabled_extensions=("html",), disabled_extensions=("txt", "md"), default_for_string=True, default=True
    ),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
# Control characters (CR, LF, NEL, line/paragraph separators...) must never reach a mail header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_TITLE_MAX = 150
FORMATS = ("json", "slack", "teams", "text")


def one_line(value: object, limit: int | None = None) -> str:
    """``value`` as a single line: control characters become spaces, whitespace collapses."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def human(code: str) -> str:
    """``aid_convoy_or_warehouse`` → ``aid convoy or warehouse``."""
    return code.replace("_", " ")


# The names people read for the target codes (alerts/models.py CATEGORIES); the web pages translate the same.
CATEGORY_NAMES: dict[str, str] = {
    "un": "UN",
    "ngo": "NGO",
    "red_cross": "Red Cross / Red Crescent",
    "health": "health care",
    "aid_convoy_or_warehouse": "aid convoy or warehouse",
    "camp": "camp",
    "other_humanitarian": "other humanitarian",
}


def category_name(code: str) -> str:
    """``ngo`` → ``NGO``: the name of a target category as alerts and feeds show it."""
    return CATEGORY_NAMES.get(code, human(code))


ENV.filters["human"] = human
ENV.filters["one_line"] = one_line


@dataclass(frozen=True, slots=True)
class IncidentView:
    """The facts every template shows: what, where, when, who, casualties, sources."""

    title: str
    what: str
    where: str
    when: str
    who: str
    casualties: str
    summary: str
    evidence: list[str]
    sources: list[tuple[str, str]]  # (title, url)
    score: str
    reference: str
    feedback_url: str = ""  # the signed "wrong alert" link (alerts/feedback.py), when the alert has one
    incident_url: str = ""  # the incident's web page, when incidents are public


def _where(incident: Incident) -> str:
    country = incident.country_name or incident.country_code or "unknown country"
    return f"{incident.location_name}, {country}" if incident.location_name else country


def _casualties(incident: Incident) -> str:
    parts = [
        f"{count} {label}"
        for count, label in ((incident.killed, "killed"), (incident.injured, "injured"))
        if count is not None
    ]
    if incident.kidnapped is not None:
        parts.append(f"{incident.kidnapped} kidnapped")
    return ", ".join(parts) or "not reported"


def safe_url(url: str) -> str:
    """``url`` when it is http(s), else empty: a ``javascript:`` link from a feed must not become an href."""
    return url if url.lower().startswith(("http://", "https://")) and not _CONTROL.search(url) else ""


def incident_view(
    incident: Incident, escape: Any = None, feedback_url: str = "", incident_url: str = ""
) -> IncidentView:
    """The view of ``incident``; ``escape`` (e.g. Slack's) is applied to every text it contains."""
    esc = escape or (lambda s: s)
    what = ", ".join(human(e) for e in incident.event_types) or "attack"
    targets = ", ".join(category_name(c) for c in incident.categories)
    who = [f"perpetrator: {incident.perpetrator}" if incident.perpetrator else "perpetrator: unknown"]
    if incident.organizations:
        who.append("organizations: " + ", ".join(incident.organizations))
    return IncidentView(
        title=esc(one_line(incident.title)),
        what=esc(f"{what} on {targets}" if targets else what),
        where=esc(one_line(_where(incident))),
        when=incident.occurred_on.isoformat() if incident.occurred_on else "date not reported",
        who=esc(one_line("; ".join(who))),
        casualties=_casualties(incident),
        summary=esc(incident.summary),
        evidence=[esc(one_line(e)) for e in incident.evidence[:5]],
        sources=[(esc(one_line(a.title or a.url)), safe_url(a.url)) for a in incident.articles[:10]],
        score=f"{incident.score:.2f}",
        reference=f"incident {incident.id} version {incident.version}",
        feedback_url=safe_url(feedback_url),
        incident_url=safe_url(incident_url),
    )


def subject_for(incident: Incident) -> str:
    """``[aidwatch] <category>: <title> (<country>)`` on one line, whatever the title contains."""
    category = category_name(incident.categories[0]) if incident.categories else "humanitarian"
    country = incident.country_name or incident.country_code or "unknown country"
    title = one_line(incident.title, SUBJECT_TITLE_MAX)
    return one_line(f"[aidwatch] {category}: {title} ({one_line(country, 60)})")


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message ready for a channel: email parts, or a webhook body with its content type."""

    subject: str = ""
    text: str = ""
    html: str = ""
    body: bytes = b""
    content_type: str = "application/json"


def slack_escape(value: str) -> str:
    """Slack mrkdwn escaping: only ``&``, ``<`` and ``>`` are control characters there."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_url(url: str) -> str:
    # Inside <url|label> a "|" or ">" in the URL would end it early.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _slack_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}


def _slack_body(incidents: list[Incident], heading: str, feedback: Mapping[int, str]) -> bytes:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": one_line(heading, 150)}}]
    for incident in incidents[:20]:  # Slack allows 50 blocks per message
        view = incident_view(incident, slack_escape, feedback.get(incident.id, ""))
        sources = [(t, _slack_url(u)) for t, u in view.sources]
        text = ENV.get_template("slack_incident.md").render(
            view=view, sources=sources, feedback_url=_slack_url(view.feedback_url)
        )
        blocks.append(_slack_section(text))
        blocks.append({"type": "divider"})
    return _json({"text": one_line(heading, 300), "blocks": blocks})


def _teams_incident(incident: Incident, feedback_url: str) -> list[dict[str, Any]]:
    view = incident_view(incident, feedback_url=feedback_url)
    facts = [
        ("What", view.what),
        ("Where", view.where),
        ("When", view.when),
        ("Who", view.who),
        ("Casualties", view.casualties),
        ("Score", view.score),
    ]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": view.title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
    ]
    if view.summary:
        body.append({"type": "TextBlock", "text": view.summary, "wrap": True})
    body += [
        {"type": "TextBlock", "text": f"Source: {title} ({url})", "wrap": True, "isSubtle": True}
        for title, url in view.sources
    ]
    if view.feedback_url:
        body.append({"type": "TextBlock", "text": f"[Wrong alert?]({view.feedback_url})", "wrap": True})
    return body


def _teams_body(incidents: list[Incident], heading: str, feedback: Mapping[int, str]) -> bytes:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": one_line(heading), "weight": "Bolder", "size": "Large", "wrap": True}
    ]
    for incident in incidents[:20]:
        body.append(
            {"type": "Container", "separator": True, "items": _teams_incident(incident, feedback.get(incident.id, ""))}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    return _json({"type": "message", "attachments": [attachment]})


def render_alert(
    payload: dict[str, Any],
    fmt: str = "json",
    unsubscribe_url: str | None = None,
    feedback_urls: Mapping[int, str] | None = None,
    manage_url: str | None = None,
    incident_urls: Mapping[int, str] | None = None,
) -> Rendered:
    """Render an ``incident.created`` / ``incident.updated`` payload for email and for ``fmt`` webhooks.

    ``feedback_urls`` maps incident ids to their signed "wrong alert" links (alerts/feedback.py);
    ``manage_url`` is the subscription's manage page (emails only); ``incident_urls`` maps incident ids to
    their web pages (none when incidents are private).
    """
    incident = Incident.model_validate(payload["incident"])
    event = payload["type"]
    feedback = feedback_urls or {}
    pages = incident_urls or {}
    view = incident_view(incident, feedback_url=feedback.get(incident.id, ""), incident_url=pages.get(incident.id, ""))
    context = {"view": view, "event": event, "unsubscribe_url": unsubscribe_url, "manage_url": manage_url}
    text = ENV.get_template("alert.txt").render(**context)
    heading = f"{'Updated' if event == 'incident.updated' else 'New'} incident: {view.title}"
    if fmt == "slack":
        body, ctype = _slack_body([incident], heading, feedback), "application/json"
    elif fmt == "teams":
        body, ctype = _teams_body([incident], heading, feedback), "application/json"
    elif fmt == "text":
        body, ctype = text.encode(), "text/plain; charset=utf-8"
    else:
        # The record exactly as queued (``Incident.as_record``): a retry after an upgrade sends the same bytes;
        # the feedback link is added beside it, never inside it.
        record: dict[str, Any] = {"type": event, "incident": payload["incident"]}
        if view.feedback_url:
            record["feedback_url"] = view.feedback_url
        body, ctype = _json(record), "application/json"
    return Rendered(
        subject=subject_for(incident),
        text=text,
        html=ENV.get_template("alert.html").render(**context),
        body=body,
        content_type=ctype,
    )


def render_digest(
    payload: dict[str, Any],
    fmt: str = "json",
    unsubscribe_url: str | None = None,
    feedback_urls: Mapping[int, str] | None = None,
    manage_url: str | None = None,
    incident_urls: Mapping[int, str] | None = None,
) -> Rendered:
    """Render a digest payload (the period's incidents) for email and for ``fmt`` webhooks."""
    incidents = [Incident.model_validate(record) for record in payload["incidents"]]
    feedback = feedback_urls or {}
    pages = incident_urls or {}
    period = payload["period"]
    end = one_line(period["end"][:10])
    context = {
        "views": [
            incident_view(i, feedback_url=feedback.get(i.id, ""), incident_url=pages.get(i.id, "")) for i in incidents
        ],
        "period_start": one_line(period["start"]),
        "period_end": one_line(period["end"]),
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
    }
    text = ENV.get_template("digest.txt").render(**context)
    heading = f"aidwatch digest: {len(incidents)} incident(s) up to {end}"
    if fmt == "slack":
        body, ctype = _slack_body(incidents, heading, feedback), "application/json"
    elif fmt == "teams":
        body, ctype = _teams_body(incidents, heading, feedback), "application/json"
    elif fmt == "text":
        body, ctype = text.encode(), "text/plain; charset=utf-8"
    else:
        links = {str(i.id): url for i in incidents if (url := safe_url(feedback.get(i.id, "")))}
        body, ctype = _json({**payload, "feedback_urls": links} if links else payload), "application/json"
    return Rendered(
        subject=f"[aidwatch] digest: {len(incidents)} incident(s) up to {end}",
        text=text,
        html=ENV.get_template("digest.html").render(**context),
        body=body,
        content_type=ctype,
    )


def render_confirmation(confirm_url: str, unsubscribe_url: str, name: str | None) -> Rendered:
    """The double opt-in email: nothing else is sent to an address until this link is followed."""
    context = {"confirm_url": confirm_url, "unsubscribe_url": unsubscribe_url, "name": one_line(name or "")}
    return Rendered(
        subject="[aidwatch] Confirm your alert subscription",
        text=ENV.get_template("confirmation.txt").render(**context),
        html=ENV.get_template("confirmation.html").render(**context),
    )


__all__ = [
    "CATEGORY_NAMES",
    "ENV",
    "Rendered",
    "category_name",
    "incident_view",
    "render_alert",
    "render_confirmation",
    "render_digest",
    "subject_for",
]
