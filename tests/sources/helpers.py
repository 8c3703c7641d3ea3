"""Recorded API answers (tests/sources/answers, written in the APIs' documented formats), pages and feed lists.

The answers are our own words. ``{base}`` and other braces are filled in at run time: the article links
must point at the local test server, and dates near now keep the classifier's 30-day rule out of the way.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from alerts.feedlist import load_feed_list
from alerts.settings import Settings
from alerts.store import Database
from alerts.store.feeds import sync_feed_list
from tests.crawler.helpers import settings_for_tests

ANSWERS = Path(__file__).parent / "answers"

# The article pages behind the GDELT answer (same titles as there), in our own words.
ATTACK_PAGE = (
    "Gunmen storm aid agency compound in Maiduguri, wounding two staff",
    "Armed men stormed the compound of an international aid agency in Maiduguri on Tuesday night, wounding two "
    "aid workers and setting a vehicle on fire, the agency said on Wednesday.\n"
    "The attackers fired at the guards before breaking into the offices, a spokesperson said. The two injured "
    "staff members were taken to hospital and are in stable condition.\n"
    "The agency has suspended its activities in the area while it reviews security.",
)
CALM_PAGE = (
    "Aid agencies open new warehouse ahead of rainy season",
    "Several aid agencies opened a shared warehouse on the outskirts of the city on Monday to store food and "
    "shelter materials before the rains cut off roads.\n"
    "The building can hold enough supplies for forty thousand families for three months, a logistics "
    "coordinator said. Trucks will start moving stock from the port next week.",
)


def page(title: str, text: str) -> bytes:
    """A news page with navigation and footer around the article."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
        "<footer>Example News</footer></body></html>"
    ).encode()


def recent(hours: float = 2) -> datetime:
    """A moment ``hours`` ago (answers are dated near now)."""
    return datetime.now(UTC) - timedelta(hours=hours)


def gdelt_answer(base: str) -> bytes:
    """The recorded ArtList answer, its article links on ``base``."""
    text = (ANSWERS / "gdelt_artlist.json").read_text(encoding="utf-8")
    text = text.replace("{base}", base).replace("{seendate}", recent().strftime("%Y%m%dT%H%M%SZ"))
    return text.encode()


def reliefweb_answer(self_url: str, next_url: str | None = None) -> bytes:
    """The recorded reports answer; ``links.next`` only when ``next_url`` is given."""
    text = (ANSWERS / "reliefweb_reports.json").read_text(encoding="utf-8")
    text = text.replace("{self}", self_url).replace("{next}", next_url or "")
    text = text.replace("{created}", recent().isoformat(timespec="seconds"))
    document = json.loads(text)
    if next_url is None:
        del document["links"]["next"]
    return json.dumps(document).encode()


def reliefweb_page(ids: list[int], self_url: str, next_url: str | None, total: int) -> bytes:
    """A reports answer in the same documented shape, with generated (neutral) reports ``ids``."""
    links: dict[str, Any] = {"self": {"href": self_url}}
    if next_url is not None:
        links["next"] = {"href": next_url}
    data = [
        {
            "id": str(report_id),
            "score": 1,
            "fields": {
                "title": f"Situation update number {report_id}",
                "body": f"Partners continued water trucking and school feeding in update {report_id}.",
                "url": f"https://reliefweb.int/node/{report_id}",
                "url_alias": f"https://reliefweb.int/report/example/situation-update-{report_id}",
                "date": {"created": recent().isoformat(timespec="seconds")},
            },
            "href": f"https://api.reliefweb.int/v1/reports/{report_id}",
        }
        for report_id in ids
    ]
    document = {"href": self_url, "time": 3, "links": links, "totalCount": total, "count": len(ids), "data": data}
    return json.dumps(document).encode()


def register_feed_list(db: Database, tmp_path: Path, entries: list[dict[str, Any]], settings: Settings) -> None:
    """Write ``entries`` as the feed list file and load it into the database, as the daemon does."""
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": entries}), encoding="utf-8")
    crawler = settings.crawler
    sync_feed_list(db, load_feed_list(path, crawler.default_interval, crawler.fetch_articles))


def settings_with(appname: str = "", **crawler: object) -> Settings:
    """Crawler test settings plus ``[sources] reliefweb_appname``."""
    base = settings_for_tests(**crawler)
    return base.model_copy(update={"sources": base.sources.model_copy(update={"reliefweb_appname": appname})})
