"""Replay: the MonitorState of any recorded poll, rebuilt from the history (no network, no engine).

Every view renders a MonitorState, so the console shows a past moment exactly as it showed it live: the
components as they were (latest stored state at or before the poll), the audit events up to that moment, the
latency series of the polls before it, the incidents then open, the threshold as it stood.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tui_health.history.reader import HistoryReader, PollRow
from tui_health.history.timeline import ComponentTimeline, component_timeline
from tui_health.model.domain import AuditEvent, SourceResult, Status
from tui_health.model.latency import LatencySummary, percentile
from tui_health.model.state import (
    ComponentView,
    ConnectionState,
    MonitorState,
    SourceOutcome,
    StatePublisher,
    connection_verdict,
    sort_key,
)
from tui_health.model.watched import Passive
from tui_health.support.clock import read_rfc3339

SERIES = 240
"""Polls in the latency sparkline (as the live tracker keeps)."""
EVENTS = 300


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _status(text: str) -> Status:
    return Status.parse(text) or Status.UNKNOWN


def view_of(row: tuple[Any, ...], confirmed_at: float | None = None) -> ComponentView:
    """A ComponentView from a ``states`` row (``STATE_COLUMNS``); ``confirmed_at``: when its confirmed status
    was confirmed (None: taken as it was when first seen)."""
    (
        _,
        cid,
        _,
        name,
        status,
        observed,
        since,
        modified,
        source,
        group,
        flapping,
        silenced,
        caused,
        critical,
        raw,
    ) = row
    return ComponentView(
        id=cid,
        name=name,
        status=_status(status),
        observed=_status(observed),
        since=_dt(since) or datetime.now(UTC),
        last_modified=_dt(modified),
        source=source,
        critical=bool(critical),
        flapping=bool(flapping),
        silenced_until=_dt(silenced),
        caused_by=tuple(json.loads(caused)) if caused else (),
        group=group,
        raw_status=raw,
        confirmed_at=_dt(confirmed_at),
    )


def latency_of(polls: list[PollRow]) -> LatencySummary:
    """The latency panel's figures over the given polls (oldest first)."""
    values = [p.duration_ms for p in polls]
    recent = [p.at for p in polls if polls and polls[-1].at - p.at <= 60]
    span = recent[-1] - recent[0] if len(recent) > 1 else 0.0
    requests = [float(s.get("ms", 0.0)) for p in polls for s in p.sources]
    return LatencySummary(
        polls=len(polls),
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
        mean=sum(values) / len(values) if values else 0.0,
        error_rate=sum(1 for p in polls if not p.ok or p.error) / len(polls) if polls else 0.0,
        polls_per_minute=(len(recent) - 1) / span * 60 if span > 0 else float(len(recent)),
        poll_series=tuple(values),
        problem_series=tuple(p.problems for p in polls),
        request_p95=percentile(requests, 95),
    )


def sources_of(poll: PollRow) -> tuple[SourceResult, ...]:
    return tuple(
        SourceResult(
            name=str(s.get("name", "?")),
            ok=bool(s.get("ok")),
            error=s.get("error"),
            error_kind=s.get("error_kind"),
        )
        for s in poll.sources
    )


def connection_of(poll: PollRow) -> ConnectionState:
    """The header's verdict on a recorded poll, by the same rule as a live one."""
    return connection_verdict(
        [
            SourceOutcome(
                str(s.get("name")),
                bool(s.get("ok")),
                str(s["error_kind"]) if s.get("error_kind") else None,
                str(s["error"]) if s.get("error") else None,
                read_rfc3339(s.get("retry_at")),
            )
            for s in poll.sources
        ]
    )


def state_of(
    reader: HistoryReader,
    polls: list[PollRow],
    *,
    region: str,
    interval: float,
    poll_count: int,
    first_at: float,
) -> MonitorState:
    """The MonitorState of the last of ``polls`` (the polls before it feed the latency series): what was known
    when that poll ended — the changes it confirmed and the events it made included, nothing after."""
    poll = polls[-1]
    confirmed = reader.confirmations_at(poll.id)
    views = sorted(
        (view_of(row, confirmed.get(row[1])) for row in reader.states_at(poll.id)),
        key=sort_key,
    )
    events = [e for e in map(_event, reader.events(poll.ended, EVENTS)) if e is not None]
    return MonitorState(
        region=region,
        poll_count=poll_count,
        components=tuple(views),
        breached=poll.breached,
        reasons=poll.reasons,
        events=tuple(events),
        latency=latency_of(polls),
        connection=connection_of(poll),
        last_poll_at=_dt(poll.at),
        last_ok_at=_dt(reader.last_ok_at(poll.id)),
        first_poll_at=_dt(first_at),
        next_poll_at=None,
        interval=interval,
        sources=sources_of(poll),
        incidents=tuple(reader.incidents_at(poll.id)),
        availability=reader.availability(poll.at - 86400, poll.at),
        silences=tuple(
            sorted(
                (v.id, v.silenced_until) for v in views if v.silenced_until and v.silenced_until > _at(poll)
            )
        ),
    )


