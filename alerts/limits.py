"""The ranges of the durations and instants aidwatch accepts, and the one parser of durations.

Every duration and date that comes from outside (config file, environment, feed list, API) goes through
here, so none can overflow ``datetime``/``timedelta`` arithmetic later (``now + interval``, an instant
moved by a UTC offset, a digest period subtracted from its end): bad values are refused where they
enter, with the key or field named, instead of failing deep inside a poll or a request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
#: No duration is longer than this (a year and a day): ``now + MAX_DURATION`` stays far from year 9999.
MAX_DURATION = 366 * DAY
#: How often one feed may be polled: at most every second, at least every 30 days.
MIN_FEED_INTERVAL = 1 * SECOND
MAX_FEED_INTERVAL = 30 * DAY
#: Instants accepted from clients. Both ends are far enough from datetime's own limits (years 1 and 9999)
#: that a UTC offset (up to 24 h) or a MAX_DURATION added or subtracted cannot overflow.
MIN_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)

_DURATION = re.compile(r"^\s*([0-9]{1,15}(?:\.[0-9]{1,9})?)\s*(ms|s|m|h|d)?\s*$")
#: What a duration string looks like, for OpenAPI documents (clients and fuzzers see the same rule).
DURATION_PATTERN = r"^\s*[0-9]{1,15}(\.[0-9]{1,9})?\s*(ms|s|m|h|d)?\s*$"
_UNIT_SECONDS = {"ms": 0.001, "s": SECOND, "m": MINUTE, "h": HOUR, "d": DAY, None: SECOND}


def format_duration(seconds: float) -> str:
    """The shortest exact way to write ``seconds`` with a unit: ``"30d"``, ``"5m"``, ``"250ms"``."""
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", SECOND)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000)}ms" if seconds < 1 else f"{seconds:g}s"


def parse_duration(value: object, *, minimum: float = 0.001, maximum: float = MAX_DURATION) -> float:
    """Turn ``"30s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"250ms"`` or a bare number (seconds) into seconds.

    Raises ValueError (with a message fit for the user) for anything else, and for values outside
    ``[minimum, maximum]``; NaN and infinities are never durations.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '15m' or '2h'")
    if isinstance(value, int | float):
        seconds = float(value) if not isinstance(value, int) or abs(value) < 10**18 else math.inf
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    elif isinstance(value, str) and re.match(r"^\s*[0-9.]+\s*(ms|s|m|h|d)?\s*$", value):
        raise ValueError(f"must be at most {format_duration(maximum)}")
    else:
        raise ValueError(f"{str(value)[:40]!r} is not a duration such as '30s', '15m' or '2h'")
    if math.isnan(seconds) or seconds <= 0:
        raise ValueError("a duration must be positive")
    if seconds < minimum:
        raise ValueError(f"must be at least {format_duration(minimum)}")
    if seconds > maximum:
        raise ValueError(f"must be at most {format_duration(maximum)}")
    return seconds


def duration_parser(minimum: float, maximum: float) -> Callable[[object], float]:
    """A :func:`parse_duration` bound to one key's range (for pydantic validators)."""

    def parse(value: object) -> float:
        return parse_duration(value, minimum=minimum, maximum=maximum)

    return parse


def check_instant(value: datetime) -> datetime:
    """A client-given instant in UTC; refuses naive values and years outside the supported range."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone (e.g. 2026-11-27T00:00:00Z)")
    # Compared before any conversion: astimezone() itself overflows near years 1 and 9999.
    naive_utc_floor = MIN_INSTANT.replace(tzinfo=None)
    naive_utc_ceiling = MAX_INSTANT.replace(tzinfo=None)
    local = value.replace(tzinfo=None)
    if not naive_utc_floor <= local <= naive_utc_ceiling:
        raise ValueError(f"must be between {MIN_INSTANT:%Y-%m-%d} and {MAX_INSTANT:%Y-%m-%d}")
    return value.astimezone(UTC)
