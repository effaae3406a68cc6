"""What ``--once`` reports: overall status, counts, threshold, components, events, latency, sources."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui_health.model.domain import AuditEvent, RateLimit, RequestTiming, SourceResult, Status, worst
from tui_health.model.state import BudgetView, ComponentView, MonitorState
from tui_health.support.clock import rfc3339

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
EXIT_LABEL = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
SEVERITY = (OK, WARNING, UNKNOWN, CRITICAL)
"""Exit codes from least to most severe, for several targets' worst."""


def worst_code(codes: Iterable[int]) -> int:
    """The worst of several exit codes: CRITICAL, then UNKNOWN, then WARNING, then OK (UNKNOWN for none)."""
    return max(codes, key=SEVERITY.index, default=UNKNOWN)


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    components: tuple[ComponentView, ...]  # worst first, then by name; statuses as confirmed
    reasons: tuple[str, ...]
    events: tuple[AuditEvent, ...]
    sources: tuple[SourceResult, ...]
    total_ms: float
    requests: tuple[RequestTiming, ...]
    incidents: tuple[dict[str, Any], ...] = ()
    budget: BudgetView | None = None
    min_down: int = 1  # the threshold rule, for the Nagios perfdata ranges
    min_degraded: int = 2
    target: dict[str, str] | None = None  # what was watched: name, key, region, host (org, link)

    @property
    def name(self) -> str:
        """The target's name (how several targets' sections and perfdata are told apart)."""
        return (self.target or {}).get("name", "")

    @property
    def answered(self) -> bool:
        return any(s.ok for s in self.sources)

    @property
    def breached(self) -> bool:
        return bool(self.reasons)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(str(c.status) for c in self.components)
        return {str(s): counts.get(str(s), 0) for s in Status}

    @property
    def overall(self) -> str:
        """healthy | degraded | down | unknown. Maintenance counts as healthy; no answer is unknown."""
        if not self.answered:
            return "unknown"
        statuses: list[Status] = [c.status for c in self.components if c.status is not Status.MAINTENANCE]
        if not statuses:
            return "healthy"
        return str(worst(statuses))

    @property
    def exit_code(self) -> int:
        """Monitoring-plugins convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN): the code of the first clause
        of :data:`EXIT_RULE` that holds."""
        return exit_clause(self).code

    @property
    def token_ms(self) -> float:
        return sum(t.ms for t in self.requests if t.label == "token")

    def to_json(self) -> dict[str, Any]:
        """The ``--once --format json`` document (its fields: README "--once --format json")."""
        return {
            "generated_at": rfc3339(self.generated_at),
            **({"target": dict(self.target)} if self.target else {}),
            "overall": self.overall,
            "exit_code": self.exit_code,
            "counts": self.counts,
            "threshold": {"breached": self.breached, "reasons": list(self.reasons)},
            "components": [component_json(c) for c in self.components],
            "events": [e.to_dict() for e in self.events],
            "latency_ms": {
                "total": round(self.total_ms, 3),
                "token": round(self.token_ms, 3),
                "requests": [
                    {
                        "label": t.label,
                        "ms": round(t.ms, 3),
                        "status_code": t.status_code,
                        "attempt": t.attempt,
                        **({"correlation_id": t.correlation_id} if t.correlation_id else {}),
                    }
                    for t in self.requests
                ],
            },
            "sources": [
                {
                    "name": s.name,
                    "ok": s.ok,
                    **({"error": s.error} if s.error else {}),
                    **({"retry_at": rfc3339(s.retry_at)} if s.retry_at else {}),
                    **({"rate_limit": rate_limit_json(s.rate_limit)} if s.rate_limit else {}),
                    **({"page_status": s.extras.page_status.as_dict()} if s.extras.page_status else {}),
                    **({"note": s.extras.note} if s.extras.note else {}),
                    **(
                        {"operational_events": list(s.extras.operational_events)}
                        if s.extras.operational_events is not None
                        else {}
                    ),
                    "correlation_ids": list(s.correlation_ids),
                }
                for s in self.sources
            ],
            **({"incidents": list(self.incidents)} if self.incidents else {}),
            **(
                {
                    "request_budget": {
                        "limit_per_minute": self.budget.limit,
                        "used_last_minute": self.budget.used,
                        "waited_s": round(self.budget.waited_s, 3),
                    }
                }
                if self.budget
                else {}
            ),
        }


