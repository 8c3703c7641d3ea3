"""The pure readers of API answers: what becomes an entry, what is skipped, dates, languages, next pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.api_listing import parse_gdelt_artlist, parse_reliefweb_reports
from crawler.feed_parser import FeedParseError


def artlist(*articles: object) -> bytes:
    return json.dumps({"articles": list(articles)}).encode()


def article(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"url": "https://news.example/a", "title": "A title", "seendate": "20261120T091500Z"}
    values.update(fields)
    return values


@pytest.mark.parametrize(
    ("body", "keys", "skipped"),
    [
        pytest.param(b"{}", [], 0, id="nothing-matched-is-an-empty-object"),
        pytest.param(artlist(article()), ["https://news.example/a"], 0, id="one-article"),
        pytest.param(
            artlist(article(), article(url="https://news.example/a?utm_source=x#top")),
            ["https://news.example/a"],
            0,
            id="tracking-parameters-and-fragments-are-the-same-article",
        ),
        pytest.param(artlist(article(url="ftp://news.example/a")), [], 1, id="non-http-url-skipped"),
        pytest.param(artlist(article(url=None), "not an object", 7), [], 3, id="no-url-or-not-an-object-skipped"),
        pytest.param(artlist(article(url="https://news.example/a b")), [], 1, id="url-with-space-skipped"),
    ],
)
def test_gdelt_articles_become_entries_keyed_by_canonical_url(body: bytes, keys: list[str], skipped: int) -> None:
    listing = parse_gdelt_artlist(body)
    assert [entry.key for entry in listing.entries] == keys
    assert listing.skipped == skipped


@pytest.mark.parametrize(
    ("fields", "published", "language"),
    [
        pytest.param({}, datetime(2026, 11, 20, 9, 15, tzinfo=UTC), None, id="seendate-utc"),
        pytest.param({"language": "Arabic"}, datetime(2026, 11, 20, 9, 15, tzinfo=UTC), "ar", id="language-name"),
        pytest.param({"language": "Klingon", "seendate": "yesterday"}, None, None, id="unknown-language-bad-date"),
    ],
)
def test_gdelt_dates_and_language_names(
    fields: dict[str, Any], published: datetime | None, language: str | None
) -> None:
    [entry] = parse_gdelt_artlist(artlist(article(**fields))).entries
    assert (entry.published, entry.language, entry.title) == (published, language, "A title")


def report(report_id: object = "7", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Report title",
        "body": "Report text.",
        "url": "https://reliefweb.int/node/7",
        "url_alias": "https://reliefweb.int/report/x/report-title",
        "date": {"created": "2026-11-20T10:00:00+00:00", "original": "2026-11-19T00:00:00+00:00"},
    }
    values.update(fields)
    return {"id": report_id, "score": 1, "fields": values}


def reports(*items: object, **top: Any) -> bytes:
    return json.dumps({"totalCount": len(items), "count": len(items), "data": list(items), **top}).encode()


@pytest.mark.parametrize(
    ("item", "link", "published"),
    [
        pytest.param(
            report(),
            "https://reliefweb.int/report/x/report-title",
            datetime(2026, 11, 19, tzinfo=UTC),
            id="alias-link-original-date",
        ),
        pytest.param(
            report(url_alias=None, date={"created": "2026-11-20T10:00:00+00:00"}),
            "https://reliefweb.int/node/7",
            datetime(2026, 11, 20, 10, tzinfo=UTC),
            id="plain-url-and-creation-date",
        ),
        pytest.param(
            report(report_id=7, date="soon"),
            "https://reliefweb.int/report/x/report-title",
            None,
            id="numeric-id-unreadable-date",
        ),
    ],
)
def test_reliefweb_reports_become_entries_keyed_by_id(item: object, link: str, published: datetime | None) -> None:
    [entry] = parse_reliefweb_reports(reports(item), "https://api.reliefweb.int/v2/reports").entries
    assert (entry.key, entry.link, entry.published, entry.summary) == ("reliefweb:7", link, published, "Report text.")


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(report(title=""), id="no-title"),
        pytest.param(report(url=None, url_alias=None), id="no-link"),
        pytest.param({"id": "7"}, id="no-fields"),
        pytest.param({"fields": report()["fields"]}, id="no-id"),
        pytest.param(report(report_id=True), id="boolean-id"),
        pytest.param("report", id="not-an-object"),
    ],
)
def test_unusable_reports_are_skipped_and_counted(item: object) -> None:
    listing = parse_reliefweb_reports(reports(item, report("8")), "https://api.reliefweb.int/v2/reports")
    assert ([e.key for e in listing.entries], listing.skipped, listing.received) == (["reliefweb:8"], 1, 2)


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        pytest.param(
            {"next": {"href": "https://api.reliefweb.int/v2/reports?offset=2"}},
            "https://api.reliefweb.int/v2/reports?offset=2",
            id="absolute",
        ),
        pytest.param(
            {"next": {"href": "/v2/reports?offset=2"}},
            "https://api.reliefweb.int/v2/reports?offset=2",
            id="relative-resolved-against-the-page",
        ),
        pytest.param({"self": {"href": "https://api.reliefweb.int/v2/reports"}}, None, id="last-page"),
        pytest.param({"next": {"href": "javascript:alert(1)"}}, None, id="not-http-ignored"),
        pytest.param("next", None, id="links-not-an-object"),
    ],
)
def test_reliefweb_next_page(links: object, expected: str | None) -> None:
    listing = parse_reliefweb_reports(reports(report(), links=links), "https://api.reliefweb.int/v2/reports?limit=1")
    assert (listing.next_url, listing.total) == (expected, 1)


@pytest.mark.parametrize(
    ("parse", "body", "message"),
    [
        pytest.param(parse_gdelt_artlist, b"  ", "GDELT: empty response body", id="gdelt-blank"),
        pytest.param(parse_gdelt_artlist, b"\xff\xfe", "GDELT: the answer is not JSON", id="gdelt-bytes"),
        pytest.param(parse_gdelt_artlist, b"42", "GDELT: expected a JSON object, got int", id="gdelt-number"),
        pytest.param(
            lambda body: parse_reliefweb_reports(body, "https://x.test/reports"),
            b'{"data": {}}',
            "ReliefWeb: the answer has no 'data' list",
            id="reliefweb-data-object",
        ),
    ],
)
def test_unreadable_answers_raise_a_named_reason(parse: Any, body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match="^" + message):
        parse(body)


def test_a_long_answer_is_quoted_on_one_line_and_cut() -> None:
    with pytest.raises(FeedParseError) as raised:
        parse_gdelt_artlist(b"line one\nline two " + b"x" * 5000)
    assert "'line one line two xxx" in str(raised.value) and str(raised.value).endswith("...'")
    assert len(str(raised.value)) < 300
