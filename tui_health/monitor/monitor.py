"""The Monitor owns the poll cycle: every source at once → Snapshot → engine → audit + alerts → state.

Its rooms: the poller (``poller.py``), pushed news (``push.py``), the history and the Avail figures
(``recording.py``), its own storage's health and the saved engine state (``storage.py``), alerts on their way
out (``delivery.py``), silences from the shell (``silencing.py``), planned maintenance (``windows.py``), the pace
the request budget allows (``pacing.py``) and reloads (``reload.py``). What is left here is the cycle itself:
ask → take → decide → audit → alert → publish → remember.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.engine import Outcome, ThresholdEngine
from tui_health.genesys.ratelimit import RequestBudget
from tui_health.model.domain import (
    PROBLEMS,
    AuditEvent,
    Component,
    EventType,
    Severity,
    Snapshot,
)
from tui_health.model.latency import LatencyTracker
from tui_health.model.state import (
    MonitorState,
    StatePublisher,
)
from tui_health.monitor import loop
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.delivery import Delivery, firing
from tui_health.monitor.engine_state import EngineStateStore
from tui_health.monitor.face import MonitorFace
from tui_health.monitor.pacing import pace
from tui_health.monitor.poller import Poller, merge, merged_into
from tui_health.monitor.silencing import SilenceRequests
from tui_health.monitor.snapshot_events import (
    headroom_events,
    note_events,
    org_events,
    snapshot_events,
    with_key,
    with_notes,
)
from tui_health.monitor.storage import StorageWatch
from tui_health.monitor.views import ComponentViews
from tui_health.monitor.windows import Windows
from tui_health.settings.target import Target
from tui_health.support.clock import Clock
from tui_health.support.disk import StorageHealth
from tui_health.support.lock import InstanceLock
from tui_health.support.memory import settle_memory
from tui_health.support.redact import scrub
from tui_health.support.timespec import duration_text

if TYPE_CHECKING:  # alert delivery is optional: --once without sinks never imports it
    from tui_health.alerts.dispatcher import Dispatcher
    from tui_health.alerts.outbox import Outbox
    from tui_health.alerts.subject import AlertTarget
    from tui_health.engine.maintenance import Window
    from tui_health.history.recorder import Recorder
    from tui_health.history.writer import HistoryWriter
    from tui_health.monitor.push import News, PushHub
    from tui_health.monitor.recording import Recording
    from tui_health.monitor.reload import Rebuild


class Observer(Protocol):
    """Something told of each poll and each batch of audited events (on the monitor's own thread)."""

    def polled(self, monitor: Monitor, snapshot: Snapshot) -> None: ...

    def recorded(self, monitor: Monitor, events: list[AuditEvent]) -> None: ...


RECENT_EVENTS = 300


class Monitor(MonitorFace):
    """One poll cycle: sources → snapshot → engine → audit + alerts → a new MonitorState in the store."""

    passive = False  # it polls and delivers: the console's live-only actions apply
    confirms_later = False  # a silence takes effect at once
    collector: str | None = None  # it is the monitor, not a console attached to one

    def __init__(
        self,
        poller: Poller,
        engine: ThresholdEngine,
        audit: AuditLog,
        store: StatePublisher,
        *,
        clock: Clock,
        interval: float,
        target: Target | None = None,
        dispatcher: Dispatcher | None = None,
        outbox: Outbox | None = None,
        absent_is_healthy: bool = False,
        min_gap: float = 0.0,
        saved: EngineStateStore | None = None,
        storage: StorageHealth | None = None,
        budget: RequestBudget | None = None,
        lock: InstanceLock | None = None,
        alert_target: AlertTarget | None = None,
        history: tuple[HistoryWriter, Recorder] | None = None,
        remember: bool = True,
        settle: bool = True,
        push: PushHub | None = None,
        maintenance: tuple[Window, ...] = (),
        requests_from: Path | None = None,
        rebuild: Rebuild | None = None,
    ) -> None:
        """Every collaborator is handed in here; nothing is patched in afterwards. ``history``: the writer and
        recorder every poll, event and alert goes to (``remember``: start from what it holds); ``settle``: run
        :func:`settle_memory` after the first answer (not worth it for a single poll); ``push``: Genesys'
        notification channel for the sources that take pushed changes (``None``: polling only);
        ``requests_from``: the state directory whose silence requests this monitor takes at every poll
        (``None``: none, as ``--once`` and read-only); ``rebuild``: what a reloaded config's settings of this
        target mean (``None``: it cannot be reloaded)."""
        self.poller = poller
        self.lock = lock
        """The state directory's lock: checked before each poll (StateDirectoryGone when it was deleted)."""
        self.engine = engine
        self.audit = audit
        self.store = store
        self.clock = clock
        self.interval = interval
        """Seconds between polls: the configured one, or longer when the request budget cannot afford it."""
        self.configured_interval = interval
        self.target = target
        self.target_key = target.key if target else "default"
        self.absent_is_healthy = absent_is_healthy
        self.min_gap = min_gap
        self.budget = budget
        self.alert_target = alert_target
        """What alerts say they are about; the API probe fills in the org's name."""
        self.settle = settle
        self.push = push
        self.rebuild = rebuild
        self.storage = storage or audit.storage
        self.keeping = StorageWatch(self.storage, audit, saved, clock)
        self.delivery = Delivery(dispatcher, outbox)
        self.windows = Windows(maintenance)
        self.requests = SilenceRequests(requests_from, self.target_key) if requests_from else None
        self.recording: Recording | None = None
        self.tracker = LatencyTracker()
        self.views = ComponentViews()
        self.components: dict[str, Component] = {}
        self.unmeasured: dict[str, Component] = {}
        self.recent: deque[AuditEvent] = deque(maxlen=RECENT_EVENTS)
        self.last_snapshot: Snapshot | None = None
        self.last_ok_at: datetime | None = None
        self.first_poll_at: datetime | None = None
        self.started_at: datetime | None = None
        """When :meth:`start` ran (health checks count from it until the first poll)."""
        self.paused = False
        self.observers: list[Observer] = []
        """Told of every poll and every audited event (the metrics exporter counts with them)."""
        self._low_headroom: set[str] = set()  # sources whose API said less than LOW_HEADROOM is left
        self._notes: dict[str, str] = {}  # source → the note last audited (said once)
        self._settled = False
        self._finished_at: float | None = None
        self._budget_waited = 0.0  # seconds the last poll waited for request-budget slots
        self._poll_lock = asyncio.Lock()  # polls and pushed observations never overlap
        self._push_working: bool | None = None  # None: never connected yet
        if saved is not None:
            restored = saved.load(self.target_key)
            if restored is not None:
                engine.restore(restored)
        if history is not None:
            from tui_health.monitor.recording import Recording

            self.recording = Recording(*history, clock=clock, store=store, settle=settle)
            if remember:
                self.recording.seed(self.tracker, region=self.region, interval=self.interval)

    # -- lifecycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        self.started_at = self.clock.now()
        message = (
            f"monitoring {self.region or 'Genesys Cloud'} every {duration_text(self.interval)}; "
            f"alert sinks: {self.delivery.sinks()}"
        )
        orphans = await self.delivery.orphans()
        if orphans:
            message += (
                f"; {orphans} alert(s) in the outbox are for sinks no longer configured and will not be sent "
                "(`tui-health outbox purge-orphaned` drops them)"
            )
        self.record([self._event(EventType.MONITOR_STARTED, message), *self.delivery.damaged(self.clock)])
        if self.dispatcher:
            self.dispatcher.start()
        if self.push is not None:
            self.push.start(self)

    async def close(
        self, delivery_wait: float = 0.0, *, own_only: bool = False, deliver_held: bool = False
    ) -> bool:
        """Stop: wait up to ``delivery_wait`` s for pending alerts (``own_only``: this run's) and leave the rest
        in the outbox. Alerts the outbox never took are delivered directly (``deliver_held``: ``--once``, within
        the same wait), else kept in a file beside the outbox, else named as lost — never counted as kept."""
        delivered = True
        notes: list[str] = []
        if self.push is not None:
            await self.push.stop()
        if self.requests is not None:
            self.requests.stop()
        if self.dispatcher:
            if delivery_wait > 0:
                delivered = await self.dispatcher.drain(delivery_wait, own_only=own_only)
            await self.dispatcher.stop()
            unsent = await self.dispatcher.close(deliver_held=delivery_wait if deliver_held else 0.0)
            events, notes = self.delivery.unsent(unsent, self.clock.now(), self.engine)
            self.record(events, publish=False)
            delivered = delivered and all(u.fate == "delivered" for u in unsent)
        if self.delivery.pending:
            notes.insert(0, f"{self.delivery.pending} alert(s) left in the outbox for the next start")
        note = "".join(f"; {n}" for n in notes)
        self.record(
            [self._event(EventType.MONITOR_STOPPED, f"stopped after {self.tracker.polls} poll(s){note}")]
        )
        self._persist()
        await self._close_history()
        return delivered

    async def _close_history(self) -> None:
        """Close the history off the loop; what it could not write is said in the audit log, never dropped."""
        recording, self.recording = self.recording, None
        if recording is None:
            return
        unwritten, why = await recording.close()
        if unwritten:
            event = self._event(
                EventType.STORAGE_FAILED,
                f"{unwritten} history record(s) were not written at stop ({why}); the audit log has the events",
            )
            self.audit.write(
                [replace(event, severity=Severity.CRITICAL, status="failed", source="history store")]
            )

    async def run(
        self, stop: asyncio.Event, *, max_polls: int | None = None, duration: float | None = None
    ) -> None:
        """Poll until ``stop`` is set, ``max_polls`` polls, or ``duration`` seconds (:func:`loop.run`)."""
        await loop.run(self, stop, max_polls=max_polls, duration=duration)

    async def poll_unless(self, stop: asyncio.Event, *, timeout: float | None = None) -> MonitorState | None:
        """One poll, cancelled if ``stop`` is set meanwhile or ``timeout`` seconds pass; ``None`` when it was."""
        return await loop.poll_unless(self, stop, timeout=timeout)

    # -- one cycle ------------------------------------------------------------------------------------
    async def poll(self) -> MonitorState:
        """One poll. It starts no sooner than ``min_gap`` seconds after the previous one finished. Raises
        StateDirectoryGone when the state directory this process locked was deleted or replaced."""
        if self.lock is not None:
            self.lock.check()
        if self._finished_at is not None:
            gap = self.min_gap - (time.monotonic() - self._finished_at)
            if gap > 0:
                await asyncio.sleep(gap)
        async with self._poll_lock:
            try:
                return await self._poll()
            finally:
                self._finished_at = time.monotonic()

    # -- pushed changes (monitor/push.py's Observer) ------------------------------------------------------
    async def observe_pushed(self, news: News) -> None:
        """Observe what the notification channel brought, between polls (never during one)."""
        async with self._poll_lock:
            assert self.push is not None
            news = self.push.still_news(news)
            if news and not self.paused:
                await self._poll(news)

    def push_said(self, kind: str, message: str, ok: bool) -> None:
        if ok:
            if self._push_working is not True:
                event = self._event(EventType.PUSH_CONNECTED, message)
                self.record([replace(event, source="notifications")])
            self._push_working = True
            return
        self._push_working = False
        event = self._event(EventType.PUSH_FAILED, f"{message}; polling goes on, a poll catches up")
        self.record([replace(event, severity=Severity.WARNING, status=kind, source="notifications")])

    def pending_due(self, sources: set[str]) -> tuple[float, set[str]] | None:
        """Seconds until the earliest pending change of ``sources`` may be confirmed (its ``flap_interval`` is
        up), and the sources with pending changes."""
        pending = [
            t for t in self.engine.components.values() if t.pending_mono is not None and t.source in sources
        ]
        if not pending:
            return None
        flap = self.engine.config.flap_interval
        earliest = min(t.pending_mono for t in pending if t.pending_mono is not None)
        return earliest + flap - self.clock.monotonic(), {t.source for t in pending if t.source}

    def reconfigure(self, settings: Any) -> None:
        """Take this target's settings from a reloaded config, keeping the engine's state, history and outbox.
        Everything is built first: a failure (raised) changes nothing."""
        from tui_health.monitor.reload import reconfigure

        reconfigure(self, settings)

    def config_rejected(self, line: str) -> None:
        event = self._event(EventType.CONFIG_REJECTED, line)
        self.record([replace(event, severity=Severity.WARNING)])

    async def _poll(self, news: News | None = None) -> MonitorState:
        """One cycle, as a pipeline: ask → take the answers → decide → audit → alert → publish → remember.
        Between the steps a key pressed meanwhile goes first (each step is a few ms at 10,000 components).

        ``news``: an observation of what the notification channel brought, not a poll: the engine sees just
        those sources' components (the others keep their state), and the poll count, latency and pacing are not
        touched."""
        snapshot = await self._ask(news)
        answered = self._take(snapshot)
        await self._take_requests()
        self._hold_maintenance()
        await asyncio.sleep(0)
        outcome = self.engine.observe(snapshot, absent_is_healthy=self.absent_is_healthy)
        await asyncio.sleep(0)
        changes = self._audit(snapshot, outcome, paced=news is None)
        self._alert(outcome, changes)
        whole = self.last_snapshot or snapshot
        problems = sum(1 for c in whole.components if c.status in PROBLEMS)
        if news is None:
            self.tracker.record(snapshot, self.clock.monotonic(), problems)
        await asyncio.sleep(0)
        state = self.build_state()
        # shown first, then kept: the saved engine state and the history follow before the poll returns, but
        # the person does not wait for them (at 100,000 components they are a second of work)
        self._publish(snapshot, state)
        await asyncio.sleep(0)
        self._persist()
        if self.recording is not None:
            changed = any(e.event_type == EventType.COMPONENT_HEALTH_CHANGE for e in changes)
            self.recording.poll(whole, state, changed=changed, problems=problems, storage=self.storage)
        if self.push is not None:  # the sources a poll asked: their answers supersede older pushed ones
            self.push.polled(set(news.ask) if news is not None else {s.name for s in snapshot.sources})
        if answered and self.settle and not self._settled:
            settle_memory()
            self._settled = True
        return state

    async def _ask(self, news: News | None = None) -> Snapshot:
        """Every source at once (their answers shown as they arrive), and what the request budget cost; with
        ``news``, the sources it names — pushed answers as they are, the last answers of those observed again,
        a poll of those it asks for — merged into the last poll's snapshot (the header speaks of every source)."""
        if news is not None and self.last_snapshot is not None:
            snapshot = await self._news(news, self.last_snapshot)
            self.last_snapshot = merged_into(self.last_snapshot, snapshot)
            return snapshot
        waited_before = self.budget.waited if self.budget else 0.0
        snapshot = await self.poller.poll(self._interim)
        self._budget_waited = (self.budget.waited - waited_before) if self.budget else 0.0
        self.last_snapshot = snapshot
        if self.first_poll_at is None:
            self.first_poll_at = snapshot.taken_at
        return snapshot

    async def _news(self, news: News, last: Snapshot) -> Snapshot:
        """The snapshot of an observation of ``news`` (``last``: the snapshot it is merged into)."""
        results = {name: answer for name, (_, answer) in news.answers.items() if name not in news.ask}
        known = {s.name: s for s in last.sources}
        results |= {name: known[name] for name in news.again if name in known and name not in results}
        taken_at = self.clock.now()
        if news.ask:
            polled = await self.poller.poll(only=frozenset(news.ask))
            results |= {s.name: s for s in polled.sources}
            taken_at = polled.taken_at
        answers = list(results.values())
        return Snapshot(str(uuid.uuid4()), taken_at, merge(answers), tuple(answers), 0.0)

    def _take(self, snapshot: Snapshot) -> bool:
        """The components of the sources that answered replace theirs; a failed source's stay (stale), and what
        it could name but not measure shows as unknown, with why. Whether any source answered."""
        answered = {s.name for s in snapshot.sources if s.ok}
        if answered:  # an answer shown while others were busy (_interim) may be later than the poll's start
            self.last_ok_at = max(self.last_ok_at or snapshot.taken_at, snapshot.taken_at)
            self.components = {cid: c for cid, c in self.components.items() if c.source not in answered}
            self.components.update((c.id, c) for c in snapshot.components)
        self.unmeasured = {c.id: c for s in snapshot.sources if not s.ok for c in s.unmeasured}
        self.components.update(self.unmeasured)
        self._learn_org(snapshot)
        return bool(answered)

    def _audit(self, snapshot: Snapshot, outcome: Outcome, *, paced: bool = True) -> list[AuditEvent]:
        """Audit what the poll said and what the engine decided; the changes come back linked to their
        incident and keyed for receivers."""
        linked = with_notes(list(outcome.events), self.components)
        changes = [with_key(linked.get(e.id, e), self.components, self.target_key) for e in outcome.events]
        events = (
            snapshot_events(snapshot)
            + headroom_events(snapshot, self._low_headroom)
            + org_events(snapshot)
            + note_events(snapshot, self._notes)
            + (self._pace(snapshot) if paced else [])
            + changes
        )
        self.record(events, publish=False)
        return changes

    def _pace(self, snapshot: Snapshot) -> list[AuditEvent]:
        self.interval, said = pace(
            self.budget, snapshot, self.configured_interval, self.interval, self.clock.now()
        )
        return [said] if said else []

    def _alert(self, outcome: Outcome, changes: list[AuditEvent]) -> None:
        """Hand what must be told to the outbox; the alerts made go to the history."""
        made = self.delivery.enqueue(
            outcome.notify,
            changes,
            lambda e: with_key(e, self.components, self.target_key),
            lambda: firing(self.engine, self.components),
        )
        if self.recording is not None:
            self.recording.alerts(made)

    async def _take_requests(self) -> None:
        """Apply the silences asked for from the shell since the last poll (:mod:`silencing`)."""
        if self.requests is None:
            return
        names = {cid: c.name for cid, c in self.components.items()}
        names.update({cid: t.name for cid, t in self.engine.components.items() if cid not in names})
        events = await self.requests.take(self.engine, names, self.region, self.clock.now())
        if events:
            self.record(events, publish=False)

    def _hold_maintenance(self) -> None:
        """Which components are in a maintenance window now: the engine holds their new pages."""
        held, events = self.windows.hold(self.region, self.components, self.clock.now())
        self.engine.maintenance = held
        if events:
            self.record(events, publish=False)

    def _publish(self, snapshot: Snapshot, state: MonitorState) -> None:
        self.store.publish(state)
        for observer in self.observers:
            observer.polled(self, snapshot)

    def _learn_org(self, snapshot: Snapshot) -> None:
        """The org's name from the API probe's answer, for the alerts (before this poll's alerts are built)."""
        if self.alert_target is None:
            return
        for source in snapshot.sources:  # a source that knows the org's name says so (the API probe does)
            if source.ok and source.extras.org:
                self.alert_target.org = source.extras.org

    def record(self, events: list[AuditEvent], *, publish: bool = True) -> None:
        """Audit events (and remember them for the views). Delivery outcomes arrive here too; with no events,
        the state is published again (the outbox's counts changed)."""
        if events:
            events = [
                e if scrub(e.message) == e.message else replace(e, message=scrub(e.message)) for e in events
            ]
            self.audit.write(events)
            self.recent.extend(events)
            for observer in self.observers:
                observer.recorded(self, events)
            if self.recording is not None:
                self.recording.events(events)
        self._report_storage()
        if publish:
            self.store.publish(
                replace(
                    self.store.state,
                    events=tuple(self.recent),
                    outbox_pending=self.delivery.pending,
                    outbox_failed=self.delivery.failed,
                    alerts_held=self.delivery.held,
                    storage_problem=self.storage.problem,
                )
            )

    def _report_storage(self) -> None:
        """One ``storage_failed`` when writing starts failing, one ``storage_recovered`` when it works again."""
        for event in self.keeping.changes():
            self.audit.write([event])
            self.recent.append(event)

    def _persist(self) -> None:
        self.keeping.persist(self.engine, self.target_key)
        self._report_storage()

    def _event(self, kind: str, message: str) -> AuditEvent:
        return AuditEvent(timestamp=self.clock.now(), event_type=kind, message=message)
