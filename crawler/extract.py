"""Article text extraction with trafilatura. A pure function: HTML in, main text (or None) out."""

from __future__ import annotations

import logging

import trafilatura

MAX_HTML_BYTES = 3_000_000
MIN_TEXT_CHARS = 80
MAX_TEXT_CHARS = 100_000

# trafilatura logs every page it finds nothing in at WARNING; that is normal for us (we fall back to
# the feed summary), not something an operator must act on.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def extract_text(
    html: str | bytes,
    url: str | None = None,
    *,
    max_html_bytes: int = MAX_HTML_BYTES,
    min_chars: int = MIN_TEXT_CHARS,
) -> str | None:
    """The main text of an article page, or None when there is none worth keeping.

    Input beyond ``max_html_bytes`` is cut (extraction time grows with the tree; article bodies
    sit well inside the first megabytes). Comments are left out: they are not the report.
    """
    if isinstance(html, bytes) or len(html) > max_html_bytes:
        html = html[:max_html_bytes]
    if not html or not html.strip():
        return None
    try:
        text = trafilatura.extract(
            html,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            fast=True,
            deduplicate=False,
        )
    except Exception:  # trafilatura/lxml can raise on pathological markup; the summary is the fallback
        return None
    if not text:
        return None
    text = text.strip()
    if len(text) < min_chars:
        return None
    return text[:MAX_TEXT_CHARS]
