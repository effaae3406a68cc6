"""Planned maintenance, as one monitor lives it: which of its components are in a window now (the engine holds
their new pages), and a ``maintenance_started`` / ``maintenance_ended`` for each window of its target that opened
or closed. A reload replaces the windows; removing them all releases every hold at the next observation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tui_health.engine.maintenance import Window, in_maintenance
from tui_health.model.domain import AuditEvent, Component, EventType
from tui_health.support.timespec import duration_text


class Windows:
    def __init__(self, windows: tuple[Window, ...] = ()) -> None:
        self.windows = windows
        """Planned maintenance windows (``[[maintenance]]``); a reload replaces them."""
        self._open: set[str] = set()

    def hold(
        self, target: str, components: Mapping[str, Component], now: datetime
    ) -> tuple[dict[str, str], list[AuditEvent]]:
        """Component id → the window holding it now, and the events of the windows that opened or closed."""
        if not self.windows and not self._open:
            return {}, []
        mine = [w for w in self.windows if not w.targets or target in w.targets]
        spans = {w.name: w.current(now) for w in mine}
        opened = {name for name, span in spans.items() if span is not None}
        held = in_maintenance(mine, target, components, now)
        events = []
        for name in sorted(opened - self._open):
            span = spans[name]
            assert span is not None
            count = sum(1 for window in held.values() if window == name)
            message = (
                f"maintenance window {name} started (for {duration_text((span[1] - span[0]).total_seconds())}, "
                f"until {span[1].isoformat()}): {count} component(s) are "
                "watched and kept in the history, but page nobody"
            )
            events.append(
                AuditEvent(timestamp=now, event_type=EventType.MAINTENANCE_STARTED, message=message)
            )
        for name in sorted(self._open - opened):
            message = (
                f"maintenance window {name} ended: its components page again (a state that changed during it is "
                "told now)"
            )
            events.append(AuditEvent(timestamp=now, event_type=EventType.MAINTENANCE_ENDED, message=message))
        self._open = opened
        return held, events
