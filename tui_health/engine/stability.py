"""Stability: a change counts only once it has lasted ``flap_interval`` (else one ``flap_suppressed``), and a
component whose confirmed status changes too often is *flapping* (``flapping_started``/``flapping_stopped``)."""

from __future__ import annotations

from datetime import datetime

from tui_health.engine.base import EngineConfig, Tracked
from tui_health.model.domain import AuditEvent, Component, EventMaker, EventType, Severity, Status
from tui_health.support.timespec import duration_text

_NOTHING: tuple[list[AuditEvent], None] = ([], None)  # callers only read it

"""``event(type, component id, status, message, **fields)``: the engine's event builder for this poll."""


class Stability:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config

    def observe(
        self, components: dict[str, Tracked], comp: Component, now: datetime, mono: float, event: EventMaker
    ) -> tuple[list[AuditEvent], AuditEvent | None]:
        """Events for one observed component, and its confirmed change (if this poll confirmed one). How long
        a status lasted is measured on the monotonic clock ``mono``: a wall clock stepped back or forward never
        delays or hastens a confirmation; ``now`` (wall) only dates what is shown and kept."""
        cid, status, source = comp.id, comp.status, comp.source
        tracked = components.get(cid)
        if tracked is not None and status is tracked.confirmed and tracked.pending is None and not comp.group:
            tracked.name, tracked.source = comp.name, source  # the common case: nothing to decide
            return _NOTHING
        name = f"{comp.name} ({comp.group})" if comp.group else comp.name  # "Voice (EMEA)", not just "Voice"
        if tracked is None:
            # the API's lastModified says how long the baseline status has held, when it is plausible
            baseline = comp.last_modified if comp.last_modified and comp.last_modified <= now else now
            tracked = components[cid] = Tracked(name=name, confirmed=status, since=baseline, source=source)
            if status is Status.HEALTHY or status is Status.MAINTENANCE:
                return [], None
            change = self.change(cid, tracked, Status.UNKNOWN, status, event, first=True)
            return [change], change
        tracked.name, tracked.source = name, source
        if status == tracked.confirmed:
            if tracked.pending is None:
                return [], None
            message = self.suppressed(name, tracked, status, mono)
            pending = tracked.pending
            tracked.pending = tracked.pending_since = tracked.pending_mono = tracked.pending_seen_mono = None
            tracked.pending_polls = 0
            return [event(EventType.FLAP_SUPPRESSED, cid, str(status), message, previous=str(pending))], None
        if tracked.pending != status:
            tracked.pending, tracked.pending_since, tracked.pending_mono = status, now, mono
            tracked.pending_polls = 0
        tracked.pending_seen_mono = mono
        tracked.pending_polls += 1
        began = tracked.pending_mono if tracked.pending_mono is not None else mono
        if mono - began + 1e-9 < self.config.flap_interval:
            return [], None
        previous, previous_since = tracked.confirmed, tracked.since
        tracked.confirmed, tracked.since = status, tracked.pending_since or now
        tracked.confirmed_at = now
        tracked.pending = tracked.pending_since = tracked.pending_mono = tracked.pending_seen_mono = None
        tracked.pending_polls = 0
        tracked.changes.append(mono)
        change = self.change(cid, tracked, previous, status, event, previous_since=previous_since)
        return [change], change

    def suppressed(self, name: str, tracked: Tracked, status: Status, mono: float) -> str:
        """What a ``flap_suppressed`` says: how long the change was seen to last, and the flap interval it needed.

        When the polls are further apart than the flap interval, a change seen at one poll and gone at the next
        may have lasted anything up to the gap: the message says what was seen, never the gap as a duration."""
        first = tracked.pending_mono if tracked.pending_mono is not None else mono
        last = tracked.pending_seen_mono if tracked.pending_seen_mono is not None else first
        needed = duration_text(self.config.flap_interval)
        lasted = mono - first
        if lasted + 1e-9 < self.config.flap_interval:
            return (
                f"{name} was {tracked.pending} for {duration_text(lasted)}, back to {status} "
                f"before the {needed} it needed to count"
            )
        polls = tracked.pending_polls
        seen = "at one poll" if polls <= 1 else f"at {polls} polls over {duration_text(last - first)}"
        return (
            f"{name} was {tracked.pending} {seen} and {status} again at the next "
            f"({duration_text(mono - last)} later): it was never seen to last the {needed} it needed to count"
        )

    def change(
        self,
        cid: str,
        tracked: Tracked,
        previous: Status,
        status: Status,
        event: EventMaker,
        first: bool = False,
        previous_since: datetime | None = None,
    ) -> AuditEvent:
        """A ``component_health_change`` from ``previous`` to ``status``; it carries the component's name, when
        the new status began (``tracked.since``) and when the one it ends began (receivers keep a problem's
        original start on its resolve)."""
        verb = "is" if first else "changed to"
        message = f"{tracked.name} {verb} {status}" + ("" if first else f" (was {previous})")
        return event(
            EventType.COMPONENT_HEALTH_CHANGE,
            cid,
            str(status),
            message,
            previous=str(previous),
            severity=self.severity(cid, status),
            name=tracked.name,
            since=tracked.since,
            previous_since=previous_since,
        )

    def severity(self, cid: str, status: Status) -> Severity:
        if status is Status.DOWN and cid in self.config.rule.critical:
            return Severity.CRITICAL
        if status.is_problem:
            return Severity.WARNING
        return Severity.INFO

    def flapping(self, components: dict[str, Tracked], mono: float, event: EventMaker) -> list[AuditEvent]:
        """``flapping_started`` at ``flapping_changes`` confirmed changes in the window; ``flapping_stopped``
        once at most one is left (the window runs on the monotonic clock)."""
        out = []
        horizon = mono - self.config.flapping_window
        for cid, tracked in components.items():
            while tracked.changes and tracked.changes[0] < horizon:
                tracked.changes.popleft()
            count = len(tracked.changes)
            if not tracked.flapping and count >= self.config.flapping_changes:
                tracked.flapping = True
                message = (
                    f"{tracked.name} is flapping ({count} changes in {self.config.flapping_window:g} s); "
                    "its alerts are held"
                )
                out.append(
                    event(
                        EventType.FLAPPING_STARTED,
                        cid,
                        str(tracked.confirmed),
                        message,
                        severity=Severity.WARNING,
                    )
                )
            elif tracked.flapping and count <= 1:
                tracked.flapping = False
                message = f"{tracked.name} stopped flapping; it is {tracked.confirmed}"
                out.append(event(EventType.FLAPPING_STOPPED, cid, str(tracked.confirmed), message))
        return out