@dataclass(frozen=True, slots=True)
class ExitClause:
    """One clause of the exit code rule: the code, what it means in words, and when it holds."""

    code: int
    says: str
    """The clause as the man page's EXIT STATUS and the README's "Exit codes" say it."""
    holds: Callable[[Report], bool]


EXIT_RULE: tuple[ExitClause, ...] = (
    ExitClause(
        UNKNOWN,
        "no valid answer: no source answered (network, auth or response error, a filter that matched nothing), "
        "or the poll never ran (config, flags, credentials, SIGINT/SIGTERM before it finished); one line on "
        "stderr says why",
        lambda r: not r.answered,
    ),
    ExitClause(
        CRITICAL,
        "a threshold breached: --min-down components down, --min-degraded degraded, or a --critical component "
        "down",
        lambda r: r.breached,
    ),
    ExitClause(
        WARNING,
        "something degraded, down or of unknown status, but no threshold breached",
        lambda r: any(c.status in (Status.DOWN, Status.DEGRADED, Status.UNKNOWN) for c in r.components),
    ),
    ExitClause(WARNING, "one of several sources failed", lambda r: not all(s.ok for s in r.sources)),
    ExitClause(
        OK, "every component healthy (maintenance counts as healthy), every source answered", lambda r: True
    ),
)
"""The ``--once`` exit code, clause by clause: the first that holds decides. The program, the man page and the
README read this one rule."""


def exit_clause(report: Report) -> ExitClause:
    """The clause of :data:`EXIT_RULE` that decides ``report``'s exit code."""
    return next(clause for clause in EXIT_RULE if clause.holds(report))


def exit_meanings() -> dict[int, str]:
    """Each exit code's meaning in words, its clauses joined (0 OK first): for the man page and ``--help``."""
    return {code: "; or ".join(c.says for c in EXIT_RULE if c.code == code) for code in sorted(EXIT_LABEL)}


def component_json(c: ComponentView) -> dict[str, Any]:
    """A component as JSON in the ``--once`` document (a contract: other tools read it). The collector's state
    for attached consoles is derived from the model instead (``serve/codec.py``)."""
    data: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "status": str(c.status),
        "last_modified": rfc3339(c.last_modified) if c.last_modified else None,
        "critical": c.critical,
        "source": c.source,
    }
    if c.group:
        data["group"] = c.group
    if c.kind:
        data["kind"] = c.kind
    if c.maintenance:
        data["maintenance"] = c.maintenance
    if c.raw_status:
        data["raw_status"] = c.raw_status
    if c.flapping:
        data["flapping"] = True
    if c.silenced_until:
        data["silenced_until"] = rfc3339(c.silenced_until)
    if c.caused_by:
        data["caused_by"] = list(c.caused_by)
    if c.details is not None:
        data["details"] = c.details
    return data


def report_of(
    state: MonitorState,
    events: list[AuditEvent],
    *,
    min_down: int = 1,
    min_degraded: int = 2,
    target: dict[str, str] | None = None,
) -> Report:
    """The report of a one-shot run: the state after its poll, the events it produced, and the rule's counts."""
    return Report(
        generated_at=state.last_poll_at or (events[0].timestamp if events else datetime.now().astimezone()),
        components=state.components,
        reasons=state.reasons,
        events=tuple(events),
        sources=state.sources,
        total_ms=state.latency.poll_series[-1] if state.latency and state.latency.poll_series else 0.0,
        requests=tuple(t for s in state.sources for t in s.timings),
        incidents=state.incidents,
        budget=state.budget,
        min_down=min_down,
        min_degraded=min_degraded,
        target=target,
    )


def rate_limit_json(limit: RateLimit) -> dict[str, Any]:
    """``{allowed, used, reset_at, bucket}``: the API's count of our requests in its current window, for the
    endpoint family ``bucket``."""
    return {
        "allowed": limit.allowed,
        "used": limit.used,
        "reset_at": rfc3339(limit.reset_at) if limit.reset_at else None,
        "bucket": limit.bucket,  # the endpoint family it counts: Genesys' allowances differ by endpoint
    }
