"""When a digest subscription gets its message: the schedule, as a plain value (no storage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.settings import parse_duration


@dataclass(frozen=True, slots=True)
class DigestSpec:
    """When a digest subscription gets its message: every ``every`` seconds, phased at local ``at``."""

    every: float = 86400.0
    at: time | None = None
    timezone: str = "UTC"

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DigestSpec:
        """Build from the stored / API form ``{every: "1d", at: "08:00", timezone: "Europe/Paris"}``."""
        data = data or {}
        at = data.get("at")
        return cls(
            every=parse_duration(data.get("every") or "1d"),
            at=time.fromisoformat(at) if at else None,
            timezone=data.get("timezone") or "UTC",
        )

    def next_after(self, after: datetime) -> datetime:
        """The first digest time strictly after ``after`` (aware), in UTC."""
        tz = ZoneInfo(self.timezone)
        local = after.astimezone(tz)
        at = self.at or time(0, 0)
        anchor = datetime.combine(local.date(), at, tzinfo=tz)
        if self.every % 86400 == 0:
            # Whole days step on the local calendar so "08:00 Europe/Paris" stays 08:00 across DST changes.
            days = int(self.every // 86400)
            candidate = anchor
            while candidate <= local:
                candidate = datetime.combine(candidate.date() + timedelta(days=days), at, tzinfo=tz)
            return candidate.astimezone(UTC)
        step = timedelta(seconds=self.every)
        anchor_utc = anchor.astimezone(UTC)
        steps = (after.astimezone(UTC) - anchor_utc) // step + 1
        return anchor_utc + steps * step
