"""Pure tests of article text extraction."""

from __future__ import annotations

import pytest

from crawler.extract import extract_text
from tests.support.feed_server import article_page


def test_extracts_the_article_without_navigation_or_comments() -> None:
    text = extract_text(article_page("clinic-raid"), "https://news.example/clinic-raid")
    assert text is not None
    assert "armed men attacked a clinic" in text
    assert "buy cheap watches" not in text
    assert "Home | World" not in text


@pytest.mark.parametrize(
    "html",
    ["", "   ", "<html><body></body></html>", "<html><body><p>Too short.</p></body></html>", b"\xff\xfe\x00\x01"],
)
def test_nothing_worth_keeping_gives_none(html: str | bytes) -> None:
    assert extract_text(html, "https://news.example/x") is None


def test_input_is_capped() -> None:
    page = article_page("big").decode()
    padded = page.replace("<footer>", "<div>" + "<p>filler text here</p>" * 300_000 + "</div><footer>")
    assert len(padded) > 3_000_000
    # Still answers (the cap bounds the work); what it finds in the first megabytes is the article.
    text = extract_text(padded, "https://news.example/big", max_html_bytes=200_000)
    assert text is not None and "armed men attacked" in text


def test_bytes_input_with_declared_charset() -> None:
    page = article_page("latin").decode().replace("<head>", '<head><meta charset="iso-8859-1">')
    page = page.replace("Report latin", "Rapport sur l'hôpital")
    text = extract_text(page.encode("iso-8859-1"), "https://news.example/latin")
    assert text is not None and "hôpital" in text


def test_five_megabytes_of_nested_tags_are_handled() -> None:
    # A hostile page: ~5 MB of tags nested 900,000 deep around one word. lxml would refuse the depth;
    # the size cap and trafilatura's guards must turn it into "nothing worth keeping", not an exception.
    page = "<html><body>" + "<div><span>" * 450_000 + "attack" + "</span></div>" * 10 + "</body></html>"
    assert len(page) > 4_900_000
    assert extract_text(page, "https://news.example/nested") is None
    assert extract_text(page.encode(), "https://news.example/nested") is None
