"""Time, injected: the engine, token cache and alert retries ask a clock, so tests never sleep."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time for humans and timestamps; monotonic time for durations and deadlines."""

    def now(self) -> datetime:
        """Current wall time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to (tests, simulator timelines, screenshots)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._wall = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone, either way (NTP correcting it, a VM resumed, a person setting it): what
        measures durations must not notice."""
        self._wall += timedelta(seconds=seconds)


def read_rfc3339(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 time (``Z`` or an offset; none: UTC) as an aware UTC datetime; ``None`` for
    anything else, out-of-range times included. The one reader of the times we write and others send."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def rfc3339(moment: datetime) -> str:
    """Format as RFC 3339 UTC with milliseconds and a ``Z``."""
    # isoformat is done in C (strftime parses its format every call: ~3x slower at 50,000 timestamps)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
