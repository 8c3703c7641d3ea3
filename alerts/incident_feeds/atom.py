"""Incidents as an Atom 1.0 feed (RFC 4287), built with lxml: one entry per incident, newest update first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from lxml import etree
from lxml.builder import ElementMaker

from alerts.incident_feeds import incident_url, xml_text
from alerts.links import incident_page_url
from alerts.models import Incident
from alerts.render import category_name, incident_view, safe_url

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
_A = ElementMaker(namespace=ATOM_NS, nsmap={None: ATOM_NS})


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _entry(incident: Incident, public_url: str) -> etree._Element:
    view = incident_view(incident)
    url = incident_url(public_url, incident.id)
    facts = [
        f"What: {view.what}",
        f"Where: {view.where}",
        f"When: {view.when}",
        f"Who: {view.who}",
        f"Casualties: {view.casualties}",
    ]
    summary = "\n".join([*facts, "", incident.summary]).strip()
    entry = _A.entry(
        # The id stays the same across versions, so readers replace the entry instead of adding one.
        _A.id(url),
        _A.title(xml_text(view.title)),
        _A.updated(_stamp(incident.updated)),
        _A.published(_stamp(incident.first_seen)),
        # The web page first: feed readers open the first alternate link, and people read the page.
        _A.link(rel="alternate", type="text/html", href=incident_page_url(public_url, incident.id)),
        _A.link(rel="alternate", type="application/json", href=url),
        _A.link(rel="alternate", type="application/cap+xml", href=f"{url}.cap"),
        _A.summary(xml_text(summary), type="text"),
    )
    for article in incident.articles[:10]:
        href = safe_url(article.url)
        if href:
            entry.append(_A.link(rel="related", href=xml_text(href), title=xml_text(article.title or href)))
    for category in incident.categories:
        entry.append(_A.category(term=category, label=category_name(category)))
    if incident.country_code:
        entry.append(_A.category(term=incident.country_code, scheme="urn:iso:std:iso:3166:-1:alpha-2"))
    return entry


def render_atom(incidents: Sequence[Incident], *, public_url: str, self_url: str, now: datetime) -> bytes:
    """The Atom document for ``incidents``; ``self_url`` is the feed's own URL (with its filters)."""
    base = public_url.rstrip("/")
    newest = max((i.updated for i in incidents), default=now)
    feed = _A.feed(
        _A.id(f"{base}/api/v1/incidents.atom"),
        _A.title("aidwatch: attacks on humanitarian sites and personnel"),
        _A.updated(_stamp(newest)),
        _A.author(_A.name("aidwatch")),
        _A.link(rel="self", type="application/atom+xml", href=xml_text(self_url)),
        _A.generator("aidwatch"),
    )
    for incident in incidents:
        feed.append(_entry(incident, base))
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True))
