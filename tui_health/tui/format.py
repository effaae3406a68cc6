"""Text for the console: statuses readable without colour, compact durations, times."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from tui_health.model.domain import Severity, Status
from tui_health.support import zone

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
