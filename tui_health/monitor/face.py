"""The monitor's face to those who watch it (the console, the collector, ``--once``): what they read of it and
the few things they ask of it — its state, its target's name, pause and resume, silences, requeue, the report.

A part of :class:`~tui_health.monitor.monitor.Monitor` (which owns the cycle and everything named below); kept
apart so the cycle reads as the cycle. The console sees it through :class:`~tui_health.model.watched.Watched`.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui_health.engine import ThresholdEngine
from tui_health.genesys.ratelimit import RequestBudget
from tui_health.model.domain import AuditEvent, Component, Snapshot, SourceResult
from tui_health.model.latency import LatencyTracker
from tui_health.model.state import BudgetView, ConnectionState, MonitorState, StatePublisher
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.delivery import Delivery
from tui_health.monitor.mirrors import fold_mirrors
from tui_health.monitor.poller import connection_of
from tui_health.monitor.views import ComponentViews
from tui_health.monitor.windows import Windows
from tui_health.report.status import Report, report_of
from tui_health.settings.target import Target
from tui_health.support.clock import Clock
from tui_health.support.disk import StorageHealth, StorageStuck
from tui_health.support.text import clean
from tui_health.support.users import local_user

if TYPE_CHECKING:
    from tui_health.alerts.dispatcher import Dispatcher
    from tui_health.alerts.outbox import Outbox
    from tui_health.alerts.subject import AlertTarget
    from tui_health.engine.maintenance import Window
    from tui_health.history.writer import HistoryWriter
    from tui_health.model.component_history import ComponentTimeline
    from tui_health.monitor.recording import Recording


class MonitorFace:
    """What watchers read of a monitor and ask of it (the attributes are the monitor's own)."""

    engine: ThresholdEngine
    audit: AuditLog
    store: StatePublisher
    clock: Clock
    interval: float
    target: Target | None
    budget: RequestBudget | None
    alert_target: AlertTarget | None
    storage: StorageHealth
    delivery: Delivery
    windows: Windows
    recording: Recording | None
    tracker: LatencyTracker
    views: ComponentViews
    components: dict[str, Component]
    unmeasured: dict[str, Component]
    recent: deque[AuditEvent]
    last_snapshot: Snapshot | None
    last_ok_at: datetime | None
    first_poll_at: datetime | None
    paused: bool
    _budget_waited: float

    def record(self, events: list[AuditEvent], *, publish: bool = True) -> None:
        raise NotImplementedError

    def _persist(self) -> None:
        raise NotImplementedError

    def _report_storage(self) -> None:
        raise NotImplementedError

    # -- what others read -----------------------------------------------------------------------------
    @property
    def region(self) -> str:
        """The target's name, as the header shows it."""
        return self.target.name if self.target else ""

    @property
    def dispatcher(self) -> Dispatcher | None:
        return self.delivery.dispatcher

    @dispatcher.setter
    def dispatcher(self, dispatcher: Dispatcher | None) -> None:
        self.delivery.dispatcher = dispatcher

    @property
    def outbox(self) -> Outbox | None:
        return self.delivery.outbox

    @outbox.setter
    def outbox(self, outbox: Outbox | None) -> None:
        self.delivery.outbox = outbox

    @property
    def history(self) -> HistoryWriter | None:
        return self.recording.writer if self.recording else None

    @property
    def availability(self) -> dict[str, float | None]:
        """Each component's availability over the last 24 h, from the history (refreshed every few minutes)."""
        return self.recording.availability if self.recording else {}

    @property
    def maintenance(self) -> tuple[Window, ...]:
        return self.windows.windows

    @property
    def lost(self) -> list[str]:
        return self.delivery.lost

    def timeline(self, cid: str) -> ComponentTimeline | None:
        """The component's timeline from the history (``None`` without one)."""
        return self.recording.timeline(cid) if self.recording else None

    async def availability_settled(self) -> None:
        """Wait for an availability refresh in flight (tests and screenshots show the column filled)."""
        if self.recording is not None:
            await self.recording.settled()

    async def requeue_failed(self) -> int:
        """Queue the alerts receivers refused for good once more (after the receiver was fixed)."""
        if self.dispatcher is None:
            return 0
        try:
            count = await self.dispatcher.requeue_failed()
        except (sqlite3.Error, StorageStuck):
            self._report_storage()
            return 0
        self.store.publish(self.build_state())
        return count

    async def undelivered(self) -> list[str]:
        """One line per alert of this run that did not reach its receiver (``--once`` prints them)."""
        return await self.delivery.undelivered()

    def pause(self) -> None:
        """Stop polling until :meth:`resume` (the views see ``paused`` in the state)."""
        self.paused = True
        self.store.publish(self.build_state())

    def resume(self) -> None:
        self.paused = False
        self.store.publish(self.build_state())

    def now(self) -> datetime:
        """The monitor's clock (injected in tests and screenshots)."""
        return self.clock.now()

    def audit_tail(self, count: int) -> list[AuditEvent]:
        """The last ``count`` events of the audit log (the console seeds its audit pane and details with them)."""
        return self.audit.tail(count)

    def silence(self, cid: str, seconds: float, *, reason: str = "", by: str | None = None) -> None:
        """Hold ``cid``'s alerts for ``seconds``; ``by`` defaults to the user running this process."""
        until = self.clock.now() + timedelta(seconds=seconds)
        who = clean(by, 100) if by else local_user()
        self.record([self.engine.silence(cid, until, by=who, reason=clean(reason, 200))], publish=False)
        self._persist()
        self.store.publish(self.build_state())

    def unsilence(self, cid: str) -> None:
        event = self.engine.unsilence(cid)
        if event:
            self.record([event], publish=False)
            self._persist()
            self.store.publish(self.build_state())

    # -- state ----------------------------------------------------------------------------------------
    def report(self, state: MonitorState, events: list[AuditEvent]) -> Report:
        """The ``--once`` report of ``state`` (and the events it produced), naming this target."""
        rule = self.engine.config.rule
        target = self.alert_target.as_dict() if self.alert_target else {"name": self.region}
        return report_of(state, events, min_down=rule.min_down, min_degraded=rule.min_degraded, target=target)

    def _interim(self, result: SourceResult, busy: list[str]) -> None:
        """A source answered while others are still busy (one may hang until the poll deadline): show its
        components now — as observed, the engine confirms nothing before the whole poll is in — and count the
        data as fresh, so one hanging source neither hides the others' news nor marks everything STALE."""
        if not result.ok or self.paused:
            return
        self.components = {cid: c for cid, c in self.components.items() if c.source != result.name}
        self.components.update((c.id, c) for c in result.components)
        self.components = {c.id: c for c in fold_mirrors(list(self.components.values()))}
        self.last_ok_at = self.clock.now()
        state = self.build_state()
        waiting = ConnectionState("waiting", f"waiting for {', '.join(busy)}")
        self.store.publish(replace(state, connection=waiting, last_poll_at=self.last_ok_at))

    def build_state(self) -> MonitorState:
        views = self.views.build(
            self.components,
            self.engine.components,
            self.engine.silences,
            self.engine.config.rule.critical,
            self.unmeasured,
            self.clock.now(),
        )
        held = self.engine.maintenance
        if held:  # shown as in maintenance (the flag and the window's name), their status as observed
            views = tuple(replace(v, maintenance=held[v.id]) if v.id in held else v for v in views)
        snap = self.last_snapshot
        incidents: tuple[dict[str, Any], ...] = ()
        for source in snap.sources if snap else ():
            incidents += source.extras.incidents
        return MonitorState(
            region=self.region,
            poll_count=self.tracker.polls,
            components=views,
            breached=self.engine.breached,
            reasons=self.engine.reasons,
            events=tuple(self.recent),
            latency=self.tracker.summary(self.clock.monotonic()),
            connection=connection_of(snap),
            last_poll_at=snap.taken_at if snap else None,
            last_ok_at=self.last_ok_at,
            first_poll_at=self.first_poll_at,
            next_poll_at=(self.clock.now() + timedelta(seconds=self.interval)) if snap else None,
            interval=self.interval,
            paused=self.paused,
            sources=snap.sources if snap else (),
            incidents=incidents,
            outbox_pending=self.delivery.pending,
            outbox_failed=self.delivery.failed,
            alerts_held=self.delivery.held,
            storage_problem=self.storage.problem,
            silences=tuple(sorted(self.engine.silences.items())),
            silence_notes=dict(self.engine.silence_notes),
            availability=self.availability,
            budget=BudgetView(self.budget.used(), self.budget.limit, self._budget_waited)
            if self.budget
            else None,
        )
