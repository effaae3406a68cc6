"""What each poll adds to the history, computed on the event loop in time proportional to what changed.

The views of unchanged components are the very same objects poll after poll (:mod:`tui_health.monitor.views`), so a
component is compared by identity first and only a changed one costs a row. A confirmed status that differs from
the last one recorded is a transition, dated when the new status began (the view's ``since``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tui_health.history.store import Extras, PollRecord
from tui_health.model.domain import PROBLEMS, AuditEvent, EventType, Snapshot
from tui_health.model.state import ComponentView, MonitorState

DELIVERY_OUTCOMES = {
    EventType.ALERT_DELIVERED: "delivered",
    EventType.ALERT_RETRYING: "retrying",
    EventType.ALERT_FAILED: "failed",
}


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def state_row(view: ComponentView) -> tuple[Any, ...]:
    """The ``states`` columns (without ``poll``) of one view."""
    return (
        view.id,
        0,
        view.name,
        str(view.status),
        str(view.observed),
        view.since.timestamp(),
        _ts(view.last_modified),
        view.source,
        view.group,
        int(view.flapping),
        _ts(view.silenced_until),
        json.dumps(list(view.caused_by)) if view.caused_by else None,
        int(view.critical),
        view.raw_status,
    )


def signature(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a stored state must follow, from its ``states`` columns (without ``poll``): everything but the id,
    the gone mark and ``since`` (which moves every poll for a component the engine has not confirmed)."""
    return row[2:5] + row[6:]


class Recorder:
    """Turns each new state into a :class:`PollRecord`: only what changed since the last one."""

    def __init__(self, run: str, covers: float) -> None:
        self.run = run
        self.covers = covers
        self._views: dict[str, ComponentView] = {}
        self._rows: dict[str, tuple[Any, ...]] = {}  # component → its last stored state (columns, no poll)
        self._confirmed: dict[str, tuple[str, float]] = {}  # component → (status, since) last recorded
        self._incidents: dict[str, str] = {}  # incident id → its last update time as reported

    def resume(
        self,
        confirmed: dict[str, tuple[str, float]],
        incidents: dict[str, str],
        states: Sequence[tuple[Any, ...]] = (),
    ) -> None:
        """Continue from what the store already holds: a restart (or the next cron-driven ``--once``) writes
        only what changed since, not every component again."""
        self._confirmed = dict(confirmed)
        self._incidents = dict(incidents)
        self._rows = {row[0]: row for row in states}

    def poll(self, snapshot: Snapshot, state: MonitorState, ended: datetime | None = None) -> PollRecord:
        """``ended``: when the poll's outcome was known (its events and alerts were made before it): replay at
        this poll shows what happened up to then."""
        at = snapshot.taken_at.timestamp()
        failed = [s for s in snapshot.sources if not s.ok]
        record = PollRecord(
            at=at,
            covers=self.covers,
            ok=snapshot.ok,
            error=",".join(s.error_kind or "error" for s in failed) or None,
            duration_ms=round(snapshot.total_ms, 3),
            problems=sum(1 for c in snapshot.components if c.status in PROBLEMS) if snapshot.ok else None,
            components=len(state.components),
            breached=state.breached,
            reasons=json.dumps(list(state.reasons)),
            sources=json.dumps(
                [
                    {
                        "name": s.name,
                        "ok": s.ok,
                        "ms": round(sum(t.ms for t in s.timings), 3),
                        **({"error_kind": s.error_kind} if s.error_kind else {}),
                        **({"error": s.error} if s.error else {}),
                    }
                    for s in snapshot.sources
                ]
            ),
            run=self.run,
            ended=_ts(ended),
        )
        if snapshot.ok:
            self._components(state.components, at, record)
        self._incidents_of(state.incidents, at, record)
        return record

    def _components(self, views: tuple[ComponentView, ...], at: float, record: PollRecord) -> None:
        previous = self._views
        current: dict[str, ComponentView] = {}
        for view in views:
            cid = view.id
            current[cid] = view
            if previous.get(cid) is view:
                continue
            row = state_row(view)
            stored = self._rows.get(cid)
            if stored is None or signature(stored) != signature(row):
                self._rows[cid] = row
                record.states.append(row)
            status = str(view.status)
            last = self._confirmed.get(cid)
            if last is None or last[0] != status:
                began = view.since.timestamp()
                began = min(at, max(began, last[1] if last else began))  # in order, never in the future
                self._confirmed[cid] = (status, began)
                record.transitions.append(
                    (
                        began,
                        cid,
                        view.name,
                        last[0] if last else None,
                        status,
                        json.dumps(list(view.caused_by)) if view.caused_by else None,
                        int(view.flapping),
                    )
                )
        if len(self._rows) > len(current):  # a component no longer reported (also across a restart)
            for cid in self._rows.keys() - current.keys():
                gone = self._rows.pop(cid)
                record.states.append((cid, 1, *gone[2:]))
                last = self._confirmed.pop(cid, None)
                record.transitions.append((at, cid, gone[2], last[0] if last else None, "gone", None, 0))
        self._views = current

    def _incidents_of(self, incidents: tuple[dict[str, Any], ...], at: float, record: PollRecord) -> None:
        seen: dict[str, str] = {}
        for incident in incidents:
            ident = str(incident.get("id") or incident.get("name") or "")
            if not ident:
                continue
            updated = str(incident.get("updated_at") or incident.get("status") or "")
            seen[ident] = updated
            before = self._incidents.get(ident)
            if before is None or before != updated:
                change = "opened" if before is None else "updated"
                record.incidents.append((at, ident, change, json.dumps(incident, default=str)))
        for ident in self._incidents.keys() - seen.keys():
            record.incidents.append((at, ident, "resolved", json.dumps({"id": ident})))
        self._incidents = seen


def extras_of(events: list[AuditEvent]) -> Extras:
    """The audit events to keep, and the delivery attempts among them (linked to their alert by its key)."""
    extras = Extras()
    for event in events:
        data = event.to_dict()
        extras.events.append(
            (
                event.timestamp.timestamp(),
                str(event.event_type),
                str(event.severity),
                json.dumps(list(event.component_ids)),
                json.dumps(data, default=str),
            )
        )
        outcome = DELIVERY_OUTCOMES.get(event.event_type)  # type: ignore[call-overload]
        if outcome and event.correlation_id:
            extras.deliveries.append(
                (
                    event.correlation_id,
                    event.timestamp.timestamp(),
                    outcome,
                    event.status,
                    event.source,
                    event.message,
                )
            )
    return extras
