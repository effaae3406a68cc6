"""Domain types shared by the core and the views: statuses, components, snapshots, audit events."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema

from tui_health.model.extras import NO_EXTRAS, SourceExtras
from tui_health.support.clock import read_rfc3339, rfc3339
from tui_health.support.text import clean
from tui_health.support.untrusted import Count, Local, Text, Time, coded


class Status(StrEnum):
    """A component's health. Anything the API sends that we do not know becomes ``UNKNOWN``."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    MAINTENANCE = "maintenance"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Sort key, worst first: down, degraded, unknown, maintenance, healthy."""
        return RANK[self]

    @property
    def is_problem(self) -> bool:
        """Whether this status is something the person on call should look at."""
        return self is Status.DOWN or self is Status.DEGRADED

    @classmethod
    def parse(cls, value: object) -> Status | None:
        """The status for an API string (case-insensitive), or ``None`` when unrecognised."""
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                return None
        return None


RANK = {Status.DOWN: 0, Status.DEGRADED: 1, Status.UNKNOWN: 2, Status.MAINTENANCE: 3, Status.HEALTHY: 4}
PROBLEMS = frozenset({Status.DOWN, Status.DEGRADED})
"""``status in PROBLEMS`` is :attr:`Status.is_problem` without a call: what loops over every component use."""


class EventType(StrEnum):
    """Every audit event type this build writes (a line read back may carry another: ``event_type`` is a str)."""

    COMPONENT_HEALTH_CHANGE = "component_health_change"
    FLAP_SUPPRESSED = "flap_suppressed"
    FLAPPING_STARTED = "flapping_started"
    FLAPPING_STOPPED = "flapping_stopped"
    THRESHOLD_BREACH = "threshold_breach"
    THRESHOLD_REMINDER = "threshold_reminder"
    THRESHOLD_RESOLVED = "threshold_resolved"
    SCHEMA_VALIDATION_ERROR = "schema_validation_error"
    POLL_FAILED = "poll_failed"
    ALERT_DELIVERED = "alert_delivered"
    ALERT_RETRYING = "alert_retrying"
    ALERT_FAILED = "alert_failed"
    ALERT_LOST = "alert_lost"
    SILENCE_ADDED = "silence_added"
    SILENCE_REMOVED = "silence_removed"
    SILENCE_REFUSED = "silence_refused"  # an attached console's silence the collector did not take
    MONITOR_STARTED = "monitor_started"
    MONITOR_STOPPED = "monitor_stopped"
    STORAGE_FAILED = "storage_failed"
    STORAGE_RECOVERED = "storage_recovered"
    RATE_LIMIT_LOW = "rate_limit_low"
    OPERATIONAL_EVENT = "operational_event"
    PUSH_FAILED = "push_failed"  # the notification channel failed (polling goes on; a catch-up poll follows)
    PUSH_CONNECTED = "push_connected"  # the notification channel works (first time, or again)
    # `tui-health doctor --send-test-alert`: a marked test alert and its resolve, per sink
    TEST_ALERT = "test_alert"
    # a source says something once ("no Edges in this org"): neither OK nor failed
    SOURCE_NOTE = "source_note"
    # a [[maintenance]] window opened (its components page nobody), and closed (they page again)
    # the config was read again (SIGHUP, POST /-/reload) and taken; or rejected, the running one kept
    CONFIG_RELOADED = "config_reloaded"
    CONFIG_REJECTED = "config_rejected"
    MAINTENANCE_STARTED = "maintenance_started"
    MAINTENANCE_ENDED = "maintenance_ended"
    # `--demo`: what the simulator's scenario will do, said once at the start (its faults marked as scripted)
    DEMO_SCENARIO = "demo_scenario"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


def worst(statuses: Sequence[Status]) -> Status:
    """The worst of several statuses; ``UNKNOWN`` for none at all."""
    if not statuses:
        return Status.UNKNOWN
    return min(statuses, key=lambda s: s.rank)


@dataclass(frozen=True, slots=True)
class Component:
    """One platform component as observed in one poll (validated)."""

    id: str
    name: str
    status: Status
    last_modified: datetime | None = None
    source: str = "health-api"
    raw_status: str | None = None  # what the API said, when it differs from ``status``
    group: str | None = None
    details: dict[str, Any] | None = None
    kind: str | None = None
    """What it is, for the org's own sources: ``edge``, ``trunk``, ``queue`` (``None``: a platform component)."""


@dataclass(frozen=True, slots=True)
class RequestTiming:
    """Latency of one HTTP request (one attempt)."""

    label: str  # "token", "page 3", "probe", ...
    ms: float
    status_code: int | None = None  # None when no response arrived
    attempt: int = 1
    correlation_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One entity that did not match the schema; the entity is kept (status unknown / timestamp empty)."""

    component_id: str | None
    message: str
    correlation_id: str | None = None
    source: str = "health-api"


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source returned in one poll. An attached console is sent what it shows of it (the rest is
    :data:`Local`: the poll's own bookkeeping)."""

    name: Annotated[str, Text(60)]
    ok: bool
    components: Local[tuple[Component, ...]] = ()
    error: Annotated[str | None, Text(1000)] = None
    error_kind: Annotated[str | None, Text(60)] = None  # "auth", "network", "api", "rate_limited", ...
    correlation_ids: Local[tuple[str, ...]] = ()
    issues: Local[tuple[ValidationIssue, ...]] = ()
    timings: Local[tuple[RequestTiming, ...]] = ()
    extras: SourceExtras = NO_EXTRAS  # what the source tells beside its components (model/extras.py)
    unmeasured: Local[tuple[Component, ...]] = ()  # failed: components it can name but could not measure
    # failed: when the host (Retry-After) or our budget lets us ask again
    retry_at: Local[datetime | None] = None
    rate_limit: RateLimit | None = None  # the API's count of our requests, when it sent one


