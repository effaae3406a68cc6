"""MonitorState (immutable, what every view renders) and the StatePublisher that hands each new one to the views."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field

from tui_health.model.domain import RANK, AuditEvent, SourceResult, Status, worst
from tui_health.model.latency import LatencySummary
from tui_health.support.untrusted import (
    Count,
    Data,
    Finite,
    KnownOr,
    LeaveOut,
    Local,
    Moment,
    Newest,
    Text,
    Time,
)

MAX_COMPONENTS = 100_000
"""The most components a state read from elsewhere may hold (more: it is not a valid state)."""
MAX_EVENTS = 300
"""The recent audit events a state holds (the newest)."""

# The annotations of the fields say how a copy read from elsewhere (an attached console's, serve/codec.py) is
# checked: text cleaned and cut, lists bounded, times and statuses read leniently (support/untrusted.py).
Id = Annotated[str, Text(200)]
KnownStatus = Annotated[Status, KnownOr(Status.UNKNOWN)]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ComponentView:
    id: Id
    name: Annotated[str, Text(500)]
    status: KnownStatus  # confirmed
    observed: KnownStatus  # as seen in the latest poll (differs while a change is pending)
    # confirmed status held since: the poll that first observed it (read from elsewhere and unparsable: now)
    since: Annotated[datetime, Moment(otherwise=_now)]
    last_modified: Time
    source: Annotated[str, Text(60)]
    critical: bool = False
    flapping: bool = False
    silenced_until: Time = None
    caused_by: Annotated[tuple[Id, ...], Field(max_length=50)] = ()
    group: Annotated[str | None, Text(500)] = None
    raw_status: Annotated[str | None, Text(60)] = None
    details: Annotated[dict[str, Any] | None, Data()] = None
    confirmed_at: Time = None  # when the engine confirmed it (None: at the baseline, or not tracked)
    pending_since: Time = None  # while ``observed`` differs: the poll that first saw it
    # the target it belongs to (set when a view shows several; its id is then "target/id")
    target: Local[str] = ""
    kind: Annotated[str | None, Text(60)] = (
        None  # edge, trunk, queue (the org's own sources); None: a platform's
    )
    # the planned maintenance window it is in now (it pages nobody)
    maintenance: Annotated[str | None, Text(200)] = None


def urgency(view: ComponentView) -> int:
    """Where a component sorts among the others: its confirmed status, or the status a pending change is
    heading to when that is worse — a component about to go down sorts with the problems, not the healthy."""
    return min(view.status.rank, view.observed.rank)


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """How the last poll went, for the header.

    ``kind``: ok | starting | rate_limited (the host said wait) | rate_budget (our own budget is used up) |
    auth_failed | empty (an answer that matched nothing) | error.
    """

    kind: Annotated[str, Text(60)] = "starting"
    message: Annotated[str, Text(500)] = ""
    until: Time = None  # rate_limited / rate_budget: when asking again is allowed


SOURCE_TROUBLE = {
    "auth": "auth_failed",
    "rate_limited": "rate_limited",
    "rate_budget": "rate_budget",
    "empty": "empty",
}
"""A failed source's error kind → the connection verdict the header shows (anything else: ``error``)."""


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """How one source's part of a poll went, as the connection verdict needs it (live or replayed)."""

    name: str
    ok: bool
    error_kind: str | None = None
    error: str | None = None
    retry_at: datetime | None = None


def connection_verdict(outcomes: Sequence[SourceOutcome] | None) -> ConnectionState:
    """The one rule for what the header says of a poll: ``ok``, or the first failed source's trouble (with the
    time asking again is allowed, and how many more failed). ``None``: nothing polled yet."""
    if outcomes is None:
        return ConnectionState("starting", "waiting for the first poll")
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return ConnectionState("ok", "")
    first = failed[0]
    kind = SOURCE_TROUBLE.get(first.error_kind or "", "error")
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    return ConnectionState(kind, f"{first.name}: {first.error or 'failed'}{more}", until=first.retry_at)


def sort_key(view: ComponentView) -> tuple[int, str, str]:
    """The order of every component list: worst first (a pending change to worse counts as that status:
    :func:`urgency`), then by name (case-insensitive), then id."""
    rank = RANK[view.status]
    observed = RANK[view.observed]  # urgency(), inlined: it runs for every component a sort sees
    return (observed if observed < rank else rank, view.name.casefold(), view.id)


@dataclass(frozen=True, slots=True)
class BudgetView:
    """The request budget of the token: slots held in the last minute, the limit, and the last poll's wait."""

    used: Count
    limit: Count
    waited_s: Finite  # seconds the last poll's requests waited for a slot (0: the budget did not bind)


