"""MonitorState as JSON and back, for consoles attached to a collector (``--serve`` / ``--attach``).

What comes back is treated like anything from the network: every string is cleaned of control characters,
counts are bounded, a timestamp that does not parse is left out, an unknown status is ``unknown``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tui_health.clock import rfc3339
from tui_health.metrics import LatencySummary
from tui_health.models import AuditEvent, RateLimit, SourceResult, Status
from tui_health.state import BudgetView, ComponentView, ConnectionState, MonitorState
from tui_health.text import clean, clean_data

MAX_COMPONENTS = 100_000
MAX_EVENTS = 300
MAX_SERIES = 1_000
SOURCE_EXTRA = ("page_status", "operational_events", "incidents")
"""What of a source's extra state an attached console shows (the incidents and ``o`` screens)."""


def _ts(moment: datetime | None) -> str | None:
    return rfc3339(moment) if moment is not None else None


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _status(value: Any) -> Status:
    return Status.parse(value) or Status.UNKNOWN


def state_to_json(state: MonitorState) -> dict[str, Any]:
    latency = state.latency
    return {
        "region": state.region,
        "poll_count": state.poll_count,
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "status": str(c.status),
                "observed": str(c.observed),
                "since": _ts(c.since),
                "last_modified": _ts(c.last_modified),
                "source": c.source,
                "critical": c.critical,
                "flapping": c.flapping,
                "silenced_until": _ts(c.silenced_until),
                "caused_by": list(c.caused_by),
                "group": c.group,
                "raw_status": c.raw_status,
                "details": c.details,
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
                },
                "extra": {k: v for k, v in s.extra.items() if k in SOURCE_EXTRA},
            }
            for s in state.sources
        ],
        "incidents": list(state.incidents),
        "outbox_pending": state.outbox_pending,
        "outbox_failed": state.outbox_failed,
        "storage_problem": state.storage_problem,
        "budget": None
        if state.budget is None
        else {"used": state.budget.used, "limit": state.budget.limit, "waited_s": state.budget.waited_s},
        "silences": [[cid, _ts(until)] for cid, until in state.silences],
        "availability": dict(state.availability),
    }


def _num(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any, limit: int = 500) -> str:
    return clean(value, limit) if value is not None else ""


def _opt(value: Any, limit: int = 500) -> str | None:
    return clean(value, limit) if value is not None else None


def _component(raw: dict[str, Any]) -> ComponentView:
    return ComponentView(
        id=_text(raw.get("id"), 200),
        name=_text(raw.get("name")),
        status=_status(raw.get("status")),
        observed=_status(raw.get("observed")),
        since=_dt(raw.get("since")) or datetime.now(UTC),
        last_modified=_dt(raw.get("last_modified")),
        source=_text(raw.get("source"), 60),
        critical=raw.get("critical") is True,
        flapping=raw.get("flapping") is True,
        silenced_until=_dt(raw.get("silenced_until")),
        caused_by=tuple(_text(c, 200) for c in (raw.get("caused_by") or [])[:50]),
        group=_opt(raw.get("group")),
        raw_status=_opt(raw.get("raw_status"), 60),
        details=clean_data(raw["details"]) if isinstance(raw.get("details"), dict) else None,
    )


def _event(raw: Any) -> AuditEvent | None:
    try:
        return AuditEvent.from_dict(raw)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def state_from_json(data: Any) -> MonitorState:
    """A MonitorState from what a collector sent; raises ValueError when it is not a state at all."""
    if not isinstance(data, dict) or not isinstance(data.get("components"), list):
        raise ValueError("not a tui-health state")
    latency = data.get("latency")
    connection: dict[str, Any] = data["connection"] if isinstance(data.get("connection"), dict) else {}
    budget = data.get("budget")
    sources = []
    for raw in (data.get("sources") or [])[:50]:
        if not isinstance(raw, dict):
            continue
        limit = raw.get("rate_limit")
        extra: dict[str, Any] = raw["extra"] if isinstance(raw.get("extra"), dict) else {}
        sources.append(
            SourceResult(
                name=_text(raw.get("name"), 60),
                ok=raw.get("ok") is True,
                error=_opt(raw.get("error"), 1000),
                error_kind=_opt(raw.get("error_kind"), 40),
                rate_limit=RateLimit(
                    _int(limit.get("allowed")), _int(limit.get("used")), _dt(limit.get("reset_at"))
                )
                if isinstance(limit, dict)
                else None,
                extra={k: clean_data(v) for k, v in extra.items() if k in SOURCE_EXTRA},
            )
        )
    return MonitorState(
        region=_text(data.get("region"), 100),
        poll_count=_int(data.get("poll_count")),
        components=tuple(_component(c) for c in data["components"][:MAX_COMPONENTS] if isinstance(c, dict)),
        breached=data.get("breached") is True,
        reasons=tuple(_text(r) for r in (data.get("reasons") or [])[:50]),
        events=tuple(e for e in map(_event, (data.get("events") or [])[-MAX_EVENTS:]) if e is not None),
        latency=LatencySummary(
            polls=_int(latency.get("polls")),
            p50=_num(latency.get("p50")),
            p95=_num(latency.get("p95")),
            p99=_num(latency.get("p99")),
            mean=_num(latency.get("mean")),
            error_rate=_num(latency.get("error_rate")),
            polls_per_minute=_num(latency.get("polls_per_minute")),
            poll_series=tuple(_num(v) for v in (latency.get("poll_series") or [])[-MAX_SERIES:]),
            problem_series=tuple(
                None if v is None else _int(v) for v in (latency.get("problem_series") or [])[-MAX_SERIES:]
            ),
            request_p95=_num(latency.get("request_p95")),
        )
        if isinstance(latency, dict)
        else None,
        connection=ConnectionState(
            _text(connection.get("kind") or "error", 40),
            _text(connection.get("message")),
            _dt(connection.get("until")),
        ),
        last_poll_at=_dt(data.get("last_poll_at")),
        last_ok_at=_dt(data.get("last_ok_at")),
        first_poll_at=_dt(data.get("first_poll_at")),
        next_poll_at=_dt(data.get("next_poll_at")),
        interval=max(0.1, _num(data.get("interval"), 15.0)),
        paused=data.get("paused") is True,
        sources=tuple(sources),
        incidents=tuple(clean_data(i) for i in (data.get("incidents") or [])[:200] if isinstance(i, dict)),
        outbox_pending=_int(data.get("outbox_pending")),
        outbox_failed=_int(data.get("outbox_failed")),
        storage_problem=_text(data.get("storage_problem")),
        budget=BudgetView(_int(budget.get("used")), _int(budget.get("limit")), _num(budget.get("waited_s")))
        if isinstance(budget, dict)
        else None,
        silences=tuple(
            (_text(s[0], 200), until)
            for s in (data.get("silences") or [])[:10_000]
            if isinstance(s, list) and len(s) == 2 and (until := _dt(s[1])) is not None
        ),
        availability={
            _text(k, 200): (_num(v) if v is not None else None)
            for k, v in list((data.get("availability") or {}).items())[:MAX_COMPONENTS]
        },
    )
