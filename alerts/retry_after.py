"""The one Retry-After parser (RFC 9110 §10.2.3), shared by the crawler and the webhook channel.

A Retry-After value is either delta-seconds (ASCII digits only) or an HTTP date. Dates are parsed with
the standard library's RFC 5322 parser, which also reads the obsolete RFC 850 and asctime forms that
RFC 9110 requires recipients to accept. A date whose zone is ``-0000`` comes back from that parser
without a time zone ("zone unknown" in RFC 5322); HTTP dates are always UTC, so it is read as UTC rather
than as the machine's local time.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = 7 * 86400.0  # a week: longer asks are capped, not believed
_DELTA_SECONDS = re.compile(r"[0-9]+")


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header value, capped at ``MAX_RETRY_AFTER``; None if unusable.

    A date in the past gives 0. ``now`` is the instant a date is measured from (default: the wall clock).
    """
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


__all__ = ["MAX_RETRY_AFTER", "parse_retry_after"]