@dataclass(frozen=True, slots=True)
class MonitorState:
    region: Annotated[str, Text(100)] = ""
    poll_count: Count = 0
    components: Annotated[tuple[ComponentView, ...], Field(max_length=MAX_COMPONENTS)] = ()
    breached: bool = False
    reasons: Annotated[tuple[Annotated[str, Text(500)], ...], Field(max_length=200)] = ()
    # recent, oldest first (read from elsewhere: the newest, each one that does not read left out)
    events: Annotated[tuple[AuditEvent, ...], LeaveOut(), Newest(MAX_EVENTS)] = ()
    latency: LatencySummary | None = None
    connection: ConnectionState = field(default_factory=ConnectionState)
    last_poll_at: Time = None
    last_ok_at: Time = None
    first_poll_at: Time = None  # when polling began: with no good answer since, staleness counts from it
    next_poll_at: Time = None
    interval: Annotated[float, Field(gt=0, le=86_400)] = 15.0
    paused: bool = False
    sources: Annotated[tuple[SourceResult, ...], Field(max_length=50)] = ()
    incidents: Annotated[tuple[Annotated[dict[str, Any], Data()], ...], Field(max_length=200)] = ()
    outbox_pending: Count = 0
    outbox_failed: Count = 0  # alerts a receiver refused for good (the console offers to requeue them)
    # alerts the outbox has not taken yet (held in memory: a full, locked or frozen disk)
    alerts_held: Count = 0
    storage_problem: Annotated[str, Text(500)] = ""  # what of our own files cannot be written right now
    budget: BudgetView | None = None  # None when no source uses a token
    # (component id, until), for the silences screen (read from elsewhere: one whose time does not read left out)
    silences: Annotated[
        tuple[tuple[Id, Annotated[datetime, Moment()]], ...], Field(max_length=MAX_COMPONENTS), LeaveOut()
    ] = ()
    # component id → "by alice: why"
    silence_notes: Annotated[Mapping[Id, Annotated[str, Text(500)]], Field(max_length=MAX_COMPONENTS)] = (
        field(default_factory=dict)
    )
    # component id → % over 24 h
    availability: Annotated[Mapping[Id, Finite | None], Field(max_length=MAX_COMPONENTS)] = field(
        default_factory=dict
    )
    replay: Local[str] = ""  # what replay shows ("REPLAY 2026-11-02 08:04:00 UTC"); "" when live

    @property
    def overall(self) -> Status:
        """Worst confirmed status (maintenance counts as healthy); UNKNOWN before the first answer."""
        if not self.components:
            return Status.UNKNOWN
        counts = self.counts()
        present = [s for s, n in counts.items() if n and s is not Status.MAINTENANCE]
        return worst(present) if present else Status.HEALTHY

    def pending(self) -> int:
        """Components whose latest poll differs from their confirmed status (a change waiting out the flap
        interval); the header counts them, so a coming DOWN is seen before it is confirmed."""
        return sum(1 for c in self.components if c.observed is not c.status)

    def counts(self) -> dict[Status, int]:
        out = dict.fromkeys(Status, 0)
        for c in self.components:
            out[c.status] += 1
        return out


class StatePublisher:
    """Holds the latest state in memory and calls every subscriber with each new one (the TUI posts a message).
    Nothing here is saved: what survives a restart is in :mod:`tui_health.persistence`."""

    def __init__(self, initial: MonitorState | None = None) -> None:
        self.state = initial or MonitorState()
        self._subscribers: list[Callable[[MonitorState], None]] = []

    def subscribe(self, callback: Callable[[MonitorState], None]) -> None:
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[MonitorState], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def publish(self, state: MonitorState) -> None:
        self.state = state
        for callback in self._subscribers:
            callback(state)


def combine(states: Sequence[MonitorState]) -> MonitorState:
    """One state for views that show several targets; the state itself when there is one.

    Component ids become ``target/id`` (so two orgs' ``voice`` never collide) with ``target`` set; the worst
    connection, the oldest good answer (stale if any target is) and every problem, event and incident are kept.
    """
    if len(states) == 1:
        return states[0]
    if not states:
        return MonitorState()

    def tagged(state: MonitorState) -> list[ComponentView]:
        return [replace(c, id=f"{state.region}/{c.id}", target=state.region) for c in state.components]

    components = sorted((c for s in states for c in tagged(s)), key=sort_key)
    failing = [s for s in states if s.connection.kind not in ("ok", "starting")]
    connection = (
        replace(failing[0].connection, message=f"{failing[0].region}: {failing[0].connection.message}")
        if failing
        else states[0].connection
    )
    oks = [s.last_ok_at for s in states]
    polls = [s.last_poll_at for s in states if s.last_poll_at]
    firsts = [s.first_poll_at for s in states if s.first_poll_at]
    nexts = [s.next_poll_at for s in states if s.next_poll_at]
    return MonitorState(
        region=" · ".join(s.region for s in states),
        poll_count=sum(s.poll_count for s in states),
        components=tuple(components),
        breached=any(s.breached for s in states),
        reasons=tuple(f"{s.region}: {r}" for s in states for r in s.reasons),
        events=tuple(sorted((e for s in states for e in s.events), key=lambda e: e.timestamp))[-MAX_EVENTS:],
        latency=states[0].latency,
        connection=connection,
        last_poll_at=max(polls) if polls else None,
        last_ok_at=None if None in oks else min(o for o in oks if o is not None),
        first_poll_at=min(firsts) if firsts else None,
        next_poll_at=min(nexts) if nexts else None,
        interval=min(s.interval for s in states),
        paused=all(s.paused for s in states),
        sources=tuple(src for s in states for src in s.sources),
        incidents=tuple(i for s in states for i in s.incidents),
        outbox_pending=sum(s.outbox_pending for s in states),  # each target delivers from its own outbox
        outbox_failed=sum(s.outbox_failed for s in states),
        alerts_held=sum(s.alerts_held for s in states),
        storage_problem="; ".join(dict.fromkeys(s.storage_problem for s in states if s.storage_problem)),
        budget=states[0].budget,
        silences=tuple((f"{s.region}/{cid}", until) for s in states for cid, until in s.silences),
        silence_notes={f"{s.region}/{cid}": note for s in states for cid, note in s.silence_notes.items()},
        availability={f"{s.region}/{cid}": pct for s in states for cid, pct in s.availability.items()},
    )


def split_id(view_id: str, target: str) -> str:
    """The monitor's own component id behind a view id (``target/id`` when several targets are shown)."""
    return view_id.removeprefix(f"{target}/") if target else view_id
