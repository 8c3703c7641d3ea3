"""The web pages in a real browser (Debian's Chromium through Playwright), against the app on a socket.

Each step writes a screenshot under var/test-output/screenshots/ for a person to look at.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest

from alerts.delivery.worker import DeliveryWorker
from alerts.store import feedback as feedback_store
from alerts.store import subscriptions as store
from alerts.store.incident_versions import record_version
from alerts.store.tables import ArticleRow, IncidentRow
from alerts.subscriptions import queue_alerts
from tests.support.alerting import make_incident, store_incident
from tests.web.conftest import Site, link_in

pytestmark = pytest.mark.slow


def _deliver(site: Site) -> int:
    # In a thread: Playwright's sync API keeps an event loop of its own running on this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, DeliveryWorker(site.settings, site.db).run_once()).result(timeout=60)


def _seed_incident(site: Site, **overrides: Any) -> int:
    incident = make_incident(**overrides)
    store_incident(site.db, incident)
    with site.db.session() as session:
        row = session.get(IncidentRow, incident.id)
        assert row is not None
        row.lat, row.lon, row.injured = incident.lat, incident.lon, incident.injured
        for number, article in enumerate(incident.articles):
            session.add(
                ArticleRow(
                    feed_id=None,
                    url=article.url,
                    url_key=f"{incident.id}-{number}",
                    entry_key=article.url,
                    title=article.title,
                    published=article.published,
                    text="",
                    first_seen=article.first_seen,
                    is_attack=True,
                    incident_id=incident.id,
                )
            )
        if incident.version > 1:  # an earlier version with a lower toll, so the history shows a change
            earlier = make_incident(**{**overrides, "version": incident.version - 1, "killed": 1})
            record_version(session, earlier, "incident.created", incident.first_seen)
        record_version(
            session, incident, "incident.updated" if incident.version > 1 else "incident.created", incident.updated
        )
    return incident.id


def _status(site: Site, subscription_id: str) -> str:
    view = store.get_subscription(site.db, subscription_id)
    assert view is not None
    return view.status


def test_subscribe_confirm_manage_and_pause(site: Site, chromium: Any, screenshots: Path) -> None:
    page = chromium.new_page(locale="en-GB")
    page.goto(site.url + "/subscribe")
    page.get_by_label("Email address or webhook URL").fill("field.desk@example.org")
    page.get_by_label("Countries").fill("CD, SD")
    page.get_by_label("health care").check()
    page.screenshot(path=screenshots / "subscribe.png", full_page=True)
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    page.screenshot(path=screenshots / "subscribed.png", full_page=True)

    assert _deliver(site) == 1
    (confirmation,) = site.smtp.handler.wait_for(1)
    text = confirmation.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm_url = link_in(text, r"/confirm\?token=")
    subscription_id = confirm_url.split("/subscriptions/")[1].split("/")[0]

    # A mail scanner or a link preview GETs the link, following redirects: nothing is confirmed.
    for accept in ("*/*", "text/html"):
        scanned = httpx2.get(confirm_url, headers={"Accept": accept}, follow_redirects=True, timeout=10)
        assert scanned.status_code == 200
    assert _status(site, subscription_id) == "pending_confirmation"

    # The person opens the link and presses Confirm.
    page.goto(confirm_url)
    page.get_by_role("heading", name="Confirm your subscription").wait_for()
    page.screenshot(path=screenshots / "confirm.png", full_page=True)
    assert _status(site, subscription_id) == "pending_confirmation"
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Subscription confirmed").wait_for()
    page.screenshot(path=screenshots / "confirmed.png", full_page=True)
    assert _status(site, subscription_id) == "active"

    # An alert arrives with the manage link; the manage page shows the delivery log and pauses.
    incident = make_incident(id=7, title="Armed men loot a WFP warehouse in Bunia")
    store_incident(site.db, incident)
    with site.db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 1
    assert _deliver(site) == 1
    alert = site.smtp.handler.wait_for(2)[1]
    manage_url = link_in(alert.message.get_body(("plain",)).get_content(), r"/manage\?token=")  # type: ignore[union-attr]
    page.goto(manage_url)
    page.get_by_role("heading", name="Manage your subscription").wait_for()
    log = page.get_by_role("table")
    assert log.get_by_role("row").count() == 3  # header, the alert, the confirmation
    assert "delivered" in log.inner_text()
    page.screenshot(path=screenshots / "manage.png", full_page=True)
    page.get_by_role("button", name="Pause alerts").click()
    page.get_by_role("status").filter(has_text="Alerts are paused").wait_for()
    page.screenshot(path=screenshots / "manage-paused.png", full_page=True)
    assert _status(site, subscription_id) == "paused"
    with site.db.session() as session:
        assert queue_alerts(session, make_incident(id=7, version=2, killed=4), "incident.updated") == 0

    # Filters change through the same form, validated by the API's own model.
    page.get_by_label("Countries").fill("CD, ZZ")
    page.get_by_role("button", name="Save filters").click()
    page.get_by_role("alert").wait_for()
    assert "'ZZ' is not an ISO 3166-1 alpha-2 country code" in page.get_by_role("alert").inner_text()
    page.screenshot(path=screenshots / "manage-error.png", full_page=True)
    page.get_by_role("button", name="Resume alerts").click()
    page.get_by_role("status").filter(has_text="Alerts are resumed").wait_for()
    assert _status(site, subscription_id) == "active"
    page.close()


@pytest.mark.parametrize(
    ("lang", "direction", "heading"),
    [
        pytest.param("en", "ltr", "Attacks on humanitarian sites and personnel", id="english"),
        pytest.param("fr", "ltr", "Attaques contre des sites et du personnel humanitaires", id="french"),
        pytest.param("ar", "rtl", "الهجمات على المواقع والعاملين في المجال الإنساني", id="arabic"),
    ],
)
def test_incident_list_and_map_show_a_seeded_incident(
    site: Site, chromium: Any, screenshots: Path, lang: str, direction: str, heading: str
) -> None:
    incident_id = _seed_incident(site, id=3, version=2, title="Gunmen attack MSF clinic in Bunia", killed=2)
    page = chromium.new_page(locale="en-GB", viewport={"width": 1100, "height": 900})
    page.goto(f"{site.url}/?lang={lang}")
    assert page.locator("html").get_attribute("dir") == direction
    page.get_by_role("heading", name=heading).wait_for()
    listed = page.get_by_role("link", name="Gunmen attack MSF clinic in Bunia", exact=True)
    assert listed.count() == 1
    dot = page.locator("figure.map a.dot")
    assert dot.count() == 1
    assert dot.get_attribute("href") == f"/incidents/{incident_id}"
    assert "Bunia" in (dot.get_attribute("aria-label") or "")
    page.screenshot(path=screenshots / f"incidents-{lang}.png", full_page=True)

    dot.focus()  # keyboard users reach the dot; the script names it under the map
    assert "Gunmen attack MSF clinic in Bunia" in page.locator(".map-focus").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/incidents/{incident_id}")
    page.locator("#incident-title").wait_for()
    report = page.locator("#sources-heading ~ table").get_by_role("link")
    assert report.get_attribute("href") == "https://news.example.org/bunia-clinic"
    history = page.locator("ol.history")
    assert history.locator(":scope > li").count() == 2
    assert "1 → 2" in " ".join(history.locator("li li").first.inner_text().split())
    page.screenshot(path=screenshots / f"incident-{lang}.png", full_page=True)
    page.close()


@pytest.mark.parametrize(
    ("lang", "link", "missing", "choice", "thanks"),
    [
        pytest.param(
            "en",
            "Wrong alert? Tell us",
            "Choose what is wrong with this alert.",
            "Wrong place",
            "Thank you",
            id="english",
        ),
        pytest.param(
            "ar", "تنبيه خاطئ؟ أخبرنا", "اختر ما الخطأ في هذا التنبيه.", "المكان خاطئ", "شكرًا لك", id="arabic"
        ),
    ],
)
def test_wrong_alert_form_from_the_feedback_link(
    site: Site, chromium: Any, screenshots: Path, lang: str, link: str, missing: str, choice: str, thanks: str
) -> None:
    incident_id = _seed_incident(site, id=4, title="Aid convoy looted near Nyala")
    page = chromium.new_page(locale="en-GB", viewport={"width": 900, "height": 900})
    page.goto(f"{site.url}/incidents/{incident_id}?lang={lang}")
    page.get_by_role("link", name=link).click()  # the signed feedback link, as every alert carries one
    page.wait_for_url(f"**/feedback/{incident_id}?*")
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    page.get_by_role("button").filter(has_text="Send" if lang == "en" else "إرسال").click()
    error = page.locator("#choice-error")
    error.wait_for()
    assert error.inner_text() == missing
    assert page.locator("fieldset#choice").get_attribute("aria-describedby") == "choice-error"
    page.screenshot(path=screenshots / f"feedback-error-{lang}.png", full_page=True)

    page.get_by_role("radio", name=choice).check()
    page.locator("#comment").fill("The convoy was stopped at Kass, not Nyala.")
    page.screenshot(path=screenshots / f"feedback-{lang}.png", full_page=True)
    page.get_by_role("button").filter(has_text="Send" if lang == "en" else "إرسال").click()
    page.get_by_role("heading", name=thanks, level=1).wait_for()
    assert choice in page.locator("main").inner_text()
    stored, _ = feedback_store.list_feedback(site.db, incident_id=incident_id)
    assert [(view.choice, view.comment) for view in stored] == [
        ("wrong_place", "The convoy was stopped at Kass, not Nyala.")
    ]
    page.screenshot(path=screenshots / f"feedback-sent-{lang}.png", full_page=True)
    page.close()
