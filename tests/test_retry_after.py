"""The one Retry-After parser: delta-seconds, HTTP dates (``-0000`` is UTC), past dates, garbage, huge values."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from alerts.retry_after import MAX_RETRY_AFTER, parse_retry_after

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

CASES = [
    pytest.param("120", 120.0, id="delta-seconds"),
    pytest.param("0", 0.0, id="delta-zero"),
    pytest.param(b"30", 30.0, id="delta-as-bytes"),
    pytest.param("  45 ", 45.0, id="delta-with-spaces"),
    pytest.param("Fri, 27 Nov 2026 08:05:00 GMT", 300.0, id="imf-date-gmt"),
    pytest.param("Fri, 27 Nov 2026 08:05:00 -0000", 300.0, id="date-minus-0000-is-utc"),
    pytest.param("Fri, 27 Nov 2026 08:05:00 +0000", 300.0, id="date-plus-0000"),
    pytest.param("Fri, 27 Nov 2026 09:05:00 +0100", 300.0, id="date-with-offset"),
    pytest.param("Friday, 27-Nov-26 08:02:00 GMT", 120.0, id="rfc850-date"),
    pytest.param("Fri Nov 27 08:01:00 2026", 60.0, id="asctime-date-is-utc"),
    pytest.param("Fri, 27 Nov 2026 07:00:00 GMT", 0.0, id="past-date-is-zero"),
    pytest.param("Thu, 01 Jan 1970 00:00:00 GMT", 0.0, id="epoch-is-zero"),
    pytest.param("99999999999", MAX_RETRY_AFTER, id="huge-delta-capped"),
    pytest.param("9" * 400, MAX_RETRY_AFTER, id="400-digit-delta-capped"),
    pytest.param("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER, id="far-future-date-capped"),
    pytest.param("soon", None, id="garbage-word"),
    pytest.param("", None, id="empty"),
    pytest.param("   ", None, id="blank"),
    pytest.param(None, None, id="absent"),
    pytest.param("-5", None, id="negative-delta"),
    pytest.param("1.5", None, id="fractional-delta"),
    pytest.param("+30", None, id="signed-delta"),
    pytest.param("\u0661\u0662", None, id="non-ascii-digits"),
    pytest.param("\u00b2", None, id="superscript-digit"),
    pytest.param("Fri, 32 Nov 2026 08:00:00 GMT", None, id="impossible-day"),
    pytest.param("Fri, 27 Nov 2026 25:00:00 GMT", None, id="impossible-hour"),
    pytest.param(b"\xff\xfe", None, id="undecodable-bytes"),
]


@pytest.fixture
def local_time_far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set 5 hours from UTC, so a zone-less date read as local time would be off."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_parse_retry_after(value: str | bytes | None, expected: float | None, local_time_far_from_utc: None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_without_now_a_date_is_measured_from_the_wall_clock() -> None:
    wait = parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT")
    assert wait == MAX_RETRY_AFTER
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 -0000") == 0.0


def test_the_crawler_and_the_webhook_channel_use_this_parser() -> None:
    # One parser for both: a fix here (such as -0000 being UTC) reaches feeds and webhooks alike.
    from alerts.delivery import webhook
    from crawler import middlewares

    assert middlewares.parse_retry_after is parse_retry_after
    assert webhook.parse_retry_after is parse_retry_after
