"""MonitorState as JSON and back, for consoles attached to a collector (``--serve`` / ``--attach``).

What comes back is treated like anything from the network, and validated like the Genesys client validates
(pydantic models of the document): a value of the wrong shape (a number where a list belongs) makes the whole
document invalid, with one line saying where; every string is cleaned of control characters and cut; lists are
bounded (more components than ``MAX_COMPONENTS`` is invalid, events and series keep their newest items); a
timestamp that does not parse is left out; an unknown status is ``unknown``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from tui_health.model.domain import AuditEvent, RateLimit, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.model.latency import LatencySummary
from tui_health.model.state import BudgetView, ComponentView, ConnectionState, MonitorState
from tui_health.report.status import component_json
from tui_health.support.clock import read_rfc3339, rfc3339
from tui_health.support.text import clean, clean_data

MAX_COMPONENTS = 100_000
MAX_EVENTS = 300
MAX_SERIES = 1_000
SOURCE_EXTRA = ("page_status", "operational_events", "incidents")
"""What of a source's extra state an attached console shows (the incidents and ``o`` screens)."""


def _ts(moment: datetime | None) -> str | None:
    return rfc3339(moment) if moment is not None else None


def _dt(value: Any) -> datetime | None:
    return read_rfc3339(value)


def _status(value: Any) -> Status:
    return Status.parse(value) or Status.UNKNOWN


def state_to_json(state: MonitorState) -> dict[str, Any]:
    latency = state.latency
    return {
        "region": state.region,
        "poll_count": state.poll_count,
        "components": [
            {  # the --once document's fields, and what a live view adds to them
                **component_json(c),
                "observed": str(c.observed),
                "since": _ts(c.since),
                "confirmed_at": _ts(c.confirmed_at),
                "pending_since": _ts(c.pending_since),
            }
            for c in state.components
        ],
        "breached": state.breached,
        "reasons": list(state.reasons),
        "events": [e.to_dict() for e in state.events],
        "latency": None
        if latency is None
        else {
            "polls": latency.polls,
            "p50": latency.p50,
            "p95": latency.p95,
            "p99": latency.p99,
            "mean": latency.mean,
            "error_rate": latency.error_rate,
            "polls_per_minute": latency.polls_per_minute,
            "poll_series": list(latency.poll_series),
            "problem_series": list(latency.problem_series),
            "request_p95": latency.request_p95,
        },
        "connection": {
            "kind": state.connection.kind,
            "message": state.connection.message,
            "until": _ts(state.connection.until),
        },
        "last_poll_at": _ts(state.last_poll_at),
        "last_ok_at": _ts(state.last_ok_at),
        "first_poll_at": _ts(state.first_poll_at),
        "next_poll_at": _ts(state.next_poll_at),
        "interval": state.interval,
        "paused": state.paused,
        "sources": [
            {
                "name": s.name,
                "ok": s.ok,
                "error": s.error,
                "error_kind": s.error_kind,
                "rate_limit": None
                if s.rate_limit is None
                else {
                    "allowed": s.rate_limit.allowed,
                    "used": s.rate_limit.used,
                    "reset_at": _ts(s.rate_limit.reset_at),
                    "bucket": s.rate_limit.bucket,
                },
                "extra": s.extras.shown(),
            }
            for s in state.sources
        ],
        "incidents": list(state.incidents),
        "outbox_pending": state.outbox_pending,
        "outbox_failed": state.outbox_failed,
        "alerts_held": state.alerts_held,
        "storage_problem": state.storage_problem,
        "budget": None
        if state.budget is None
        else {"used": state.budget.used, "limit": state.budget.limit, "waited_s": state.budget.waited_s},
        "silences": [[cid, _ts(until)] for cid, until in state.silences],
        "silence_notes": dict(state.silence_notes),
        "availability": dict(state.availability),
    }


