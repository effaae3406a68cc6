"""ThresholdEngine: turns validated snapshots into events. Pure and deterministic: no I/O, time from a clock.

Rules (README "How alerts are decided" says the same for people):

- The first time a component is seen its status is the baseline: a problem already present is reported at once
  (``component_health_change`` from ``unknown``), so a monitor started mid-outage alerts.
- Later, a change is *confirmed* only when the new status has persisted ``flap_interval`` seconds (0: at once).
  A change that reverts before then yields one ``flap_suppressed`` and nothing else.
- Every confirmed change yields one ``component_health_change`` with ``previous_status``, recoveries included.
- A component whose confirmed status changed ``flapping_changes`` times within ``flapping_window`` is flapping
  (``flapping_started``); it stops (``flapping_stopped``) once at most one change remains in the window.
- Threshold: ``min_down``/``min_degraded`` over confirmed statuses (silenced components not counted) plus the
  ``critical`` set. ``threshold_breach`` on the rising edge, ``threshold_resolved`` on the falling edge,
  ``threshold_reminder`` every ``repeat_interval`` while it lasts.
- Alerts: receivers are told a component's state (problem status or OK) only when it differs from what they were
  last told, and the component is not *held*: flapping, silenced, or caused by a dependency that is down. When a
  hold ends, the current state is sent if it changed meanwhile — nothing is lost, nothing repeats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from tui_health.clock import Clock
from tui_health.config import ThresholdSettings
from tui_health.models import AuditEvent, Component, EventType, Severity, Snapshot, Status
from tui_health.thresholds import ThresholdRule


@dataclass(frozen=True, slots=True)
class EngineConfig:
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    flap_interval: float = 30.0
    flapping_window: float = 600.0
    flapping_changes: int = 4
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    repeat_interval: float = 14_400.0

    @classmethod
    def from_settings(cls, t: ThresholdSettings, repeat_interval: float = 14_400.0) -> EngineConfig:
        return cls(
            rule=ThresholdRule.from_settings(t),
            flap_interval=t.flap_interval,
            flapping_window=t.flapping_window,
            flapping_changes=t.flapping_changes,
            dependencies={k: tuple(v) for k, v in t.dependencies.items()},
            repeat_interval=repeat_interval,
        )


@dataclass(slots=True)
class Tracked:
    """What the engine knows about one component."""

    name: str
    confirmed: Status
    since: datetime
    source: str | None = None
    alerted: Status = Status.HEALTHY  # what receivers were last told (HEALTHY = no open problem)
    pending: Status | None = None
    pending_since: datetime | None = None
    changes: deque[datetime] = field(default_factory=deque)
    flapping: bool = False
    caused_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ComponentState:
    """The engine's view of one component, for the store and the views."""

    id: str
    confirmed: Status
    since: datetime
    flapping: bool
    silenced_until: datetime | None
    caused_by: tuple[str, ...]
    critical: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one observation produced: every event (for the audit log) and those to send to receivers."""

    events: tuple[AuditEvent, ...]
    notify: tuple[AuditEvent, ...]
    breached: bool
    reasons: tuple[str, ...]


def alert_state(status: Status) -> Status:
    """What receivers care about: the problem status, or HEALTHY for anything that is not a problem."""
    return status if status.is_problem else Status.HEALTHY


class ThresholdEngine:
    def __init__(self, config: EngineConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.components: dict[str, Tracked] = {}
        self.silences: dict[str, datetime] = {}
        self.breached = False
        self.reasons: tuple[str, ...] = ()
        self.breach_notified_at: datetime | None = None

    # -- silences -----------------------------------------------------------------------------------
    def silence(self, cid: str, until: datetime, *, by: str = "user") -> AuditEvent:
        self.silences[cid] = until
        name = self.components[cid].name if cid in self.components else cid
        return self._event(
            EventType.SILENCE_ADDED, cid, None, f"{name} silenced until {until.isoformat()} by {by}"
        )

    def unsilence(self, cid: str, *, reason: str = "lifted") -> AuditEvent | None:
        if self.silences.pop(cid, None) is None:
            return None
        name = self.components[cid].name if cid in self.components else cid
        return self._event(EventType.SILENCE_REMOVED, cid, None, f"silence of {name} {reason}")

    # -- observation --------------------------------------------------------------------------------
    def observe(self, snapshot: Snapshot, *, absent_is_healthy: bool = False) -> Outcome:
        """Feed one poll. Components missing from a failed source keep their state (stale, not recovered)."""
        now = self.clock.now()
        events: list[AuditEvent] = []
        latest: dict[str, AuditEvent] = {}  # cid → its latest change event in this poll
        for cid in [c for c, until in self.silences.items() if until <= now]:
            ended = self.unsilence(cid, reason="expired")
            if ended:
                events.append(ended)
        seen: set[str] = set()
        for comp in snapshot.components:
            seen.add(comp.id)
            events.extend(self._observe_one(comp, now, snapshot, latest))
        if absent_is_healthy:
            # with a status filter, a component that left the answer of a source that answered has recovered
            answered = {s.name for s in snapshot.sources if s.ok}
            for cid, tracked in list(self.components.items()):
                if cid not in seen and tracked.source in answered:
                    gone = Component(cid, tracked.name, Status.HEALTHY, source=tracked.source or "")
                    events.extend(self._observe_one(gone, now, snapshot, latest))
        events.extend(self._update_flapping(now, snapshot))
        self._update_causes()
        notify = self._reconcile_alerts(snapshot, latest, events)
        breach_events = self._update_threshold(now, snapshot)
        events.extend(breach_events)
        notify.extend(breach_events)
        return Outcome(tuple(events), tuple(notify), self.breached, self.reasons)

    def _observe_one(
        self, comp: Component, now: datetime, snapshot: Snapshot, latest: dict[str, AuditEvent]
    ) -> list[AuditEvent]:
        cid, status, source = comp.id, comp.status, comp.source
        name = f"{comp.name} ({comp.group})" if comp.group else comp.name  # "Voice (EMEA)", not just "Voice"
        tracked = self.components.get(cid)
        if tracked is None:
            # the API's lastModified says how long the baseline status has held, when it is plausible
            baseline = comp.last_modified if comp.last_modified and comp.last_modified <= now else now
            tracked = self.components[cid] = Tracked(
                name=name, confirmed=status, since=baseline, source=source
            )
            if status is Status.HEALTHY or status is Status.MAINTENANCE:
                return []
            event = self._change(cid, tracked, Status.UNKNOWN, status, snapshot, first=True)
            latest[cid] = event
            return [event]
        tracked.name, tracked.source = name, source
        if status == tracked.confirmed:
            if tracked.pending is not None:
                pending, since = tracked.pending, tracked.pending_since
                tracked.pending = tracked.pending_since = None
                lasted = (now - since).total_seconds() if since else 0.0
                return [
                    self._event(
                        EventType.FLAP_SUPPRESSED,
                        cid,
                        str(status),
                        f"{name} was {pending} for {lasted:.0f} s, back to {status} before {self.config.flap_interval:g} s",
                        snapshot=snapshot,
                        previous=str(pending),
                    )
                ]
            return []
        if tracked.pending != status:
            tracked.pending, tracked.pending_since = status, now
        since = tracked.pending_since or now
        if (now - since).total_seconds() + 1e-9 < self.config.flap_interval:
            return []
        previous = tracked.confirmed
        tracked.confirmed, tracked.since = status, since
        tracked.pending = tracked.pending_since = None
        tracked.changes.append(now)
        event = self._change(cid, tracked, previous, status, snapshot)
        latest[cid] = event
        return [event]

    def _change(
        self,
        cid: str,
        tracked: Tracked,
        previous: Status,
        status: Status,
        snapshot: Snapshot,
        first: bool = False,
    ) -> AuditEvent:
        verb = "is" if first else "changed to"
        message = f"{tracked.name} {verb} {status}" + ("" if first else f" (was {previous})")
        return self._event(
            EventType.COMPONENT_HEALTH_CHANGE,
            cid,
            str(status),
            message,
            snapshot=snapshot,
            previous=str(previous),
            severity=self._severity(cid, status),
        )

    def _severity(self, cid: str, status: Status) -> Severity:
        if status is Status.DOWN and cid in self.config.rule.critical:
            return Severity.CRITICAL
        if status.is_problem:
            return Severity.WARNING
        return Severity.INFO

    def _update_flapping(self, now: datetime, snapshot: Snapshot) -> list[AuditEvent]:
        events = []
        horizon = now - timedelta(seconds=self.config.flapping_window)
        for cid, tracked in self.components.items():
            while tracked.changes and tracked.changes[0] < horizon:
                tracked.changes.popleft()
            count = len(tracked.changes)
            if not tracked.flapping and count >= self.config.flapping_changes:
                tracked.flapping = True
                events.append(
                    self._event(
                        EventType.FLAPPING_STARTED,
                        cid,
                        str(tracked.confirmed),
                        f"{tracked.name} is flapping ({count} changes in {self.config.flapping_window:g} s); "
                        "its alerts are held",
                        snapshot=snapshot,
                        severity=Severity.WARNING,
                    )
                )
            elif tracked.flapping and count <= 1:
                tracked.flapping = False
                events.append(
                    self._event(
                        EventType.FLAPPING_STOPPED,
                        cid,
                        str(tracked.confirmed),
                        f"{tracked.name} stopped flapping; it is {tracked.confirmed}",
                        snapshot=snapshot,
                    )
                )
        return events

    def _update_causes(self) -> None:
        deps = self.config.dependencies
        for cid, tracked in self.components.items():
            roots = tuple(
                d
                for d in deps.get(cid, ())
                if d in self.components and self.components[d].confirmed is Status.DOWN
            )
            tracked.caused_by = roots if tracked.confirmed.is_problem else ()

    def _reconcile_alerts(
        self, snapshot: Snapshot, latest: dict[str, AuditEvent], events: list[AuditEvent]
    ) -> list[AuditEvent]:
        """Send each component's state when it differs from what receivers were told and it is not held."""
        notify: list[AuditEvent] = []
        for index, event in enumerate(events):
            cid = event.component_ids[0] if event.component_ids else None
            if (
                cid
                and event.event_type == EventType.COMPONENT_HEALTH_CHANGE
                and self.components[cid].caused_by
            ):
                events[index] = _with(event, caused_by=self.components[cid].caused_by)
                latest[cid] = events[index]
            if event.event_type == EventType.FLAPPING_STARTED:
                notify.append(event)
        for cid, tracked in self.components.items():
            if tracked.flapping or tracked.caused_by or cid in self.silences:
                continue
            wanted = alert_state(tracked.confirmed)
            if wanted == tracked.alerted:
                continue
            change = latest.get(cid)
            if change is None or change.status != str(tracked.confirmed):
                # a hold ended (flapping stopped, silence lifted, root cause recovered): say where it is now
                change = self._change(cid, tracked, tracked.alerted, tracked.confirmed, snapshot)
                change = _with(change, message=change.message + " (alert released after a hold)")
                events.append(change)
            notify.append(change)
            tracked.alerted = wanted
        return notify

    def _update_threshold(self, now: datetime, snapshot: Snapshot) -> list[AuditEvent]:
        statuses = {cid: t.confirmed for cid, t in self.components.items() if cid not in self.silences}
        names = {cid: t.name for cid, t in self.components.items()}
        reasons = tuple(self.config.rule.reasons(statuses, names))
        events: list[AuditEvent] = []
        affected = tuple(sorted(cid for cid, s in statuses.items() if s.is_problem))
        if reasons and not self.breached:
            events.append(
                self._event(
                    EventType.THRESHOLD_BREACH,
                    None,
                    "breached",
                    "threshold breached: " + "; ".join(reasons),
                    snapshot=snapshot,
                    severity=Severity.CRITICAL,
                    reasons=reasons,
                    ids=affected,
                )
            )
            self.breach_notified_at = now
        elif not reasons and self.breached:
            events.append(
                self._event(
                    EventType.THRESHOLD_RESOLVED,
                    None,
                    "resolved",
                    "threshold resolved",
                    snapshot=snapshot,
                    previous="breached",
                    reasons=self.reasons,
                )
            )
            self.breach_notified_at = None
        elif (
            reasons
            and self.config.repeat_interval > 0
            and self.breach_notified_at is not None
            and (now - self.breach_notified_at).total_seconds() >= self.config.repeat_interval
        ):
            events.append(
                self._event(
                    EventType.THRESHOLD_REMINDER,
                    None,
                    "breached",
                    "threshold still breached: " + "; ".join(reasons),
                    snapshot=snapshot,
                    severity=Severity.CRITICAL,
                    reasons=reasons,
                    ids=affected,
                )
            )
            self.breach_notified_at = now
        self.breached, self.reasons = bool(reasons), reasons
        return events

    def _event(
        self,
        event_type: str,
        cid: str | None,
        status: str | None,
        message: str,
        *,
        snapshot: Snapshot | None = None,
        previous: str | None = None,
        severity: Severity = Severity.INFO,
        reasons: tuple[str, ...] | None = None,
        ids: tuple[str, ...] | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            timestamp=self.clock.now(),
            event_type=event_type,
            component_ids=ids if ids is not None else ((cid,) if cid else ()),
            status=status,
            latency_ms=round(snapshot.total_ms, 3) if snapshot else None,
            message=message,
            severity=severity,
            previous_status=previous,
            poll_id=snapshot.poll_id if snapshot else None,
            source=self.components[cid].source if cid in self.components else None,
            reasons=reasons,
        )

    # -- views and persistence ----------------------------------------------------------------------
    def states(self) -> dict[str, ComponentState]:
        return {
            cid: ComponentState(
                cid,
                t.confirmed,
                t.since,
                t.flapping,
                self.silences.get(cid),
                t.caused_by,
                cid in self.config.rule.critical,
            )
            for cid, t in self.components.items()
        }

    def open_problems(self) -> dict[str, Status]:
        """Components receivers currently believe are a problem (for Alertmanager re-sends)."""
        return {cid: t.alerted for cid, t in self.components.items() if t.alerted.is_problem}

    def export(self) -> dict[str, Any]:
        """State that must survive a restart (kept beside the outbox)."""
        return {
            "components": {
                cid: {
                    "name": t.name,
                    "confirmed": str(t.confirmed),
                    "since": t.since.isoformat(),
                    "alerted": str(t.alerted),
                    "flapping": t.flapping,
                    "changes": [c.isoformat() for c in t.changes],
                }
                for cid, t in self.components.items()
            },
            "silences": {cid: until.isoformat() for cid, until in self.silences.items()},
            "breached": self.breached,
            "reasons": list(self.reasons),
            "breach_notified_at": self.breach_notified_at.isoformat() if self.breach_notified_at else None,
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Load what :meth:`export` wrote. Bad or partial data is ignored field by field."""
        for cid, raw in dict(data.get("components") or {}).items():
            try:
                self.components[cid] = Tracked(
                    name=str(raw["name"]),
                    confirmed=Status(raw["confirmed"]),
                    since=datetime.fromisoformat(raw["since"]),
                    alerted=Status(raw.get("alerted", "healthy")),
                    flapping=bool(raw.get("flapping")),
                    changes=deque(datetime.fromisoformat(c) for c in raw.get("changes", [])),
                )
            except (KeyError, ValueError, TypeError):
                continue
        for cid, until in dict(data.get("silences") or {}).items():
            try:
                self.silences[cid] = datetime.fromisoformat(until)
            except (TypeError, ValueError):
                continue
        self.breached = bool(data.get("breached"))
        self.reasons = tuple(data.get("reasons") or ())
        at = data.get("breach_notified_at")
        self.breach_notified_at = datetime.fromisoformat(at) if isinstance(at, str) else None


def _with(event: AuditEvent, **changes: Any) -> AuditEvent:
    return replace(event, **changes)
