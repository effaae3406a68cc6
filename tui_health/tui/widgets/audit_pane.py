"""Audit pane: a live tail of audit events, coloured by severity, oldest first.

It keeps the events it shows (not the lines drawn from them), so a resize or a change of the time zone draws
them again at the new width and zone; an event older than the last one shown goes in its place in time.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from tui_health.model.domain import AuditEvent
from tui_health.tui.format import SEVERITY_STYLE, event_time, zoned

KEPT = 500
"""Events the pane holds (the audit viewer, ``a``, has more)."""


def event_line(event: AuditEvent, now: datetime) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{event_time(event.timestamp, now):>11} ", style="dim")
    line.append(f"{event.event_type:<23} ", style=SEVERITY_STYLE.get(event.severity, ""))
    line.append(zoned(event.message, event.timestamp), style=SEVERITY_STYLE.get(event.severity, ""))
    if event.caused_by:
        line.append(f"  (caused by {', '.join(event.caused_by)})", style="italic")
    if event.correlation_id:
        line.append(f"  [{event.correlation_id}]", style="dim")
    return line


class AuditPane(RichLog):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=KEPT, wrap=False, markup=False, highlight=False, **kwargs)  # type: ignore[arg-type]
        self._events: deque[AuditEvent] = deque(maxlen=KEPT)
        self._seen: set[str] = set()
        self._drawn_width = 0
        self.now: datetime | None = None
        """The moment "today" is judged from (the app sets it: the clock, or the replayed moment)."""

    def reset(self, events: Iterable[AuditEvent]) -> None:
        """Show only ``events`` (replay moved to another moment)."""
        self._events.clear()
        self._seen.clear()
        self.add(events, redraw=True)

    def add(self, events: Iterable[AuditEvent], *, redraw: bool = False) -> None:
        """Add events not shown yet (the state carries the recent ones; each is shown once), in time order."""
        fresh = [e for e in events if e.id not in self._seen]
        for event in sorted(fresh, key=lambda e: e.timestamp):
            self._seen.add(event.id)
            if self._events and event.timestamp < self._events[-1].timestamp:
                items = list(self._events)
                items.insert(bisect.bisect_right([e.timestamp for e in items], event.timestamp), event)
                self._events = deque(items[-KEPT:], maxlen=KEPT)
                redraw = True
            else:
                if len(self._events) == KEPT:
                    self._seen.discard(self._events[0].id)
                self._events.append(event)
                if not redraw:
                    self._line(event, self._now())
        if redraw:
            self.redraw()

    def redraw(self) -> None:
        """Draw every kept event again (a new width, a new zone, an event put in its place)."""
        self._seen = {e.id for e in self._events}
        self.clear()
        now = self._now()
        for event in self._events:
            self._line(event, now)

    def _line(self, event: AuditEvent, now: datetime) -> None:
        """One line cut to the pane's width (RichLog would draw it at the console's, and never again)."""
        self.write(event_line(event, now), width=self.scrollable_content_region.width or None)

    def on_resize(self, event: Resize) -> None:
        """A new width: lines drawn for the old one are drawn again (RichLog's own handler runs after this)."""
        if self._size_known and event.size.width != self._drawn_width and self._events:
            self.redraw()
        self._drawn_width = event.size.width

    def _now(self) -> datetime:
        return self.now or (self._events[-1].timestamp if self._events else datetime.now().astimezone())

    @property
    def events(self) -> list[AuditEvent]:
        return list(self._events)