def _cleaned(limit: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is None or isinstance(value, str):
            return None if value is None else clean(value, limit)
        if isinstance(value, bool | int | float):
            return clean(value, limit)
        raise ValueError("not text")

    return BeforeValidator(check)


def _newest(count: int) -> BeforeValidator:
    """Keep the newest ``count`` items of a list (a tail: events, series)."""
    return BeforeValidator(lambda value: value[-count:] if isinstance(value, list) else value)


def _moment(value: Any) -> datetime | None:
    return _dt(value)


Text = Annotated[str, _cleaned(500)]
Name = Annotated[str, _cleaned(200)]
Short = Annotated[str, _cleaned(60)]
Moment = Annotated[datetime | None, BeforeValidator(_moment)]
Count = Annotated[int, Field(ge=0, le=10**12)]
Number = Annotated[float, Field(allow_inf_nan=False)]


def _data_map(value: Any) -> Any:
    """A JSON object from the network: cleaned and bounded (depth, keys, string lengths) by ``clean_data``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return clean_data(value)


DataMap = Annotated[dict[str, Any], BeforeValidator(_data_map)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WireComponent(_Wire):
    id: Name
    name: Text = ""
    status: Short = "unknown"
    observed: Short = "unknown"
    since: Moment = None
    last_modified: Moment = None
    source: Short = ""
    critical: bool = False
    flapping: bool = False
    silenced_until: Moment = None
    caused_by: list[Name] = Field(default_factory=list, max_length=50)
    group: Text | None = None
    kind: Short | None = None
    maintenance: Name | None = None
    raw_status: Short | None = None
    details: DataMap | None = None
    confirmed_at: Moment = None
    pending_since: Moment = None


class WireLatency(_Wire):
    polls: Count = 0
    p50: Number = 0.0
    p95: Number = 0.0
    p99: Number = 0.0
    mean: Number = 0.0
    error_rate: Number = 0.0
    polls_per_minute: Number = 0.0
    poll_series: Annotated[list[Number], _newest(MAX_SERIES)] = Field(default_factory=list)
    problem_series: Annotated[list[Count | None], _newest(MAX_SERIES)] = Field(default_factory=list)
    request_p95: Number = 0.0


class WireConnection(_Wire):
    kind: Short = "error"
    message: Text = ""
    until: Moment = None


class WireRateLimit(_Wire):
    allowed: Count = 0
    used: Count = 0
    reset_at: Moment = None
    bucket: Short = ""


class WireSource(_Wire):
    name: Short
    ok: bool = False
    error: Annotated[str, _cleaned(1000)] | None = None
    error_kind: Short | None = None
    rate_limit: WireRateLimit | None = None
    extra: DataMap = Field(default_factory=dict)


class WireBudget(_Wire):
    used: Count = 0
    limit: Count = 0
    waited_s: Number = 0.0


class WireState(_Wire):
    region: Annotated[str, _cleaned(100)] = ""
    poll_count: Count = 0
    components: list[WireComponent] = Field(max_length=MAX_COMPONENTS)
    breached: bool = False
    reasons: list[Text] = Field(default_factory=list, max_length=200)
    events: Annotated[list[dict[str, Any]], _newest(MAX_EVENTS)] = Field(default_factory=list)
    latency: WireLatency | None = None
    connection: WireConnection = WireConnection()
    last_poll_at: Moment = None
    last_ok_at: Moment = None
    first_poll_at: Moment = None
    next_poll_at: Moment = None
    interval: Annotated[float, Field(gt=0, le=86_400)] = 15.0
    paused: bool = False
    sources: list[WireSource] = Field(default_factory=list, max_length=50)
    incidents: list[DataMap] = Field(default_factory=list, max_length=200)
    outbox_pending: Count = 0
    outbox_failed: Count = 0
    alerts_held: Count = 0
    storage_problem: Text = ""
    budget: WireBudget | None = None
    silences: list[tuple[Name, Moment]] = Field(default_factory=list, max_length=MAX_COMPONENTS)
    silence_notes: dict[Name, Text] = Field(default_factory=dict, max_length=MAX_COMPONENTS)
    availability: dict[Name, Number | None] = Field(default_factory=dict, max_length=MAX_COMPONENTS)


def _event(raw: Any) -> AuditEvent | None:
    try:
        return AuditEvent.from_dict(raw)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def invalid(exc: ValidationError) -> str:
    """One line: where the first problem is and what it is (``components.3.status: not text``)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the document"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return clean(f"{where}: {first['msg'].lower().removeprefix('value error, ')}{more}", 300)


def state_from_json(data: Any) -> MonitorState:
    """A MonitorState from what a collector sent; raises ValueError (one line) when it is not a valid state."""
    if not isinstance(data, dict):
        raise ValueError("not a tui-health state (not a JSON object)")
    try:
        wire = WireState.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"not a valid tui-health state: {invalid(exc)}") from None
    now = datetime.now(UTC)
    latency = wire.latency
    return MonitorState(
        region=wire.region,
        poll_count=wire.poll_count,
        components=tuple(
            ComponentView(
                id=c.id,
                name=c.name,
                status=_status(c.status),
                observed=_status(c.observed),
                since=c.since or now,
                last_modified=c.last_modified,
                source=c.source,
                critical=c.critical,
                flapping=c.flapping,
                silenced_until=c.silenced_until,
                caused_by=tuple(c.caused_by),
                group=c.group,
                kind=c.kind,
                maintenance=c.maintenance,
                raw_status=c.raw_status,
                details=c.details,
                confirmed_at=c.confirmed_at,
                pending_since=c.pending_since,
            )
            for c in wire.components
        ),
        breached=wire.breached,
        reasons=tuple(wire.reasons),
        events=tuple(e for e in map(_event, wire.events) if e is not None),
        latency=None
        if latency is None
        else LatencySummary(
            polls=latency.polls,
            p50=latency.p50,
            p95=latency.p95,
            p99=latency.p99,
            mean=latency.mean,
            error_rate=latency.error_rate,
            polls_per_minute=latency.polls_per_minute,
            poll_series=tuple(latency.poll_series),
            problem_series=tuple(latency.problem_series),
            request_p95=latency.request_p95,
        ),
        connection=ConnectionState(
            wire.connection.kind or "error", wire.connection.message, wire.connection.until
        ),
        last_poll_at=wire.last_poll_at,
        last_ok_at=wire.last_ok_at,
        first_poll_at=wire.first_poll_at,
        next_poll_at=wire.next_poll_at,
        interval=wire.interval,
        paused=wire.paused,
        sources=tuple(
            SourceResult(
                name=s.name,
                ok=s.ok,
                error=s.error,
                error_kind=s.error_kind,
                rate_limit=None
                if s.rate_limit is None
                else RateLimit(
                    s.rate_limit.allowed, s.rate_limit.used, s.rate_limit.reset_at, s.rate_limit.bucket
                ),
                extras=SourceExtras.read({k: v for k, v in s.extra.items() if k in SOURCE_EXTRA}),
            )
            for s in wire.sources
        ),
        incidents=tuple(wire.incidents),
        outbox_pending=wire.outbox_pending,
        outbox_failed=wire.outbox_failed,
        alerts_held=wire.alerts_held,
        storage_problem=wire.storage_problem,
        budget=None
        if wire.budget is None
        else BudgetView(wire.budget.used, wire.budget.limit, wire.budget.waited_s),
        silences=tuple((cid, until) for cid, until in wire.silences if until is not None),
        silence_notes=dict(wire.silence_notes),
        availability=dict(wire.availability),
    )
