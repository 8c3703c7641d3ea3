"""One incident version as a CAP 1.2 alert message (OASIS Common Alerting Protocol), built with lxml.

Every version of an incident is one message: version 1 is ``msgType`` Alert, sent when the incident was
first seen; a later version (the incident merged a new report and its facts changed) is an Update, sent
when it was last updated, whose ``references`` names the version-1 Alert. Only the first message's send
time is known for every incident (intermediate versions are not kept), so Updates reference the Alert
they update rather than each other. All versions share ``incidents``, the incident's own identifier.
The same version always yields the same document.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from lxml import etree
from lxml.builder import ElementMaker

from alerts.incident_feeds import incident_url, xml_text
from alerts.models import Incident
from alerts.render import incident_view, one_line

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_TYPE = "application/cap+xml"
HEADLINE_MAX = 160  # CAP 1.2 asks for headlines under 160 characters (SMS-sized)
_C = ElementMaker(namespace=CAP_NS, nsmap={None: CAP_NS})
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")  # xs:language
_IDENTIFIER_BAD = re.compile(r"[\s,<&]")  # CAP identifiers and senders must not contain these


def cap_time(moment: datetime) -> str:
    """CAP's date-time: whole seconds and a numeric zone, UTC written ``-00:00`` as CAP 1.2 requires."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "-00:00")


def _host(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "localhost"
    return _IDENTIFIER_BAD.sub("", host) or "localhost"


def sender_of(public_url: str) -> str:
    """The CAP ``sender`` of this installation: ``aidwatch@<host of api.public_url>``."""
    return f"aidwatch@{_host(public_url)}"


def message_identifier(public_url: str, incident_id: int, version: int) -> str:
    """The CAP ``identifier`` of one incident version, unique to this installation."""
    return f"{_host(public_url)}-aidwatch-incident-{incident_id}-v{version}"


def _severity(incident: Incident) -> str:
    if (incident.killed or 0) > 0 or (incident.kidnapped or 0) > 0:
        return "Severe"
    if (incident.injured or 0) > 0:
        return "Moderate"
    if incident.killed is None and incident.injured is None and incident.kidnapped is None:
        return "Unknown"
    return "Minor"


def _certainty(incident: Incident) -> str:
    # Two outlets reporting the same attack: it took place. One report: it probably did.
    outlets = {urlsplit(a.url).hostname for a in incident.articles}
    return "Observed" if len(outlets) >= 2 else "Likely"


def _parameter(name: str, value: object) -> etree._Element:
    return _C.parameter(_C.valueName(name), _C.value(xml_text(one_line(value))))


def _info(incident: Incident, public_url: str) -> etree._Element:
    view = incident_view(incident)
    description = "\n".join(
        [
            f"What: {view.what}",
            f"Where: {view.where}",
            f"When: {view.when}",
            f"Who: {view.who}",
            f"Casualties: {view.casualties}",
            "",
            incident.summary,
            "",
            "Sources:",
            *(f"- {title} {url}".rstrip() for title, url in view.sources),
        ]
    ).strip()
    info = _C.info()
    if incident.language and _LANGUAGE.match(incident.language):
        info.append(_C.language(incident.language))
    info.extend(
        [
            _C.category("Security"),
            _C.event(xml_text(f"Attack on humanitarian target: {view.what}")),
            _C.responseType("Monitor"),
            # The attack is over when it is reported: no protective action is asked of the public.
            _C.urgency("Past"),
            _C.severity(_severity(incident)),
            _C.certainty(_certainty(incident)),
            _C.senderName("aidwatch"),
            _C.headline(xml_text(one_line(incident.title, HEADLINE_MAX))),
            _C.description(xml_text(description)),
            _C.web(incident_url(public_url, incident.id)),
        ]
    )
    facts: list[tuple[str, object]] = [
        ("occurred_on", incident.occurred_on.isoformat() if incident.occurred_on else None),
        ("killed", incident.killed),
        ("injured", incident.injured),
        ("kidnapped", incident.kidnapped),
        ("perpetrator", incident.perpetrator),
        ("categories", " ".join(incident.categories) or None),
        ("score", round(incident.score, 4)),
    ]
    info.extend(_parameter(name, value) for name, value in facts if value is not None)
    area = _C.area(_C.areaDesc(xml_text(view.where)))
    if incident.lat is not None and incident.lon is not None and abs(incident.lat) <= 90 and abs(incident.lon) <= 180:
        area.append(_C.circle(f"{incident.lat:.5f},{incident.lon:.5f} 0"))  # a point: radius 0 km
    if incident.country_code:
        area.append(_C.geocode(_C.valueName("ISO 3166-1 alpha-2"), _C.value(incident.country_code)))
    info.append(area)
    return info


def render_cap(incident: Incident, *, public_url: str, restricted: bool = False) -> bytes:
    """The CAP 1.2 message of the incident's current version (``restricted``: incidents are admin-only)."""
    sender = sender_of(public_url)
    update = incident.version > 1
    sent = incident.updated if update else incident.first_seen
    alert = _C.alert(
        _C.identifier(message_identifier(public_url, incident.id, incident.version)),
        _C.sender(sender),
        _C.sent(cap_time(sent)),
        _C.status("Actual"),
        _C.msgType("Update" if update else "Alert"),
        _C.source("aidwatch news monitoring"),
        _C.scope("Restricted" if restricted else "Public"),
    )
    if restricted:
        alert.append(_C.restriction("aidwatch administrators (api.private_incidents)"))
    if update:
        first = message_identifier(public_url, incident.id, 1)
        alert.append(_C.references(f"{sender},{first},{cap_time(incident.first_seen)}"))
    alert.append(_C.incidents(f"{_host(public_url)}-aidwatch-incident-{incident.id}"))
    alert.append(_info(incident, public_url))
    return bytes(etree.tostring(alert, xml_declaration=True, encoding="utf-8", pretty_print=True))
