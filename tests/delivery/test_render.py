"""Every template rendered with hostile text: script tags, CRLF in titles, unicode, javascript: links."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.models import ArticleRef
from alerts.render import render_alert, render_confirmation, render_digest, subject_for
from tests.support.alerting import HOSTILE_TITLE, make_incident

EVIL_URL = "javascript:alert(document.cookie)"


def _hostile_incident(**changes: Any) -> Any:
    seen = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    return make_incident(
        title=HOSTILE_TITLE,
        summary="<img src=x onerror=alert(1)> & more\r\nX-Injected: yes",
        location_name="Bunia\r\nBcc: evil@example.org",
        perpetrator="<b>CODECO</b>",
        articles=[
            ArticleRef(
                url="https://news.example.org/a?x=1&y=<2>",
                title=HOSTILE_TITLE,
                feed="f",
                published=seen,
                first_seen=seen,
            ),
            ArticleRef(url=EVIL_URL, title="evil link", feed="f", published=None, first_seen=seen),
        ],
        **changes,
    )


def _alert(fmt: str, unsubscribe: str | None = "https://aidwatch.test/unsub?token=t") -> Any:
    return render_alert({"type": "incident.created", "incident": _hostile_incident().as_record()}, fmt, unsubscribe)


def _digest(fmt: str) -> Any:
    records = [_hostile_incident().as_record(), make_incident(id=2, title="Convoy looted near Goma").as_record()]
    payload = {
        "type": "digest",
        "period": {"start": "2026-11-26T08:00:00+00:00", "end": "2026-11-27T08:00:00+00:00"},
        "incidents": records,
    }
    return render_digest(payload, fmt, "https://aidwatch.test/unsub?token=t")


def test_subject_is_one_line_with_category_title_country() -> None:
    subject = subject_for(_hostile_incident())
    assert "\r" not in subject and "\n" not in subject
    assert subject.startswith("[aidwatch] health care: Gunmen <script>")
    assert subject.endswith("(Congo, The Democratic Republic of the)")
    assert subject_for(make_incident(title="x\u2028Bcc: y", country_name=None, country_code="SD")).endswith("(SD)")
    assert "\u2028" not in subject_for(make_incident(title="x\u2028Bcc: y"))


@pytest.mark.parametrize("kind", ["alert", "digest"])
def test_email_html_escapes_everything(kind: str) -> None:
    rendered = _alert("json") if kind == "alert" else _digest("json")
    html = rendered.html
    assert "<script>" not in html and "<img" not in html and "<b>CODECO" not in html
    assert "&lt;script&gt;" in html
    assert "Ñandú 🚑" in html
    assert EVIL_URL not in html
    assert 'href="https://news.example.org/a?x=1&amp;y=&lt;2&gt;"' in html
    assert "https://aidwatch.test/unsub?token=t" in html


@pytest.mark.parametrize("kind", ["alert", "digest"])
def test_email_text_carries_the_facts(kind: str) -> None:
    rendered = _alert("json") if kind == "alert" else _digest("json")
    text = rendered.text
    for fact in ("Bunia", "2 killed", "5 injured", "CODECO", "armed attack", "https://news.example.org/a", "Ñandú 🚑"):
        assert fact in text, fact
    # Body text is not a header block, but one-line fields (place, title) must still stay on their line.
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    assert EVIL_URL not in text
    assert rendered.subject and "\n" not in rendered.subject


def test_alert_text_lists_evidence_and_unsubscribe() -> None:
    text = _alert("json").text
    assert "Armed men stormed the MSF clinic" in text
    assert "Unsubscribe: https://aidwatch.test/unsub?token=t" in text
    assert "Unsubscribe" not in _alert("json", None).text


def test_json_webhook_is_the_exact_record() -> None:
    incident = _hostile_incident()
    rendered = render_alert({"type": "incident.updated", "incident": incident.as_record()}, "json")
    body = json.loads(rendered.body)
    assert body == {"type": "incident.updated", "incident": incident.as_record()}
    assert body["incident"]["title"] == HOSTILE_TITLE
    assert rendered.content_type == "application/json"


def test_json_digest_lists_records() -> None:
    body = json.loads(_digest("json").body)
    assert body["type"] == "digest"
    assert [i["id"] for i in body["incidents"]] == [1, 2]


@pytest.mark.parametrize("kind", ["alert", "digest"])
def test_slack_block_kit_escapes_mrkdwn(kind: str) -> None:
    body = json.loads((_alert("slack") if kind == "alert" else _digest("slack")).body)
    assert body["blocks"][0]["type"] == "header"
    assert "\n" not in body["blocks"][0]["text"]["text"]
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    joined = "\n".join(sections)
    assert "<script>" not in joined and "&lt;script&gt;" in joined
    assert "Bunia" in joined and "2 killed" in joined and "CODECO" in joined
    assert "<https://news.example.org/a?x=1&y=%3C2%3E|" in joined
    assert EVIL_URL not in joined


@pytest.mark.parametrize("kind", ["alert", "digest"])
def test_teams_adaptive_card(kind: str) -> None:
    body = json.loads((_alert("teams") if kind == "alert" else _digest("teams")).body)
    card = body["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    flat = json.dumps(card, ensure_ascii=False)
    assert "Bunia" in flat and "2 killed" in flat and "CODECO" in flat
    assert "Ñandú 🚑" in flat
    blocks = card["body"][1]["items"]
    title, facts = blocks[0]["text"], blocks[1]["facts"]
    assert title == HOSTILE_TITLE.replace("\r\n", " ")
    assert all("\n" not in fact["value"] and "\r" not in fact["value"] for fact in facts)


@pytest.mark.parametrize("kind", ["alert", "digest"])
def test_text_format(kind: str) -> None:
    rendered = _alert("text", None) if kind == "alert" else _digest("text")
    body = rendered.body.decode()
    assert rendered.content_type.startswith("text/plain")
    assert "Bunia" in body and "2 killed" in body
    assert not any(line.startswith("Bcc:") for line in body.splitlines())


def test_confirmation_email_escapes_the_name() -> None:
    rendered = render_confirmation(
        "https://a.test/c?token=1&x=2", "https://a.test/u?token=2", "<script>x</script>\r\nBcc: y"
    )
    assert "<script>" not in rendered.html
    assert 'href="https://a.test/c?token=1&amp;x=2"' in rendered.html
    assert "https://a.test/c?token=1&x=2" in rendered.text
    assert "\n" not in rendered.subject


@pytest.mark.parametrize(
    ("categories", "subject_start", "what_end"),
    [
        pytest.param(["ngo", "health"], "[aidwatch] NGO: ", " on NGO, health care", id="ngo-and-health"),
        pytest.param(["un"], "[aidwatch] UN: ", " on UN", id="un"),
        pytest.param(["red_cross"], "[aidwatch] Red Cross / Red Crescent: ", " on Red Cross / Red Crescent", id="rc"),
    ],
)
def test_alerts_name_targets_as_people_read_them(categories: list[str], subject_start: str, what_end: str) -> None:
    rendered = render_alert({"type": "incident.created", "incident": make_incident(categories=categories).as_record()})
    assert rendered.subject.startswith(subject_start)
    what = next(line for line in rendered.text.splitlines() if line.startswith("What:"))
    assert what.endswith(what_end)


@pytest.mark.parametrize("kind", ["alert", "digest"])
def test_emails_link_the_incident_page_when_given(kind: str) -> None:
    pages = {1: "https://aidwatch.test/incidents/1", 2: "https://aidwatch.test/incidents/2"}
    if kind == "alert":
        payload = {"type": "incident.created", "incident": _hostile_incident().as_record()}
        rendered, bare = render_alert(payload, incident_urls=pages), render_alert(payload)
    else:
        payload = {
            "type": "digest",
            "period": {"start": "2026-11-26T08:00:00+00:00", "end": "2026-11-27T08:00:00+00:00"},
            "incidents": [_hostile_incident().as_record(), make_incident(id=2, title="Convoy looted").as_record()],
        }
        rendered, bare = render_digest(payload, incident_urls=pages), render_digest(payload)
    for url in pages.values() if kind == "digest" else [pages[1]]:
        assert url in rendered.text
        assert f'<a href="{url}">' in rendered.html
    assert "/incidents/" not in bare.text and "/incidents/" not in bare.html


def test_email_footer_links_are_spaced() -> None:
    rendered = render_alert(
        {"type": "incident.created", "incident": make_incident().as_record()},
        unsubscribe_url="https://aidwatch.test/unsub",
        manage_url="https://aidwatch.test/manage",
    )
    assert "Unsubscribe</a> &middot; <a" in rendered.html
