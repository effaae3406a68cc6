"""What the history tells of one component, as plain data: its transitions, the alerts sent about it with each
delivery attempt, and its timeline (strips, stays, availability). The history computes them; the views, the
report and what the console watches (:mod:`tui_health.model.watched`) only read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Transition:
    at: float
    component: str
    name: str
    from_status: str | None
    to_status: str
    caused_by: tuple[str, ...]
    flapping: bool


@dataclass(frozen=True, slots=True)
class Delivery:
    at: float
    outcome: str  # delivered | retrying | failed
    code: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Alert:
    at: float
    key: str
    sink: str
    components: tuple[str, ...]
    summary: str
    deliveries: tuple[Delivery, ...]

    @property
    def outcome(self) -> str:
        """The latest delivery outcome, or "pending" when none was attempted yet."""
        return self.deliveries[-1].outcome if self.deliveries else "pending"


@dataclass(frozen=True, slots=True)
class Stay:
    """One confirmed status and how long it held (until the next transition, or until now)."""

    at: float
    status: str
    previous: str | None
    seconds: float
    caused_by: tuple[str, ...]
    flapping: bool


@dataclass(frozen=True, slots=True)
class ComponentTimeline:
    day: tuple[
        str | None, ...
    ]  # one cell per slot of the last 24 h: the worst status observed, None: unobserved
    week: tuple[str | None, ...]
    stays: tuple[Stay, ...]  # newest first
    alerts: tuple[Alert, ...]  # newest first
    availability_day: float | None
    availability_week: float | None
