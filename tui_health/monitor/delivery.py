"""The monitor's alerts on their way out: what must be told handed to the outbox (its dispatcher delivers it),
what is firing for receivers that want re-sends, and what became of alerts the outbox never took at stop.

Alert delivery is optional (``--once`` without sinks never imports the dispatcher): every method here works with
no dispatcher at all. An alert is handed over only once stored or delivered; what could not be stored is said,
never counted as kept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui_health.model.domain import AuditEvent, Component, EventType, Severity

if TYPE_CHECKING:
    from tui_health.alerts.dispatcher import Dispatcher
    from tui_health.alerts.outbox import Outbox
    from tui_health.alerts.pending import Unsent
    from tui_health.alerts.sinks import Firing
    from tui_health.engine import ThresholdEngine


class Delivery:
    def __init__(self, dispatcher: Dispatcher | None, outbox: Outbox | None) -> None:
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.lost: list[str] = []
        """What became of alerts the outbox never took, one line each (``--once`` prints them)."""

    # -- counts (as the dispatcher last counted them: no disk access on the loop) -------------------------
    @property
    def pending(self) -> int:
        """Alerts waiting in the outbox for configured sinks; those held in memory are counted apart."""
        return self.dispatcher.pending if self.dispatcher else 0

    @property
    def failed(self) -> int:
        return self.dispatcher.failed if self.dispatcher else 0

    @property
    def held(self) -> int:
        return self.dispatcher.held if self.dispatcher else 0

    async def orphans(self) -> int:
        if self.dispatcher is not None:
            return await self.dispatcher.orphans()
        if self.outbox is None:
            return 0
        try:
            return self.outbox.orphans([])  # no sink configured: nothing else touches the outbox
        except sqlite3.Error:
            return 0

    def sinks(self) -> str:
        return ", ".join(self.dispatcher.sinks) if self.dispatcher and self.dispatcher.sinks else "none"

    def damaged(self, now_clock: Any) -> list[AuditEvent]:
        """The outbox was found damaged at open (and moved aside): said at start."""
        if self.outbox is None or self.outbox.moved_aside is None:
            return []
        from tui_health.alerts.pending import damaged_event

        problem = sqlite3.DatabaseError("it failed its integrity check")
        return [damaged_event(now_clock, self.outbox.path, self.outbox.moved_aside, problem)]

    # -- the way out ------------------------------------------------------------------------------------
    def enqueue(
        self,
        notify: tuple[AuditEvent, ...],
        changes: list[AuditEvent],
        keyed: Callable[[AuditEvent], AuditEvent],
        firing_now: Callable[[], list[Firing]],
    ) -> list[tuple[Any, ...]]:
        """Hand what must be told to the outbox (it also stores what a full disk held back earlier), with the
        final (linked, keyed) form of each change; ``firing_now`` tells re-sending receivers what fires (asked
        whenever they re-send). Returns the alerts made, for the history."""
        if not self.dispatcher:
            return []
        final = {e.id: e for e in changes}
        self.dispatcher.enqueue([final.get(e.id) or keyed(e) for e in notify])
        made, self.dispatcher.made = self.dispatcher.made, []
        self.dispatcher.refresh(firing_now)
        return made

    def unsent(
        self, unsent: list[Unsent], now: datetime, engine: ThresholdEngine
    ) -> tuple[list[AuditEvent], list[str]]:
        """What became of the alerts the outbox never took: the events to audit (a lost one is critical, and its
        components' alert state is rolled back so that the next start sends it again) and notes for the stop."""
        if not unsent:
            return [], []
        events = []
        for item in unsent:
            if item.fate == "delivered":
                continue
            kind = EventType.ALERT_LOST if item.fate == "lost" else EventType.STORAGE_FAILED
            event = AuditEvent(
                timestamp=now,
                event_type=kind,
                message=f"alert to {item.held.sink} {item.detail}: {item.held.summary}",
            )
            events.append(
                replace(
                    event,
                    severity=Severity.CRITICAL,
                    status=item.fate,
                    source="alert outbox",
                    sink=item.held.sink,
                    correlation_id=item.held.key,
                )
            )
            if item.fate == "lost":
                engine.unalert(item.held.components)
        self.lost = [e.message for e in events]
        self.lost += [f"alert to {u.held.sink} {u.detail}" for u in unsent if u.fate == "delivered"]
        counts = {fate: sum(1 for u in unsent if u.fate == fate) for fate in ("delivered", "kept", "lost")}
        words = {
            "delivered": "delivered directly (the outbox could not store them)",
            "kept": "kept in a file for the next start",
            "lost": "LOST (nothing could store them)",
        }
        return events, [f"{n} alert(s) {words[fate]}" for fate, n in counts.items() if n]

    async def undelivered(self) -> list[str]:
        """One line per alert of this run that did not reach its receiver (``--once`` prints them)."""
        if self.dispatcher is None:
            return list(self.lost)
        lines = [
            f"alert to {row.sink} not delivered ({row.last_error or 'no answer in time'}); "
            + (
                "refused for good, kept in the outbox"
                if row.state == "failed"
                else "kept in the outbox for the next run"
            )
            for row in await self.dispatcher.not_delivered()
        ]
        return lines + self.lost


def firing(engine: ThresholdEngine, components: Mapping[str, Component]) -> list[Firing]:
    """What receivers believe is firing now (Alertmanager wants it re-sent while it fires)."""
    from tui_health.alerts.sinks import Firing

    out = []
    for cid, status in engine.open_problems().items():
        tracked = engine.components[cid]
        name = components[cid].name if cid in components else cid
        out.append(Firing(cid, name, str(status), tracked.since, cid in engine.config.rule.critical))
    if engine.breached and engine.breach_since:
        out.append(Firing("threshold", "threshold", "breached", engine.breach_since))
    return out