LOW_HEADROOM = 0.2
"""Below this share of the API's rate-limit window left, the header warns and a ``rate_limit_low`` is audited."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The API's own count of our requests (``inin-ratelimit-*`` headers of its latest answer)."""

    allowed: Count  # requests allowed in the window
    used: Count  # requests counted in the window so far
    reset_at: Time  # when the window starts over
    # the endpoint family the reading is for (``/api/v2/organizations``): allowances differ by it
    bucket: Annotated[str, Text(60)] = ""

    @property
    def left(self) -> float:
        """The share of the window's requests still free, 0..1."""
        return max(0, self.allowed - self.used) / self.allowed if self.allowed else 0.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one poll saw, merged across sources."""

    poll_id: str
    taken_at: datetime
    components: tuple[Component, ...]
    sources: tuple[SourceResult, ...]
    total_ms: float

    @property
    def ok(self) -> bool:
        """At least one source answered."""
        return any(s.ok for s in self.sources)

    @property
    def timings(self) -> list[RequestTiming]:
        return [t for s in self.sources for t in s.timings]

    @property
    def issues(self) -> list[ValidationIssue]:
        return [i for s in self.sources for i in s.issues]


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the audit log. The seed's fields come first, in the seed's order."""

    timestamp: datetime
    event_type: str
    component_ids: tuple[str, ...] = ()
    status: str | None = None
    latency_ms: float | None = None
    message: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    severity: Severity = Severity.INFO
    previous_status: str | None = None
    poll_id: str | None = None
    source: str | None = None
    correlation_id: str | None = None
    caused_by: tuple[str, ...] | None = None
    reasons: tuple[str, ...] | None = None
    sink: str | None = None
    """Delivery events: the receiver's name (``source`` is its kind)."""
    key: str | None = None
    """What the event is about, derived from the event itself (target, kind, components, new status, the
    source's transition time): equal on every instance watching the same target, so receivers page once."""
    name: str | None = None
    """A component change: the component's name (receivers name it, not only its id)."""
    since: datetime | None = None
    """A change: when its new condition began (a component's new status, a breach) — the alert's start."""
    previous_since: datetime | None = None
    """A change: when the condition it ends began (a resolve keeps the original start)."""
    link: str | None = None
    """Where a person can read about it (a status page incident), when there is such a place."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; optional fields that are unset are left out."""
        data = asdict(self)
        data["timestamp"] = rfc3339(self.timestamp)
        data["component_ids"] = list(self.component_ids)
        data["severity"] = str(self.severity)
        for key in ("caused_by", "reasons"):
            if data[key] is None:
                del data[key]
            else:
                data[key] = list(data[key])
        for key in ("since", "previous_since"):
            data[key] = rfc3339(data[key]) if data[key] is not None else None
        for key in (
            "previous_status", "poll_id", "source", "correlation_id", "sink", "key", "name", "since",
            "previous_since", "link",
        ):  # fmt: skip
            if data[key] is None:
                del data[key]
        return data

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """Elsewhere (an attached console's copy of the state) an event is its audit line: :meth:`to_dict` out,
        :meth:`from_dict` in; one that does not read is left out of its list (support/untrusted.py)."""
        return coded(cls.from_dict, cls.to_dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEvent:
        """Rebuild an event read back from the audit log or the outbox.

        The file is read back into a terminal, so it is treated like any input: a timestamp that cannot be shown
        in UTC raises (the reader skips the line), text is cleaned of control characters.
        """
        ts = datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00"))
        ts = (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)
        latency = data.get("latency_ms")

        def text(key: str, limit: int = 200) -> str | None:
            value = data.get(key)
            return clean(value, limit) if value is not None else None

        def moment(key: str) -> datetime | None:
            return read_rfc3339(data.get(key))

        def texts(key: str, count: int = 1000) -> tuple[str, ...] | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, list | tuple):
                raise TypeError(f"{key} is not a list")
            return tuple(clean(v, 200) for v in value[:count])

        return cls(
            timestamp=ts,
            event_type=clean(data["event_type"], 60),
            component_ids=texts("component_ids") or (),
            status=text("status", 60),
            latency_ms=float(latency)
            if isinstance(latency, int | float) and not isinstance(latency, bool) and math.isfinite(latency)
            else None,
            message=clean(data.get("message", ""), 2000),
            id=clean(data.get("id") or uuid.uuid4(), 100),
            severity=Severity(data.get("severity", "info")),
            previous_status=text("previous_status", 60),
            poll_id=text("poll_id", 100),
            source=text("source", 100),
            correlation_id=text("correlation_id", 200),
            caused_by=texts("caused_by", 50),
            reasons=tuple(clean(r, 500) for r in texts("reasons", 50) or ())
            if data.get("reasons") is not None
            else None,
            sink=clean(data["sink"], 100) if data.get("sink") else None,
            name=text("name", 500),
            since=moment("since"),
            previous_since=moment("previous_since"),
            link=text("link", 500),
            key=clean(data["key"], 100) if data.get("key") else None,
        )


EventMaker = Callable[..., AuditEvent]
"""How a part makes an audit event (the engine hands its own maker to each of its parts)."""
