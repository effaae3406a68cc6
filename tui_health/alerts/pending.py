"""What waits outside the outbox: a message it has not taken yet (:class:`Held`), what became of one at stop
(:class:`Unsent`), and the event that says the outbox was found damaged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_health.model.domain import AuditEvent, EventType, Severity
from tui_health.support.clock import Clock
from tui_health.support.disk import reason

WHAT = "alert outbox"


@dataclass(frozen=True, slots=True)
class Held:
    """A message the outbox has not taken yet."""

    sink: str
    key: str
    body: Any
    summary: str
    at: float
    components: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"sink": self.sink, "key": self.key, "body": self.body, "summary": self.summary, "at": self.at}


@dataclass(frozen=True, slots=True)
class Unsent:
    """What became of a message the outbox never took, at stop."""

    held: Held
    fate: str  # "delivered" | "kept" (in the held file) | "lost"
    detail: str


def damaged_event(clock: Clock, path: Any, aside: Any, exc: BaseException) -> AuditEvent:
    return AuditEvent(
        timestamp=clock.now(),
        event_type=EventType.STORAGE_FAILED,
        status="failed",
        severity=Severity.CRITICAL,
        source=WHAT,
        message=(
            f"the alert outbox {path} was damaged ({reason(exc)}): moved aside to {aside} for inspection and a "
            "fresh one started; alerts waiting in the damaged file are not sent from it"
        ),
    )