class Replay:
    """The recorded polls of one store (their ids and times only), and the state at any of them, read when
    asked: opening a 90-day store reads two numbers a poll, not every poll's row."""

    def __init__(self, reader: HistoryReader, *, region: str, interval: float) -> None:
        self.reader = reader
        self.region = region
        self.interval = interval
        ids = reader.poll_ids()
        self.ids = [i for i, _ in ids]
        self.times = [at for _, at in ids]
        index_of = {poll: i for i, poll in enumerate(self.ids)}
        # the polls that recorded a transition (confirmed it), as indexes into ``ids``
        self._changes = sorted({index_of[poll] for poll in reader.transition_polls() if poll in index_of})

    def __len__(self) -> int:
        return len(self.ids)

    def index_at(self, moment: datetime) -> int:
        """The last poll at or before ``moment`` (the first poll when it is earlier than all of them)."""
        return max(0, bisect_right(self.times, moment.timestamp()) - 1)

    def next_transition(self, index: int, direction: int) -> int | None:
        """The next (``direction`` 1) or previous (-1) poll from ``index`` that confirmed a transition."""
        if direction > 0:
            found = bisect_right(self._changes, index)
            return self._changes[found] if found < len(self._changes) else None
        found = bisect_left(self._changes, index) - 1
        return self._changes[found] if found >= 0 else None

    def ended(self, index: int) -> float:
        """When the poll at ``index`` ended (its outcome known)."""
        ended = self.reader.poll_ended(self.ids[index])
        return ended if ended is not None else self.times[index]

    def state(self, index: int) -> MonitorState:
        polls = self.reader.polls(upto=self.ids[index], limit=SERIES)
        return state_of(
            self.reader,
            polls,
            region=self.region,
            interval=self.interval,
            poll_count=index + 1,
            first_at=self.times[0],
        )


def _at(poll: PollRow) -> datetime:
    return datetime.fromtimestamp(poll.at, UTC)


def _event(data: dict[str, Any]) -> AuditEvent | None:
    try:
        return AuditEvent.from_dict(data)
    except (KeyError, ValueError, TypeError):
        return None


class ReplayMonitor(Passive):
    """What the console watches in replay: the recorded polls, one at a time, instead of live ones.

    It offers the console what a Monitor offers (a store of states, the clock, the audit tail, a component's
    timeline), all as of the moment shown; polling, silencing and pausing do nothing, and no network is used.
    """

    def __init__(self, replay: Replay, index: int = 0) -> None:
        self.replay = replay
        self.region = replay.region
        self.interval = replay.interval
        self.store = StatePublisher()
        self.index = -1
        self.go(index)

    # -- moving in time ---------------------------------------------------------------------------
    def go(self, index: int) -> bool:
        """Show poll ``index`` (clamped); whether the moment changed."""
        index = max(0, min(index, len(self.replay) - 1))
        if index == self.index:
            return False
        self.index = index
        state = self.replay.state(index)
        self.store.publish(replace(state, replay=self.label(state)))
        return True

    def step(self, polls: int) -> bool:
        return self.go(self.index + polls)

    def jump(self, direction: int) -> bool:
        """To the poll of the next (1) or previous (-1) transition."""
        found = self.replay.next_transition(self.index, direction)
        return found is not None and self.go(found)

    def go_to(self, moment: datetime) -> bool:
        return self.go(self.replay.index_at(moment))

    def label(self, state: MonitorState) -> str:
        """``REPLAY · poll 12 of 1008``: the header puts the moment (in the zone shown) after ``REPLAY``."""
        return f"REPLAY · poll {self.index + 1} of {len(self.replay)}"

    # -- what the console asks of a monitor -------------------------------------------------------
    def now(self) -> datetime:
        """The moment shown: "For" durations and ages count from it."""
        return self.store.state.last_poll_at or datetime.now(UTC)

    def audit_tail(self, count: int) -> list[AuditEvent]:
        """The events up to the end of the poll shown (the change it confirmed is among them)."""
        ended = self.replay.ended(self.index)
        return [e for e in map(_event, self.replay.reader.events(ended, count)) if e is not None]

    def timeline(self, cid: str) -> ComponentTimeline | None:
        return component_timeline(
            self.replay.reader, cid, self.replay.times[self.index], known=self.replay.ended(self.index)
        )

    async def start(self) -> None:
        return None

    def silence(self, cid: str, seconds: float, *, reason: str = "") -> None:
        return None  # nothing in the past can be silenced

    def unsilence(self, cid: str) -> None:
        return None

    async def close(self, delivery_wait: float = 0.0) -> bool:
        self.replay.reader.close()
        return True
