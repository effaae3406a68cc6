"""What the engine's parts share: its configuration, what it knows of one component, and how an event is built.

The parts (stability, holds, threshold) import this module, never the engine that composes them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui_health.engine.threshold import ThresholdRule
from tui_health.model.domain import PROBLEMS, AuditEvent, Severity, Snapshot, Status


@dataclass(frozen=True, slots=True)
class EngineConfig:
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    flap_interval: float = 30.0  # seconds a new status must last before it is confirmed
    flapping_window: float = 600.0  # seconds over which confirmed changes are counted
    flapping_changes: int = 4  # confirmed changes within the window that make a component flapping
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    repeat_interval: float = 14_400.0  # seconds between reminders of an ongoing breach (0: never)


@dataclass(slots=True)
class Tracked:
    """What the engine knows about one component; it saves and restores itself."""

    name: str
    confirmed: Status
    since: datetime
    source: str | None = None
    alerted: Status = Status.HEALTHY  # what receivers were last told (HEALTHY = no open problem)
    pending: Status | None = None
    pending_since: datetime | None = None  # wall time the pending status was first seen (shown, and kept)
    confirmed_at: datetime | None = (
        None  # wall time the engine confirmed ``confirmed`` (None: before this run)
    )
    pending_mono: float | None = None  # the same moment on the monotonic clock (how long it lasted)
    pending_seen_mono: float | None = None  # the latest observation of the pending status (monotonic)
    pending_polls: int = 0  # observations that saw the pending status
    changes: deque[float] = field(default_factory=deque)  # confirmed changes, monotonic seconds
    flapping: bool = False
    caused_by: tuple[str, ...] = ()

    def export(self, now: datetime, mono: float) -> dict[str, Any]:
        """What survives a restart; monotonic moments are saved as the wall times they stand for now."""
        return {
            "name": self.name,
            "confirmed": str(self.confirmed),
            "since": self.since.isoformat(),
            "alerted": str(self.alerted),
            "flapping": self.flapping,
            "changes": [wall_of(c, now, mono).isoformat() for c in self.changes],
        }

    @classmethod
    def restore(cls, raw: Mapping[str, Any], now: datetime, mono: float) -> Tracked:
        """Raises KeyError, ValueError or TypeError on bad data (the caller skips the component)."""
        return cls(
            name=str(raw["name"]),
            confirmed=Status(raw["confirmed"]),
            since=datetime.fromisoformat(raw["since"]),
            alerted=Status(raw.get("alerted", "healthy")),
            flapping=bool(raw.get("flapping")),
            changes=deque(mono_of(datetime.fromisoformat(c), now, mono) for c in raw.get("changes", [])),
        )


def wall_of(moment: float, now: datetime, mono: float) -> datetime:
    """The wall time a monotonic ``moment`` stands for, given the clock's two faces read together."""
    return now - timedelta(seconds=mono - moment)


def mono_of(moment: datetime, now: datetime, mono: float) -> float:
    """The monotonic time a saved wall ``moment`` stands for (restoring durations across a restart)."""
    return mono - (now - moment).total_seconds()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one observation produced: every event (for the audit log) and those to send to receivers."""

    events: tuple[AuditEvent, ...]
    notify: tuple[AuditEvent, ...]
    breached: bool
    reasons: tuple[str, ...]


def alert_state(status: Status) -> Status:
    """What receivers care about: the problem status, or HEALTHY for anything that is not a problem."""
    return status if status in PROBLEMS else Status.HEALTHY


def make_event(
    now: datetime,
    event_type: str,
    ids: tuple[str, ...],
    status: str | None,
    message: str,
    *,
    snapshot: Snapshot | None = None,
    previous: str | None = None,
    severity: Severity = Severity.INFO,
    reasons: tuple[str, ...] | None = None,
    source: str | None = None,
    name: str | None = None,
    since: datetime | None = None,
    previous_since: datetime | None = None,
) -> AuditEvent:
    """The one way the engine builds an event."""
    return AuditEvent(
        timestamp=now,
        event_type=event_type,
        component_ids=ids,
        status=status,
        latency_ms=round(snapshot.total_ms, 3) if snapshot else None,
        message=message,
        severity=severity,
        previous_status=previous,
        poll_id=snapshot.poll_id if snapshot else None,
        source=source,
        reasons=reasons,
        name=name,
        since=since,
        previous_since=previous_since,
    )
