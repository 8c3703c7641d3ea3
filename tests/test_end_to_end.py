"""End to end: `aidwatch serve` as a real subprocess turns the Herat report into one alert per channel.

Everything is real and local: the feed and article server, aiosmtpd, a webhook receiver that checks
Standard Webhooks signatures independently, SQLite in a temp dir. Negative articles are real news
articles read from ../shared at run time (never copied into the repository).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support.daemon import Daemon, daemon_config
from tests.support.feed_server import FeedServer, rss
from tests.support.shared import DEV_SET, SEED, require_shared
from tests.support.smtp_server import SmtpServer, smtp_server
from tests.support.webhook_receiver import Receiver, verify_standard_webhook, webhook_receiver

SECOND_OUTLET = Path(__file__).parent / "fixtures" / "articles" / "herat_second_outlet.txt"
NEWS_SET = Path(__file__).parent / "data" / "news" / "en.jsonl"
# The project's own news set: a bombing whose toll rises while hospitals struggle and the UN condemns it.
# Hospitals and the UN are responders and speakers there, never targets: it must raise no alert.
RESPONDER_ONLY_ID = "en-004"
HEADLINE = "UN compound in Herat attacked as Taliban fighters advance"
POLL_BUDGET = 45.0  # poll interval (2 s) + article fetch + classification + delivery, with CI slack


def page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
        "<footer>Example Wire, all rights reserved</footer></body></html>"
    ).encode()


def negative_articles(count: int) -> list[dict[str, str]]:
    """Real full news articles labelled negative (the first ones by id: no choosing)."""
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    chosen = sorted(
        (r for r in rows if r["kind"] == "news_article" and r["label"] == 0 and r["id"].startswith("hrdsattack:")),
        key=lambda r: r["id"],
    )
    return chosen[:count]


@pytest.fixture
def shared_data() -> None:
    """The seed report and the dev set from ../shared (skip without them; fail under CI=true)."""
    require_shared(SEED, DEV_SET)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as hook:
        yield hook


def confirm_link(text: str) -> str:
    match = re.search(r"https?://\S+/confirm\?token=[\w.\-~%=]+", text)
    assert match, f"no confirmation link in: {text[:500]}"
    return match.group(0)


def text_part(mail_raw: bytes) -> str:
    from email import message_from_bytes, policy

    message = message_from_bytes(mail_raw, policy=policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_herat_report_becomes_one_alert_in_each_channel(
    shared_data: None, tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer, receiver: Receiver
) -> None:
    base = "/e2e-herat"
    negatives = negative_articles(4)
    responder_story = next(
        row
        for line in NEWS_SET.read_text(encoding="utf-8").splitlines()
        if (row := json.loads(line))["id"] == RESPONDER_ONLY_ID
    )
    assert "hospitals struggle and UN condemns attack" in responder_story["title"]
    negatives.append(responder_story)
    items: list[tuple[str, str]] = []
    for n, row in enumerate(negatives):
        path = f"{base}/news-{n}.html"
        feed_server.route(path, body=page(row["title"], row["text"]))
        items.append((feed_server.url(path), html.escape(row["title"])))
    feed_url = feed_server.feed(f"{base}/feed.xml", rss(items))
    config = daemon_config(tmp_path, feeds=[("outlet-a", feed_url)], smtp=smtp)

    with Daemon(config) as daemon:
        api = daemon.client()
        hook = api.post(
            "/api/v1/subscriptions",
            json={"channel": "webhook", "target": receiver.url + "/af", "filters": {"countries": ["AF"]}},
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["signing_secret"]
        mail = api.post("/api/v1/subscriptions", json={"channel": "email", "target": "analyst@example.org"})
        assert mail.status_code == 201 and mail.json()["status"] == "pending_confirmation"
        [confirmation] = smtp.handler.wait_for(1, timeout=POLL_BUDGET)
        confirmed = httpx2.post(confirm_link(text_part(confirmation.raw)), timeout=10)  # a GET confirms nothing
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "active"

        # The negatives are polled and stored; then the Herat report appears on the same feed.
        daemon.wait_for_articles(len(negatives), timeout=POLL_BUDGET)
        feed_server.route(f"{base}/herat.html", body=page(HEADLINE, SEED.read_text(encoding="utf-8")))
        feed_server.feed(f"{base}/feed.xml", rss([(feed_server.url(f"{base}/herat.html"), HEADLINE), *items]))

        [delivered] = receiver.wait_for(1, timeout=POLL_BUDGET)
        assert verify_standard_webhook(secret, delivered.headers, delivered.body)
        body = json.loads(delivered.body)
        incident = body["incident"]
        assert body["type"] == "incident.created"
        assert "un" in incident["categories"] and "armed_attack" in incident["event_types"]
        assert incident["country"]["code"] == "AF" and incident["location"]["name"] == "Herat"
        assert incident["casualties"]["killed"] == 1
        assert [a["url"] for a in incident["articles"]] == [feed_server.url(f"{base}/herat.html")]

        alert_mail = smtp.handler.wait_for(2, timeout=POLL_BUDGET)[1]
        assert alert_mail.recipients == ["analyst@example.org"]
        alert_text = text_part(alert_mail.raw)
        assert "Herat" in alert_text and feed_server.url(f"{base}/herat.html") in alert_text
        assert "[aidwatch]" in alert_mail.message["Subject"] and "Afghanistan" in alert_mail.message["Subject"]
        assert alert_mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # A second outlet reports the same attack with a higher toll: an update at most, never a new incident.
        second_title, _, second_body = SECOND_OUTLET.read_text(encoding="utf-8").partition("\n")
        feed_server.route(f"{base}/outlet-b/herat.html", body=page(second_title, second_body))
        feed_b = feed_server.feed(
            f"{base}/outlet-b/feed.xml", rss([(feed_server.url(f"{base}/outlet-b/herat.html"), second_title)])
        )
        daemon.set_feeds([("outlet-a", feed_url), ("outlet-b", feed_b)])
        merged = daemon.wait_for_incident_articles(incident["id"], 2, timeout=POLL_BUDGET)
        assert merged["version"] >= 1
        incidents = api.get("/api/v1/incidents").json()
        listed = incidents["incidents"] if isinstance(incidents, dict) else incidents
        assert len(listed) == 1
        if merged["version"] > 1:
            updates = receiver.wait_for(2, timeout=POLL_BUDGET)
            assert json.loads(updates[1].body)["type"] == "incident.updated"
        created = [r for r in receiver.requests if json.loads(r.body)["type"] == "incident.created"]
        assert len(created) == 1
        daemon.wait_for_idle_outbox(timeout=POLL_BUDGET)
        webhooks_before, mails_before = len(receiver.requests), len(smtp.handler.messages)

    # After a restart nothing is re-sent: both feeds are polled again (304) and no alert goes out.
    polls_before = len(feed_server.requests_for(f"{base}/outlet-b/feed.xml"))
    with Daemon(config) as daemon:
        assert feed_server.wait_for(
            lambda _r: len(feed_server.requests_for(f"{base}/outlet-b/feed.xml")) >= polls_before + 2,
            timeout=POLL_BUDGET,
        )
        daemon.wait_for_idle_outbox(timeout=POLL_BUDGET)
    assert len(receiver.requests) == webhooks_before
    assert len(smtp.handler.messages) == mails_before
