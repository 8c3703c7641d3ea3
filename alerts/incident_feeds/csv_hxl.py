"""Incidents as CSV: one row per incident, a header row, then a row of HXL hashtags (hxlstandard.org).

Columns follow the order of the Aid Worker Security Database export for the facts aidwatch codes (AWSD
column names are kept, so a researcher can paste rows beside AWSD data); aidwatch's own fields follow.
AWSD columns aidwatch cannot fill (staff nationality, gender, motive, verification...) are left out rather
than written empty. Cells never start with ``=``, ``+``, ``-`` or ``@`` so that a spreadsheet does not run
them as formulas (article titles are hostile input).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from alerts.incident_feeds import incident_url
from alerts.models import Incident
from alerts.render import human, one_line, safe_url

CSV_TYPE = "text/csv; charset=utf-8"

Cell = Callable[[Incident], object]


def _count(value: int | None) -> object:
    return "" if value is None else value


def _date_part(index: int) -> Cell:
    def part(incident: Incident) -> object:
        day = incident.occurred_on
        return "" if day is None else (day.year, day.month, day.day)[index]

    return part


# (header, HXL hashtag, value): AWSD order first, then aidwatch's own columns.
COLUMNS: tuple[tuple[str, str, Cell], ...] = (
    ("Incident ID", "#event+id", lambda i: i.id),
    ("Year", "#date+year", _date_part(0)),
    ("Month", "#date+month", _date_part(1)),
    ("Day", "#date+day", _date_part(2)),
    ("Country Code", "#country+code", lambda i: i.country_code or ""),
    ("Country", "#country+name", lambda i: i.country_name or ""),
    ("City", "#loc+name", lambda i: i.location_name or ""),
    ("Total killed", "#affected+killed", lambda i: _count(i.killed)),
    ("Total wounded", "#affected+injured", lambda i: _count(i.injured)),
    ("Total kidnapped", "#affected+kidnapped", lambda i: _count(i.kidnapped)),
    ("Means of attack", "#event+type", lambda i: "; ".join(human(e) for e in i.event_types)),
    ("Latitude", "#geo+lat", lambda i: "" if i.lat is None else i.lat),
    ("Longitude", "#geo+lon", lambda i: "" if i.lon is None else i.lon),
    ("Actor name", "#org+perpetrator", lambda i: i.perpetrator or ""),
    ("Details", "#description", lambda i: i.summary),
    ("Source", "#meta+source+url", lambda i: " ".join(u for u in (safe_url(a.url) for a in i.articles) if u)),
    ("Title", "#description+title", lambda i: i.title),
    ("Targets", "#sector+targeted", lambda i: "; ".join(human(c) for c in i.categories)),
    ("Organizations", "#org+affected", lambda i: "; ".join(i.organizations)),
    ("Score", "#indicator+score", lambda i: round(i.score, 4)),
    ("Version", "#meta+version", lambda i: i.version),
    ("First seen", "#date+reported", lambda i: i.first_seen.isoformat()),
    ("Updated", "#date+updated", lambda i: i.updated.isoformat()),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if not isinstance(value, str):
        return value
    text = one_line(value)
    # A leading apostrophe is how spreadsheets mark "this is text, not a formula".
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(incidents: Sequence[Incident], public_url: str) -> bytes:
    """The CSV document: header row, HXL hashtag row, one row per incident, plus its record URL."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _tag, _cell_of in COLUMNS] + ["URL"])
    writer.writerow([tag for _header, tag, _cell_of in COLUMNS] + ["#meta+url"])
    for incident in incidents:
        row = [_cell(value(incident)) for _header, _tag, value in COLUMNS]
        writer.writerow([*row, incident_url(public_url, incident.id)])
    return out.getvalue().encode("utf-8")
