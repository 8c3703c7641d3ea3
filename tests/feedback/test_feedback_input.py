"""Hostile and malformed answers: clear 400 pages, nothing stored; comments kept as inert text."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2
import pytest
from sqlalchemy import select

from alerts.feedback import COMMENT_MAX, feedback_url
from alerts.links import link_secret
from alerts.render import render_alert, render_digest
from alerts.store import Database
from alerts.store.tables import FeedbackRow
from tests.api.conftest import PUBLIC_URL
from tests.feeds_out.stored import ingest_report
from tests.support.alerting import make_incident

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def form(db: Database) -> tuple[int, dict[str, str]]:
    """An incident and the hidden fields of its public-page feedback form."""
    incident_id = ingest_report(db, NOW, "https://news1.example.org/a").incident_id
    assert incident_id is not None
    with db.session() as session:
        url = feedback_url(PUBLIC_URL, link_secret(session), incident_id)
    return incident_id, {"token": url.split("token=", 1)[1]}


def _comments(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(FeedbackRow.comment)))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("<script>alert(1)</script><b>bold</b>", "<script>alert(1)</script><b>bold</b>", id="html"),
        pytest.param("line one\r\nline two\rthree", "line one\nline two\nthree", id="line-ends"),
        pytest.param("a\x00b\x1bc\x7fd\x85e", "abcde", id="control-characters"),
        pytest.param("safe \u202egnp.exe\u2066 \u200bx\ufeff", "safe gnp.exe x", id="direction-overrides"),
        pytest.param("  Cafe\u0301  ", "Café", id="nfc-and-trim"),
        pytest.param("", "", id="empty"),
        pytest.param("x" * COMMENT_MAX, "x" * COMMENT_MAX, id="longest"),
    ],
)
async def test_comments_are_stored_as_plain_text_and_shown_escaped(
    db: Database, client: httpx2.AsyncClient, form: tuple[int, dict[str, str]], typed: str, stored: str
) -> None:
    incident_id, fields = form
    response = await client.post(f"/feedback/{incident_id}", data={**fields, "choice": "other", "comment": typed})
    assert response.status_code == 200
    assert _comments(db) == [stored]
    assert "<script>alert" not in response.text and "<b>bold" not in response.text
    if "<script>" in stored:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    ("body", "content_type", "shown"),
    [
        pytest.param(
            {"choice": "other", "comment": "y" * (COMMENT_MAX + 1)},
            None,
            f'id="comment-error">Shorten the comment: it can have at most {COMMENT_MAX} characters.',
            id="comment-too-long",
        ),
        pytest.param({"choice": "spam"}, None, 'id="choice-error">Choose what is wrong', id="unknown-choice"),
        pytest.param({"comment": "no choice"}, None, 'id="choice-error">Choose what is wrong', id="no-choice"),
        pytest.param(b'{"choice": "other"}', "application/json", "This form could not be read", id="json-body"),
        pytest.param(b"choice=other&comment=%FF%FE", None, "This form could not be read", id="not-utf8"),
    ],
)
async def test_bad_answers_are_a_400_naming_the_field_and_store_nothing(
    db: Database,
    client: httpx2.AsyncClient,
    form: tuple[int, dict[str, str]],
    body: dict[str, str] | bytes,
    content_type: str | None,
    shown: str,
) -> None:
    incident_id, fields = form
    headers = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
    if isinstance(body, bytes):
        token = fields["token"].encode()
        payload = body if content_type else body + b"&token=" + token
        response = await client.post(f"/feedback/{incident_id}", content=payload, headers=headers)
    else:
        response = await client.post(f"/feedback/{incident_id}", data={**fields, **body}, headers=headers)
    assert response.status_code == 400
    assert shown in response.text  # the page says what to change, at the field when it is one
    assert _comments(db) == []
    if isinstance(body, dict) and "comment" in body and "comment-error" in shown:
        assert body["comment"] in response.text  # what was typed comes back in the form, not lost


def test_email_and_digest_carry_each_incidents_link() -> None:
    incident = make_incident(id=7)
    other = make_incident(id=8, title="Convoy looted near Nyala")
    links = {7: f"{PUBLIC_URL}/feedback/7?s=sub_1&token=abc", 8: f"{PUBLIC_URL}/feedback/8?s=sub_1&token=def"}
    alert = render_alert({"type": "incident.created", "incident": incident.as_record()}, "json", None, links)
    assert f"Wrong alert? Tell us: {links[7]}" in alert.text
    assert f'href="{links[7].replace("&", "&amp;")}"' in alert.html
    digest_payload = {
        "type": "digest",
        "period": {"start": "2026-11-19T00:00:00+00:00", "end": "2026-11-20T00:00:00+00:00"},
        "incidents": [incident.as_record(), other.as_record()],
    }
    digest = render_digest(digest_payload, "json", None, links)
    assert links[7] in digest.text and links[8] in digest.text
    assert digest.html.count("Wrong alert? Tell us") == 2
    assert b'"feedback_urls":{"7":' in digest.body
    for fmt in ("slack", "teams"):
        body = render_alert({"type": "incident.created", "incident": incident.as_record()}, fmt, None, links).body
        assert b"/feedback/7?s=sub_1" in body, fmt
    plain = render_alert({"type": "incident.created", "incident": incident.as_record()}, "json")
    assert b"feedback_url" not in plain.body and "Wrong alert" not in plain.text
