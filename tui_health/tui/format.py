"""Text for the console: statuses readable without colour, compact durations, times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.text import Text

from tui_health.model.domain import Severity, Status
from tui_health.support import zone
from tui_health.support.clock import read_rfc3339

STATUS_LOOK: dict[Status, tuple[str, str]] = {
    Status.DOWN: ("▼ DOWN", "bold white on dark_red"),
    Status.DEGRADED: ("◆ DEGRADED", "bold black on dark_orange"),
    Status.UNKNOWN: ("? UNKNOWN", "bold magenta"),
    Status.MAINTENANCE: ("◇ MAINT", "cyan"),
    Status.HEALTHY: ("● healthy", "green"),
}
SEVERITY_STYLE = {Severity.CRITICAL: "bold red", Severity.WARNING: "yellow", Severity.INFO: "default"}


def status_text(status: Status) -> Text:
    label, style = STATUS_LOOK[status]
    return Text(label, style=style)


def duration(seconds: float) -> str:
    """45s, 3m, 2h05m, 3d02h — coarse on purpose, so cells change rarely."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def clock_time(moment: datetime | None, *, named: bool = False) -> str:
    """In the one zone the console shows (``z`` toggles it; the header names it)."""
    return zone.clock_time(moment, named=named)


def short_datetime(moment: datetime | None, *, named: bool = True, seconds: bool = False) -> str:
    """A date and time in the console's zone, with the zone's name unless the column or screen says it."""
    return zone.date_time(moment, named=named, seconds=seconds)


def event_time(moment: datetime, now: datetime) -> str:
    """An event's time in a list: ``14:03:07`` today, ``11-28 14:03`` on another day (the zone is in the
    header), so a replayed week's events are never read as today's."""
    if zone.shown(moment).date() == zone.shown(now).date():
        return zone.clock_time(moment)
    return zone.shown(moment).strftime("%m-%d %H:%M")


def avail_text(avail: float | None) -> Text:
    """An availability figure, the one way the console shows it (the table's Avail 24h, the details): ``99.98%``
    (two decimals hide nothing that matters in 24 h: 0.01 % is ~9 s), ``100%``, ``—`` without history."""
    if avail is None:
        return Text("—", style="dim")
    style = "green" if avail >= 99.9 else ("yellow" if avail >= 99.0 else "bold red")
    return Text("100%" if avail >= 100 else f"{avail:.2f}%", style=style)


_MOMENT = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")
"""A moment with its offset written into a message (``2026-03-02T11:00:00+00:00``: a silence's end)."""
_UTC_CLOCK = re.compile(r"\b(\d{2}):(\d{2}):(\d{2}) UTC\b")
"""A clock time in UTC written into a message (``until 15:04:05 UTC``: a Retry-After moment)."""


def zoned(message: str, near: datetime) -> str:
    """``message`` with the times written into it (in UTC, as the audit log keeps them) shown in the one zone, so
    the audit pane, the viewer and the details never mix clocks; ``near``: the event's time (a bare clock time is
    taken on its day)."""
    if "UTC" not in message and not _MOMENT.search(message):
        return message  # the common case: nothing to rewrite

    def moment(match: re.Match[str]) -> str:
        found = read_rfc3339(match.group(0))
        if found is None:
            return match.group(0)
        return zone.date_time(found, seconds=found.second != 0)

    def clock(match: re.Match[str]) -> str:
        base = near.astimezone(UTC)
        hours, minutes, seconds = (int(g) for g in match.groups())
        if hours > 23 or minutes > 59 or seconds > 59:
            return match.group(0)
        found = base.replace(
            hour=hours, minute=minutes, second=seconds, microsecond=0
        )  # the event's day: its offset
        return zone.clock_time(found, named=True)

    return _UTC_CLOCK.sub(clock, _MOMENT.sub(moment, message))
