"""ThresholdEngine: turns validated snapshots into events. Pure and deterministic: no I/O, time from a clock.

It composes small parts, each with its own tests and README paragraph ("How alerts are decided"):

- :mod:`stability` — the baseline, flap suppression and flapping;
- :mod:`holds` — silences and dependency causes, asked "is this component's alert held, and why?";
- :mod:`threshold` — the rule and its breach → reminder → resolve cycle.

Alerts: receivers are told a component's state (problem status or OK) only when it differs from what they were
last told, and the component is not held. A silence or a maintenance window holds new pages, never the resolve of
one receivers were told about. When a hold ends, the current state is sent if it changed meanwhile — nothing is
lost, nothing repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from tui_health.engine import holds
from tui_health.engine.base import EngineConfig, Outcome, Tracked, alert_state, make_event
from tui_health.engine.stability import Stability
from tui_health.engine.threshold import ThresholdCycle
from tui_health.model.domain import PROBLEMS, AuditEvent, Component, EventType, Snapshot, Status
from tui_health.support.clock import Clock


class ThresholdEngine:
    def __init__(self, config: EngineConfig, clock: Clock) -> None:
        self.clock = clock
        self.components: dict[str, Tracked] = {}
        self.silences: dict[str, datetime] = {}
        self.silence_notes: dict[str, str] = {}
        """Who silenced each component, and why (kept across restarts; ``tui-health silence list`` shows it)."""
        self.maintenance: dict[str, str] = {}
        """Components in a planned maintenance window now → the window's name (set by the monitor before each
        observation): their changes are confirmed and audited as ever, but they page nobody and count in no
        breach; when the window ends, a state that changed meanwhile is told (like any hold that ends)."""
        self.cycle = ThresholdCycle(config.rule, config.repeat_interval)
        self.config = config
        self.revision = 0
        """Goes up whenever something worth saving changed (an event, a new component, a silence), so the
        caller saves the state only then instead of exporting every component on every poll."""

    @property
    def config(self) -> EngineConfig:
        return self._config

    @config.setter
    def config(self, config: EngineConfig) -> None:
        """A new configuration keeps what the engine knows (components, silences, the breach)."""
        self._config = config
        self.stability = Stability(config)
        self.cycle.rule, self.cycle.repeat_interval = config.rule, config.repeat_interval

    @property
    def breached(self) -> bool:
        return self.cycle.breached

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.cycle.reasons

    @property
    def breach_notified_at(self) -> datetime | None:
        return self.cycle.notified_at

    @property
    def breach_since(self) -> datetime | None:
        """When the ongoing breach began (reminders do not move it)."""
        return self.cycle.since

    # -- silences -----------------------------------------------------------------------------------
    def silence(self, cid: str, until: datetime, *, by: str, reason: str = "") -> AuditEvent:
        """``by``: who asked (a user name, ``alice via console@host`` for an attached console); ``reason``: why,
        as they typed it (audited with the silence)."""
        self.silences[cid] = until
        self.silence_notes[cid] = f"by {by}" + (f": {reason}" if reason else "")
        self.revision += 1
        name = self.components[cid].name if cid in self.components else cid
        why = f": {reason}" if reason else " (no reason given)"
        return self._event(
            EventType.SILENCE_ADDED, cid, None, f"{name} silenced until {until.isoformat()} by {by}{why}"
        )

    def unsilence(self, cid: str, *, reason: str = "lifted") -> AuditEvent | None:
        self.silence_notes.pop(cid, None)
        if self.silences.pop(cid, None) is None:
            return None
        self.revision += 1
        name = self.components[cid].name if cid in self.components else cid
        return self._event(EventType.SILENCE_REMOVED, cid, None, f"silence of {name} {reason}")

    # -- observation --------------------------------------------------------------------------------
    def observe(self, snapshot: Snapshot, *, absent_is_healthy: bool = False) -> Outcome:
        """Feed one poll. Components missing from a failed source keep their state (stale, not recovered)."""
        now, mono = self.clock.now(), self.clock.monotonic()
        events: list[AuditEvent] = []
        latest: dict[str, AuditEvent] = {}  # cid → its latest change event in this poll
        known = len(self.components)

        def event(kind: str, cid: str | None, status: str | None, message: str, **fields: Any) -> AuditEvent:
            return self._event(kind, cid, status, message, snapshot=snapshot, **fields)

        for cid in holds.expired(self.silences, now):
            ended = self.unsilence(cid, reason="expired")
            if ended:
                events.append(ended)
        observed = list(snapshot.components)
        if absent_is_healthy:
            # with a status filter, a component that left the answer of a source that answered has recovered
            answered = {s.name for s in snapshot.sources if s.ok}
            present = {c.id for c in observed}
            observed += [
                Component(cid, t.name, Status.HEALTHY, source=t.source or "")
                for cid, t in self.components.items()
                if cid not in present and t.source in answered
            ]
        for comp in observed:
            found, change = self.stability.observe(self.components, comp, now, mono, event)
            events.extend(found)
            if change is not None:
                latest[comp.id] = change
        events.extend(self.stability.flapping(self.components, mono, event))
        holds.update_causes(self.components, self.config.dependencies)
        notify = self._reconcile_alerts(latest, events, event)
        # the rule counts problems only, so only they are handed over (a healthy component costs one check)
        problems = {cid: t for cid, t in self.components.items() if t.confirmed in PROBLEMS}
        statuses = {
            cid: t.confirmed
            for cid, t in problems.items()
            if cid not in self.silences and cid not in self.maintenance
        }
        names = {cid: t.name for cid, t in problems.items()}
        breach_events = self.cycle.update(
            now,
            mono,
            statuses,
            names,
            lambda kind, status, message, **f: event(kind, None, status, message, **f),
        )
        events.extend(breach_events)
        notify.extend(breach_events)
        if events or len(self.components) != known:
            self.revision += 1
        return Outcome(tuple(events), tuple(notify), self.breached, self.reasons)

    def _reconcile_alerts(
        self, latest: dict[str, AuditEvent], events: list[AuditEvent], event: Any
    ) -> list[AuditEvent]:
        """Send each component's state when it differs from what receivers were told and it is not held."""
        notify: list[AuditEvent] = []
        for index, item in enumerate(events):
            cid = item.component_ids[0] if item.component_ids else None
            if (
                cid
                and item.event_type == EventType.COMPONENT_HEALTH_CHANGE
                and self.components[cid].caused_by
            ):
                events[index] = replace(item, caused_by=self.components[cid].caused_by)
                latest[cid] = events[index]
            if item.event_type == EventType.FLAPPING_STARTED:
                notify.append(item)
        for cid, tracked in self.components.items():
            wanted = alert_state(tracked.confirmed)
            if wanted is tracked.alerted:
                continue
            recovery = wanted is Status.HEALTHY and tracked.alerted.is_problem
            if holds.held_because(cid, tracked, self.silences, self.maintenance, recovery=recovery):
                continue
            change = latest.get(cid)
            if change is None or change.status != str(tracked.confirmed):
                # a hold ended (flapping stopped, silence lifted, root cause recovered): say where it is now
                change = self.stability.change(cid, tracked, tracked.alerted, tracked.confirmed, event)
                change = replace(change, message=change.message + " (alert released after a hold)")
                events.append(change)
            notify.append(change)
            tracked.alerted = wanted
        return notify

    def _event(
        self,
        kind: str,
        cid: str | None,
        status: str | None,
        message: str,
        *,
        ids: tuple[str, ...] | None = None,
        **fields: Any,
    ) -> AuditEvent:
        source = self.components[cid].source if cid in self.components else None
        chosen = ids if ids is not None else ((cid,) if cid else ())
        return make_event(self.clock.now(), kind, chosen, status, message, source=source, **fields)

    def unalert(self, components: tuple[str, ...]) -> None:
        """Receivers never got what they were last sent about ``components`` (it was lost at stop): forget
        what they were told, so the next observation tells them the current state again."""
        for cid in components:
            tracked = self.components.get(cid)
            if tracked is not None:
                tracked.alerted = Status.UNKNOWN  # equals no alert state: the current one is sent again
                self.revision += 1

    # -- views and persistence ----------------------------------------------------------------------
    def open_problems(self) -> dict[str, Status]:
        """Components receivers currently believe are a problem (for Alertmanager re-sends)."""
        return {cid: t.alerted for cid, t in self.components.items() if t.alerted.is_problem}

    def export(self) -> dict[str, Any]:
        """State that must survive a restart: each component saves itself, then silences and the threshold."""
        now, mono = self.clock.now(), self.clock.monotonic()
        return {
            "components": {cid: t.export(now, mono) for cid, t in self.components.items()},
            "silences": {cid: until.isoformat() for cid, until in self.silences.items()},
            "silence_notes": {cid: note for cid, note in self.silence_notes.items() if cid in self.silences},
            **self.cycle.export(),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Load what :meth:`export` wrote. Bad or partial data is ignored field by field."""
        now, mono = self.clock.now(), self.clock.monotonic()
        for cid, raw in dict(data.get("components") or {}).items():
            try:
                self.components[cid] = Tracked.restore(raw, now, mono)
            except (KeyError, ValueError, TypeError):
                continue
        for cid, until in dict(data.get("silences") or {}).items():
            try:
                self.silences[cid] = datetime.fromisoformat(until)
            except (TypeError, ValueError):
                continue
        notes = data.get("silence_notes")
        for cid, note in dict(notes if isinstance(notes, dict) else {}).items():
            if cid in self.silences and isinstance(note, str):
                self.silence_notes[cid] = note[:300]
        self.cycle.restore(data, now, mono)
