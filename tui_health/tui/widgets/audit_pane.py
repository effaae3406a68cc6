"""Audit pane: a live tail of audit events, coloured by severity."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from tui_health.models import AuditEvent
from tui_health.tui.format import SEVERITY_STYLE, clock_time


def event_line(event: AuditEvent) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(clock_time(event.timestamp) + " ", style="dim")
    line.append(f"{event.event_type:<23} ", style=SEVERITY_STYLE.get(event.severity, ""))
    line.append(event.message, style=SEVERITY_STYLE.get(event.severity, ""))
    if event.caused_by:
        line.append(f"  (caused by {', '.join(event.caused_by)})", style="italic")
    if event.correlation_id:
        line.append(f"  [{event.correlation_id}]", style="dim")
    return line


class AuditPane(RichLog):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=500, wrap=False, markup=False, highlight=False, **kwargs)  # type: ignore[arg-type]
        self._seen: set[str] = set()
        self._order: deque[str] = deque()

    def reset(self, events: Iterable[AuditEvent]) -> None:
        """Show only ``events`` (replay moved to another moment)."""
        self.clear()
        self._seen.clear()
        self._order.clear()
        self.add(events)

    def add(self, events: Iterable[AuditEvent]) -> None:
        """Append events not shown yet (the state carries the recent ones; each is shown once)."""
        for event in events:
            if event.id in self._seen:
                continue
            self._seen.add(event.id)
            self._order.append(event.id)
            if len(self._order) > 2_000:
                self._seen.discard(self._order.popleft())
            self.write(event_line(event))
