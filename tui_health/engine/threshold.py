"""The threshold: the rule over a set of statuses, and its breach → reminder → resolve cycle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui_health.model.domain import AuditEvent, EventMaker, EventType, Severity, Status


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    min_down: int = 1
    min_degraded: int = 2
    critical: frozenset[str] = frozenset()

    def reasons(self, statuses: Mapping[str, Status], names: Mapping[str, str] | None = None) -> list[str]:
        """Why the threshold is breached; empty when it is not. Deterministic order."""
        names = names or {}
        down = sorted(cid for cid, s in statuses.items() if s is Status.DOWN)
        degraded = sorted(cid for cid, s in statuses.items() if s is Status.DEGRADED)
        reasons: list[str] = []
        if len(down) >= self.min_down:
            reasons.append(f"{len(down)} down (min_down {self.min_down})")
        if len(degraded) >= self.min_degraded:
            reasons.append(f"{len(degraded)} degraded (min_degraded {self.min_degraded})")
        for cid in down:
            if cid in self.critical:
                reasons.append(f"critical component {names.get(cid, cid)} ({cid}) is down")
        return reasons


class ThresholdCycle:
    """``threshold_breach`` on the rising edge, ``threshold_reminder`` every ``repeat_interval`` while it lasts,
    ``threshold_resolved`` on the falling edge."""

    def __init__(self, rule: ThresholdRule, repeat_interval: float) -> None:
        self.rule = rule
        self.repeat_interval = repeat_interval
        self.breached = False
        self.reasons: tuple[str, ...] = ()
        self.notified_at: datetime | None = None  # wall time receivers were last told (the alert's start)
        self.notified_mono: float | None = None  # the same moment on the monotonic clock (reminders)
        self.since: datetime | None = None  # when the breach began (reminders do not move it)

    def update(
        self,
        now: datetime,
        mono: float,
        statuses: Mapping[str, Status],
        names: Mapping[str, str],
        event: EventMaker,
    ) -> list[AuditEvent]:
        """Events for this observation; ``event(type, status, message, **fields)`` builds them. Reminders
        are timed on the monotonic clock ``mono``."""
        reasons = tuple(self.rule.reasons(statuses, names))
        affected = tuple(sorted(cid for cid, s in statuses.items() if s.is_problem))
        out: list[AuditEvent] = []
        if reasons and not self.breached:
            self.since = now
            out.append(
                self._problem(
                    EventType.THRESHOLD_BREACH, "threshold breached", reasons, affected, event, self.since
                )
            )
            self.notified_at, self.notified_mono = now, mono
        elif not reasons and self.breached:
            out.append(
                event(
                    EventType.THRESHOLD_RESOLVED,
                    "resolved",
                    "threshold resolved",
                    previous="breached",
                    reasons=self.reasons,
                    since=now,
                    previous_since=self.since,
                )
            )
            self.notified_at = self.notified_mono = self.since = None
        elif reasons and self._reminder_due(mono):
            out.append(
                self._problem(
                    EventType.THRESHOLD_REMINDER,
                    "threshold still breached",
                    reasons,
                    affected,
                    event,
                    self.since,
                )
            )
            self.notified_at, self.notified_mono = now, mono
        self.breached, self.reasons = bool(reasons), reasons
        return out

    def _reminder_due(self, mono: float) -> bool:
        return (
            self.repeat_interval > 0
            and self.notified_mono is not None
            and mono - self.notified_mono >= self.repeat_interval
        )

    @staticmethod
    def _problem(
        kind: EventType,
        prefix: str,
        reasons: tuple[str, ...],
        affected: tuple[str, ...],
        event: EventMaker,
        since: datetime | None,
    ) -> AuditEvent:
        return event(
            kind,
            "breached",
            f"{prefix}: " + "; ".join(reasons),
            severity=Severity.CRITICAL,
            reasons=reasons,
            ids=affected,
            since=since,
        )

    def export(self) -> dict[str, Any]:
        return {
            "breached": self.breached,
            "reasons": list(self.reasons),
            "breach_notified_at": self.notified_at.isoformat() if self.notified_at else None,
            "breach_since": self.since.isoformat() if self.since else None,
        }

    def restore(self, data: Mapping[str, Any], now: datetime, mono: float) -> None:
        self.breached = bool(data.get("breached"))
        self.reasons = tuple(data.get("reasons") or ())
        at = data.get("breach_notified_at")
        try:
            self.notified_at = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            self.notified_at = None
        began = data.get("breach_since")
        try:
            self.since = datetime.fromisoformat(began) if isinstance(began, str) else self.notified_at
        except ValueError:
            self.since = self.notified_at
        # the reminder's clock goes on from the saved moment, as long ago as the wall clock says
        self.notified_mono = mono - (now - self.notified_at).total_seconds() if self.notified_at else None
