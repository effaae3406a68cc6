"""The Monitor owns the poll cycle: every source at once → Snapshot → engine → audit + alerts → state."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import sqlite3
import time
import uuid
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.engine import Outcome, ThresholdEngine
from tui_health.engine.maintenance import in_maintenance
from tui_health.genesys.ratelimit import RequestBudget
from tui_health.model.domain import (
    PROBLEMS,
    AuditEvent,
    Component,
    EventType,
    Severity,
    Snapshot,
    SourceResult,
)
from tui_health.model.latency import LatencyTracker
from tui_health.model.state import (
    BudgetView,
    ConnectionState,
    MonitorState,
    SourceOutcome,
    StatePublisher,
    connection_verdict,
)
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.engine_state import EngineStateStore
from tui_health.monitor.mirrors import fold_mirrors
from tui_health.monitor.poller import Poller, merge, merged_into
from tui_health.monitor.snapshot_events import (
    headroom_events,
    note_events,
    org_events,
    snapshot_events,
    with_key,
    with_notes,
)
from tui_health.monitor.views import ComponentViews
from tui_health.report.status import Report, report_of
from tui_health.settings.target import Target
from tui_health.sources.base import is_pushed
from tui_health.support.clock import Clock
from tui_health.support.disk import StorageHealth, StorageStuck
from tui_health.support.errors import ConfigError
from tui_health.support.lock import InstanceLock
from tui_health.support.redact import scrub
from tui_health.support.text import clean

if TYPE_CHECKING:  # alert delivery is optional: --once without sinks never imports it
    from tui_health.alerts.dispatcher import Dispatcher, Unsent
    from tui_health.alerts.outbox import Outbox
    from tui_health.alerts.sinks import AlertTarget, Firing
    from tui_health.engine.maintenance import Window
    from tui_health.history.recorder import Recorder
    from tui_health.history.writer import HistoryWriter
    from tui_health.model.component_history import ComponentTimeline
    from tui_health.monitor.push import News, PushHub
    from tui_health.monitor.reload import Rebuild


class Observer(Protocol):
    """Something told of each poll and each batch of audited events (on the monitor's own thread)."""

    def polled(self, monitor: Monitor, snapshot: Snapshot) -> None: ...

    def recorded(self, monitor: Monitor, events: list[AuditEvent]) -> None: ...


RECENT_EVENTS = 300
REQUESTS_WAIT = 1.0
"""Seconds a poll waits for the silence requests to be read from the state directory (the rest: next poll)."""


STUCK_AFTER = 10.0
"""Seconds one write may take before the store is reported as stuck."""
AVAILABILITY_EVERY = 300.0
"""Seconds between refreshes of the Avail 24h column while all is healthy (nothing moves it then)."""
AVAILABILITY_BUSY = 30.0
"""Seconds between refreshes while a component is down or degraded (its figure falls ~0.035 % per 30 s)."""
HISTORY_CLOSE_WAIT = 5.0
"""Seconds a stop waits for the history to write what is queued, and again once its statement is interrupted."""


class Monitor:
    """One poll cycle: sources → snapshot → engine → audit + alerts → a new MonitorState in the store."""

    passive = False  # it polls and delivers: the console's live-only actions apply
    confirms_later = False  # a silence takes effect at once

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
        :func:`settle_memory` after the first answer (not worth it for a single poll)."""
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
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.saved = saved
        """Where the engine's state is restored from and saved to; ``None`` (``--once``, read-only): nowhere."""
        self.absent_is_healthy = absent_is_healthy
        self.tracker = LatencyTracker()
        self.components: dict[str, Component] = {}
        self.recent: deque[AuditEvent] = deque(maxlen=RECENT_EVENTS)
        self.last_snapshot: Snapshot | None = None
        self.last_ok_at: datetime | None = None
        self.first_poll_at: datetime | None = None
        self.paused = False
        self.min_gap = min_gap
        self.unmeasured: dict[str, Component] = {}
        self.views = ComponentViews()
        self._low_headroom: set[str] = set()  # sources whose API said less than LOW_HEADROOM is left
        self.alert_target = alert_target
        """What alerts say they are about; the API probe fills in the org's name."""
        self.settle = settle
        self._settled = False
        self._finished_at: float | None = None
        self._saved_revision = 0  # the engine revision last saved (0: as restored, or nothing yet)
        self._save_failed = False
        self.target_key = target.key if target else "default"
        self.storage = storage or audit.storage
        self.budget = budget
        self._budget_waited = 0.0  # seconds the last poll waited for request-budget slots
        self.lost: list[str] = []
        """What became of alerts the outbox never took, one line each (``--once`` prints them)."""
        self.history: HistoryWriter | None = None
        self._recorder: Recorder | None = None
        self.started_at: datetime | None = None
        """When :meth:`start` ran (health checks count from it until the first poll)."""
        self.observers: list[Observer] = []
        """Told of every poll and every audited event (the metrics exporter counts with them)."""
        self.availability: dict[str, float | None] = {}
        """Each component's availability over the last 24 h, from the history (refreshed every few minutes)."""
        self._availability_at: float | None = None  # monotonic time of the last refresh
        self._availability_task: asyncio.Task[None] | None = None
        self._availability_again = False  # a change came while a refresh was in flight
        self.push = push
        self.maintenance = maintenance
        """Planned maintenance windows (``[[maintenance]]``); a reload replaces them."""
        self._windows_open: set[str] = set()
        self.requests_from = requests_from
        self._requests_job: asyncio.Future[list[Any]] | None = (
            None  # silence requests being read off the loop
        )
        self.rebuild = rebuild
        """Makes what a reloaded config's settings of this target mean (``None``: it cannot be reloaded)."""
        """The state directory whose silence requests (``tui-health silence`` without ``--attach``) this monitor
        takes at every poll; ``None``: it takes none (``--once``, read-only)."""
        """Genesys' notification channel for the sources that take pushed changes (``None``: polling only)."""
        self._poll_lock = asyncio.Lock()  # polls and pushed observations never overlap
        self._push_working: bool | None = None  # None: never connected yet
        self._notes: dict[str, str] = {}  # source → the note last audited (said once)
        if saved is not None:
            restored = saved.load(self.target_key)
            if restored is not None:
                engine.restore(restored)
        if history is not None:
            self._keep_history(*history, remember=remember)

    def _keep_history(self, writer: HistoryWriter, recorder: Recorder, *, remember: bool = True) -> None:
        """Record every poll, event and alert into ``writer`` (its thread does the writing); ``remember``: start
        from what it holds, the latency series and the components as the last poll saw them (shown stale until
        the first answer)."""
        self.history = writer
        self._recorder = recorder
        if not remember:
            return
        from tui_health.history.reader import HistoryReader
        from tui_health.history.replay import state_of
        from tui_health.history.store import HistoryError

        try:
            reader = HistoryReader(writer.path)
        except HistoryError:
            return
        try:
            recent = reader.polls(limit=self.tracker.window)
            now_wall, now_mono = self.clock.now().timestamp(), self.clock.monotonic()
            for poll in recent:
                self.tracker.seed(
                    poll.duration_ms,
                    poll.ok and not poll.error,
                    now_mono - (now_wall - poll.at),
                    poll.problems,
                )
            if recent:  # the last recorded poll, as replay would show it (the polls read above, no more)
                last = state_of(
                    reader,
                    recent,
                    region=self.region,
                    interval=self.interval,
                    poll_count=0,
                    first_at=recent[0].at,
                )
                self.store.publish(
                    replace(
                        last,
                        connection=ConnectionState(
                            "starting", "waiting for the first poll; showing the last one recorded"
                        ),
                        latency=self.tracker.summary(now_mono),
                    )
                )
        except HistoryError:
            pass
        finally:
            reader.close()

    def timeline(self, cid: str) -> ComponentTimeline | None:
        """The component's timeline from the history (``None`` without one)."""
        if self.history is None:
            return None
        from tui_health.history.reader import HistoryReader
        from tui_health.history.store import HistoryError
        from tui_health.history.timeline import component_timeline

        try:
            reader = HistoryReader(self.history.path)
            try:
                return component_timeline(reader, cid, self.clock.now().timestamp())
            finally:
                reader.close()
        except HistoryError:
            return None

    def _maybe_refresh_availability(self, *, changed: bool = False, problems: bool = False) -> None:
        """Work out the 24 h availability again, on a thread: at once after a confirmed change (a DOWN moves
        the column now, not minutes later), every AVAILABILITY_BUSY seconds while something is not healthy
        (its figure falls as the outage goes on), else every AVAILABILITY_EVERY seconds."""
        if self.history is None or not self.settle:
            return
        now = self.clock.monotonic()
        every = AVAILABILITY_BUSY if problems else AVAILABILITY_EVERY
        due = changed or self._availability_at is None or now - self._availability_at >= every
        if not due:
            return
        if self._availability_task is not None and not self._availability_task.done():
            self._availability_again = True  # the one in flight may predate this change: once more after it
            return
        self._availability_at = now
        self._availability_task = asyncio.ensure_future(self._refresh_availability())

    async def availability_settled(self) -> None:
        """Wait for an availability refresh in flight (tests and screenshots show the column filled)."""
        if self._availability_task is not None:
            await self._availability_task

    async def _refresh_availability(self) -> None:
        assert self.history is not None
        writer = self.history
        until = self.clock.now().timestamp()

        def compute() -> dict[str, float | None]:
            from tui_health.history.reader import HistoryReader

            writer.flush()
            reader = HistoryReader(writer.path)
            try:
                return reader.availability(until - 86400, until)
            finally:
                reader.close()

        try:
            self.availability = await asyncio.to_thread(compute)
        except Exception:
            return
        self.store.publish(replace(self.store.state, availability=self.availability))
        if self._availability_again:
            self._availability_again = False
            self._availability_at = None
            self._maybe_refresh_availability(changed=True)

    @property
    def region(self) -> str:
        """The target's name, as the header shows it."""
        return self.target.name if self.target else ""

    # -- lifecycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        self.started_at = self.clock.now()
        sinks = ", ".join(self.dispatcher.sinks) if self.dispatcher and self.dispatcher.sinks else "none"
        message = (
            f"monitoring {self.region or 'Genesys Cloud'} every {self.interval:g} s; alert sinks: {sinks}"
        )
        orphans = await self._orphans()
        if orphans:
            message += (
                f"; {orphans} alert(s) in the outbox are for sinks no longer configured and will not be sent "
                "(`tui-health outbox purge-orphaned` drops them)"
            )
        events = [self._event(EventType.MONITOR_STARTED, message)]
        if self.outbox is not None and self.outbox.moved_aside is not None:  # found damaged at open
            from tui_health.alerts.dispatcher import damaged_event

            problem = sqlite3.DatabaseError("it failed its integrity check")
            events.append(damaged_event(self.clock, self.outbox.path, self.outbox.moved_aside, problem))
        self.record(events)
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
        notes = []
        if self.push is not None:
            await self.push.stop()
        if self._requests_job is not None:
            self._requests_job.cancel()  # unread requests stay in the state directory for the next start
        if self.dispatcher:
            if delivery_wait > 0:
                delivered = await self.dispatcher.drain(delivery_wait, own_only=own_only)
            await self.dispatcher.stop()
            unsent = await self.dispatcher.close(deliver_held=delivery_wait if deliver_held else 0.0)
            notes += self._unsent(unsent)
            delivered = delivered and all(u.fate == "delivered" for u in unsent)
        pending = self._pending()
        if pending:
            notes.insert(0, f"{pending} alert(s) left in the outbox for the next start")
        note = "".join(f"; {n}" for n in notes)
        self.record(
            [self._event(EventType.MONITOR_STOPPED, f"stopped after {self.tracker.polls} poll(s){note}")]
        )
        self._persist()
        await self._close_history()
        return delivered

    def _unsent(self, unsent: list[Unsent]) -> list[str]:
        """Audit what became of the alerts the outbox never took; a lost one is critical, and its components'
        alert state is rolled back so that the next start sends it again. Returns notes for the stop event."""
        if not unsent:
            return []
        events = []
        for item in unsent:
            kind = EventType.ALERT_LOST if item.fate == "lost" else EventType.STORAGE_FAILED
            if item.fate == "delivered":
                continue
            events.append(
                replace(
                    self._event(kind, f"alert to {item.held.sink} {item.detail}: {item.held.summary}"),
                    severity=Severity.CRITICAL,
                    status=item.fate,
                    source="alert outbox",
                    sink=item.held.sink,
                    correlation_id=item.held.key,
                )
            )
            if item.fate == "lost":
                self.engine.unalert(item.held.components)
        self.record(events, publish=False)
        self.lost = [e.message for e in events]
        self.lost += [f"alert to {u.held.sink} {u.detail}" for u in unsent if u.fate == "delivered"]
        counts = {fate: sum(1 for u in unsent if u.fate == fate) for fate in ("delivered", "kept", "lost")}
        words = {
            "delivered": "delivered directly (the outbox could not store them)",
            "kept": "kept in a file for the next start",
            "lost": "LOST (nothing could store them)",
        }
        return [f"{n} alert(s) {words[fate]}" for fate, n in counts.items() if n]

    async def _close_history(self) -> None:
        """Close the history writer off the loop (it may wait on a locked store); what it could not write is
        said in the audit log, never dropped without a word."""
        writer, self.history = self.history, None
        if writer is None:
            return
        unwritten = await asyncio.to_thread(writer.close, HISTORY_CLOSE_WAIT)
        if unwritten:
            why = writer.problem or "the store did not take them in time"
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
        """Poll until ``stop`` is set, ``max_polls`` polls, or ``duration`` seconds; polls never overlap.

        Setting ``stop`` cancels a poll in flight, and so does the end of ``duration`` (a poll waiting on the
        request budget or a slow server never keeps a timed run going): stopping never waits for a server.
        """
        ends = None if duration is None else time.monotonic() + duration
        polls = 0
        while not stop.is_set():
            if not self.paused:
                left = None if ends is None else ends - time.monotonic()
                if await self.poll_unless(stop, timeout=left) is None:
                    return
                polls += 1
            if max_polls is not None and polls >= max_polls:
                return
            wait = self.interval if ends is None else min(self.interval, ends - time.monotonic())
            if wait <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            if ends is not None and time.monotonic() >= ends:
                return

    async def poll_unless(self, stop: asyncio.Event, *, timeout: float | None = None) -> MonitorState | None:
        """One poll, cancelled if ``stop`` is set meanwhile or ``timeout`` seconds pass; ``None`` when it was."""
        if timeout is not None and timeout <= 0:
            return None
        poll = asyncio.ensure_future(self.poll())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if poll.done():
            return poll.result()
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
        return None

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
        if self.rebuild is None:
            raise ConfigError("this monitor cannot be reloaded")
        new = self.rebuild(settings)  # may raise: nothing swapped yet
        changes = list(new.notes)
        if new.engine != self.engine.config:
            self.engine.config = new.engine
            changes.append("thresholds")
        if new.windows != self.maintenance:
            self.maintenance = new.windows
            changes.append(f"{len(new.windows)} maintenance window(s)")
        if new.interval != self.configured_interval:
            changes.append(f"interval {self.configured_interval:g} s → {new.interval:g} s")
            self.configured_interval = self.interval = new.interval
        self.poller.deadline = new.deadline
        if self.dispatcher is not None:
            changes += self.dispatcher.replace_sinks(new.sinks or [])
        elif new.sinks and new.start_delivery is not None:
            self.dispatcher = new.start_delivery(new.sinks)  # the first sink: delivery starts now
            self.dispatcher.start()
            changes += [f"sink {sink.name} added" for sink in new.sinks]
        elif new.sinks:
            changes.append("alert sinks are configured, but alerts are off (alerts.enabled): nothing is sent")
        self.poller.sources = new.sources
        if self.push is not None:
            self.push.replace_sources([s for s in new.sources if is_pushed(s)])  # type: ignore[misc]
        message = "config reloaded" + (
            f": {'; '.join(changes)}" if changes else " (sources rebuilt, nothing else changed)"
        )
        self.record([self._event(EventType.CONFIG_RELOADED, message)])

    def config_rejected(self, line: str) -> None:
        event = self._event(EventType.CONFIG_REJECTED, line)
        self.record([replace(event, severity=Severity.WARNING)])

    async def _take_requests(self) -> None:
        """Apply the silences asked for from the shell since the last poll, oldest first, each audited with who
        asked and why; a request for a component this target does not have is said, not lost silently. The
        files are read on a thread: a slow disk never holds the loop, and what it has not read yet is taken at a
        later poll (the read keeps going meanwhile; nothing is read twice or lost)."""
        if self.requests_from is None:
            return
        if self._requests_job is None:
            from tui_health.monitor import requests

            self._requests_job = asyncio.ensure_future(
                asyncio.to_thread(requests.take, self.requests_from, self.target_key)
            )
        job = self._requests_job
        done, _ = await asyncio.wait({job}, timeout=REQUESTS_WAIT)
        if not done:
            return
        self._requests_job = None
        taken = job.result()
        if not taken:
            return
        names = {cid: c.name for cid, c in self.components.items()}
        names.update({cid: t.name for cid, t in self.engine.components.items() if cid not in names})
        for request in taken:
            if isinstance(request, str):
                event = self._event(EventType.SILENCE_REFUSED, f"a silence request was dropped: {request}")
                self.record([replace(event, severity=Severity.WARNING)], publish=False)
                continue
            chosen = [cid for cid, name in names.items() if request.matches(cid, name)]
            if request.op == "rm":
                chosen = [cid for cid in chosen if cid in self.engine.silences]
            if not chosen:
                what = request.component or f"matching {request.match}"
                event = self._event(
                    EventType.SILENCE_REFUSED,
                    f"silence request by {request.by} ({request.op}) found no component {what} in {self.region}",
                )
                self.record([replace(event, severity=Severity.WARNING)], publish=False)
                continue
            now = self.clock.now()
            for cid in chosen[:1000]:
                if request.op == "rm":
                    ended = self.engine.unsilence(cid, reason=f"lifted by {request.by} (tui-health silence)")
                    if ended:
                        self.record([ended], publish=False)
                elif request.until() > now:
                    who = f"{request.by} (tui-health silence)"
                    self.record(
                        [self.engine.silence(cid, request.until(), by=who, reason=request.reason)],
                        publish=False,
                    )

    def _hold_maintenance(self) -> None:
        """Which components are in a maintenance window now (the engine holds their alerts), and a
        ``maintenance_started`` / ``maintenance_ended`` for each window of this target that opened or closed."""
        if not self.maintenance and not self._windows_open:
            return
        now = self.clock.now()
        mine = [w for w in self.maintenance if not w.targets or self.region in w.targets]
        open_now = {w.name: w.current(now) for w in mine}
        opened = {name for name, span in open_now.items() if span is not None}
        self.engine.maintenance = in_maintenance(mine, self.region, self.components, now)
        events = []
        for name in sorted(opened - self._windows_open):
            span = open_now[name]
            assert span is not None
            count = sum(1 for held in self.engine.maintenance.values() if held == name)
            events.append(
                self._event(
                    EventType.MAINTENANCE_STARTED,
                    f"maintenance window {name} started (until {span[1].isoformat()}): {count} component(s) "
                    "are watched and kept in the history, but page nobody",
                )
            )
        for name in sorted(self._windows_open - opened):
            events.append(
                self._event(
                    EventType.MAINTENANCE_ENDED,
                    f"maintenance window {name} ended: its components page again (a state that changed during "
                    "it is told now)",
                )
            )
        self._windows_open = opened
        if events:
            self.record(events, publish=False)

    def _pace(self, snapshot: Snapshot) -> list[AuditEvent]:
        """Poll no more often than the request budget affords: at 10,000 components one poll is ~101 requests,
        and a 200/min budget allows one every ~31 s, not every 15. Once the next poll would have to wait for
        slots, the interval follows the last poll's request count (never below the configured one); a change is
        said once, as ``rate_limit_low``, so the countdown and STALE agree with what the budget allows instead
        of every poll waiting inside. Cheap polls that fit the budget keep the configured interval."""
        if self.budget is None or not snapshot.ok:
            return []
        requests = len(snapshot.timings)
        binds = requests and self.budget.used() + requests > self.budget.limit  # the next poll would wait
        affordable = math.ceil(requests * self.budget.window / self.budget.limit) if binds else 0
        paced = float(max(self.configured_interval, affordable))
        if paced == self.interval:
            return []
        before, self.interval = self.interval, paced
        if paced > self.configured_interval:
            message = (
                f"a poll takes {requests} requests; the request budget ({self.budget.limit}/min) affords one every "
                f"{paced:g} s: polling every {paced:g} s instead of {self.configured_interval:g} s "
                "(a larger poll.page_size or a narrower --status/--ids makes a poll cheaper)"
            )
        else:
            message = f"polls are cheap again: back to every {paced:g} s (was {before:g} s)"
        event = self._event(EventType.RATE_LIMIT_LOW, message)
        return [
            replace(event, severity=Severity.WARNING if paced > self.configured_interval else Severity.INFO)
        ]

    async def _poll(self, news: News | None = None) -> MonitorState:
        """One cycle, as a pipeline: ask → take the answers → decide → audit → alert → publish → remember.
        Between the steps a key pressed meanwhile goes first (each step is a few ms at 10,000 components).

        ``news``: an observation of what the notification channel brought, not a poll: the engine sees just
        those sources' components (the others keep their state), and the poll count, latency and pacing are not
        touched."""
        only = news is not None
        snapshot = await self._ask(news)
        answered = self._take(snapshot)
        await self._take_requests()
        self._hold_maintenance()
        await asyncio.sleep(0)
        outcome = self.engine.observe(snapshot, absent_is_healthy=self.absent_is_healthy)
        await asyncio.sleep(0)
        changes = self._audit(snapshot, outcome, paced=not only)
        self._alert(outcome, changes)
        whole = self.last_snapshot or snapshot
        problems = sum(1 for c in whole.components if c.status in PROBLEMS)
        if not only:
            self.tracker.record(snapshot, self.clock.monotonic(), problems)
        await asyncio.sleep(0)
        state = self.build_state()
        # shown first, then kept: the saved engine state and the history follow before the poll returns, but
        # the person does not wait for them (at 100,000 components they are a second of work)
        self._publish(snapshot, state)
        await asyncio.sleep(0)
        self._persist()
        self._remember(whole, state, changes, problems)
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

    def _alert(self, outcome: Outcome, changes: list[AuditEvent]) -> None:
        """Hand what must be told to the outbox (it also stores what a full disk held back earlier)."""
        if not self.dispatcher:
            return
        final = {e.id: e for e in changes}
        self.dispatcher.enqueue(
            [final.get(e.id) or with_key(e, self.components, self.target_key) for e in outcome.notify]
        )
        self._history_alerts()
        self.dispatcher.refresh(self._firing)

    def _remember(
        self, snapshot: Snapshot, state: MonitorState, changes: list[AuditEvent], problems: int
    ) -> None:
        """The poll into the history (its thread writes it), and the Avail 24h figures when they moved."""
        if self.history is None or self._recorder is None:
            return
        self.history.put(self._recorder.poll(snapshot, state))
        self._history_health()
        changed = any(e.event_type == EventType.COMPONENT_HEALTH_CHANGE for e in changes)
        self._maybe_refresh_availability(changed=changed, problems=problems > 0)

    def _publish(self, snapshot: Snapshot, state: MonitorState) -> None:
        self.store.publish(state)
        for observer in self.observers:
            observer.polled(self, snapshot)

    def _learn_org(self, snapshot: Snapshot) -> None:
        """The org's name from the API probe's answer, for the alerts (before this poll's alerts are built)."""
        if self.alert_target is None:
            return
        for source in snapshot.sources:  # the probe's one component, not every component of the poll
            for component in source.components if source.name == "api-probe" else ():
                org = (component.details or {}).get("org")
                if isinstance(org, str) and org:
                    self.alert_target.org = org

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
            if self.history is not None:
                from tui_health.history.recorder import extras_of

                self.history.put(extras_of(events))
        self._report_storage()
        if publish:
            self.store.publish(
                replace(
                    self.store.state,
                    events=tuple(self.recent),
                    outbox_pending=self._pending(),
                    outbox_failed=self._failed(),
                    alerts_held=self._held(),
                    storage_problem=self.storage.problem,
                )
            )

    def _history_alerts(self) -> None:
        """The alerts just made, for the history (taken even without one, so the list stays empty)."""
        assert self.dispatcher is not None
        made, self.dispatcher.made = self.dispatcher.made, []
        if self.history is not None and made:
            from tui_health.history.store import Extras

            self.history.put(Extras(alerts=[(k, s, at, json.dumps(list(c)), m) for k, s, at, c, m in made]))

    def _history_health(self) -> None:
        assert self.history is not None
        if self.history.problem:
            self.storage.failing("history store", self.history.problem)
        else:
            self.storage.recovered("history store")

    def _check_stuck(self) -> None:
        """A store whose thread has been inside one write for STUCK_AFTER seconds is reported as stuck (a frozen
        disk, a lock held elsewhere) while it lasts; polling goes on beside it."""
        busy = {"audit log": self.audit.busy_for()}
        if self.saved is not None:
            busy["saved state"] = self.saved.busy_for()
        for what, seconds in busy.items():
            if seconds >= STUCK_AFTER:
                self.storage.failing(
                    what, f"the {what} has not answered for {seconds:.0f} s (a frozen disk?)"
                )
            elif self.storage.problems.get(what, "").startswith(f"the {what} has not answered"):
                self.storage.recovered(what)

    def _report_storage(self) -> None:
        """One ``storage_failed`` when writing starts failing, one ``storage_recovered`` when it works again."""
        self._check_stuck()
        for what, problem in self.storage.changes():
            if problem:
                event = self._event(
                    EventType.STORAGE_FAILED, f"{problem}; monitoring goes on, kept in memory until it works"
                )
                event = replace(event, severity=Severity.CRITICAL, status="failed", source=what)
            else:
                event = replace(
                    self._event(EventType.STORAGE_RECOVERED, f"the {what} can be written again"), source=what
                )
            self.audit.write([event])
            self.recent.append(event)

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
        if self.dispatcher is None:
            return []
        lines = [
            f"alert to {row.sink} not delivered ({row.last_error or 'no answer in time'}); "
            + (
                "refused for good, kept in the outbox"
                if row.state == "failed"
                else "kept in the outbox for the next run"
            )
            for row in await self.dispatcher.not_delivered()
        ]
        return lines + self.lost

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
            outbox_pending=self._pending(),
            outbox_failed=self._failed(),
            alerts_held=self._held(),
            storage_problem=self.storage.problem,
            silences=tuple(sorted(self.engine.silences.items())),
            silence_notes=dict(self.engine.silence_notes),
            availability=self.availability,
            budget=BudgetView(self.budget.used(), self.budget.limit, self._budget_waited)
            if self.budget
            else None,
        )

    def _pending(self) -> int:
        """Alerts waiting in the outbox for configured sinks, as the dispatcher last counted them (no disk access
        on the loop); alerts held in memory are not outbox rows and are counted apart (``alerts_held``)."""
        return self.dispatcher.pending if self.dispatcher else 0

    def _failed(self) -> int:
        return self.dispatcher.failed if self.dispatcher else 0

    def _held(self) -> int:
        return self.dispatcher.held if self.dispatcher else 0

    async def _orphans(self) -> int:
        if self.dispatcher is not None:
            return await self.dispatcher.orphans()
        if self.outbox is None:
            return 0
        try:
            return self.outbox.orphans([])  # no sink configured: nothing else touches the outbox
        except sqlite3.Error:
            return 0

    def _firing(self) -> list[Firing]:
        from tui_health.alerts.sinks import Firing

        firing = []
        for cid, status in self.engine.open_problems().items():
            st = self.engine.components[cid]
            name = self.components[cid].name if cid in self.components else cid
            firing.append(Firing(cid, name, str(status), st.since, cid in self.engine.config.rule.critical))
        if self.engine.breached and self.engine.breach_since:
            firing.append(Firing("threshold", "threshold", "breached", self.engine.breach_since))
        return firing

    def _persist(self) -> None:
        """Hand the engine's state to the saved state's thread when it changed (or the last save failed)."""
        if self.saved is None:
            return
        if self.engine.revision != self._saved_revision or self._save_failed:
            self._saved_revision, self._save_failed = self.engine.revision, False
            self.saved.save_soon(
                self.target_key, self.engine.export(), self.clock.now().timestamp(), self._saved
            )
        self._report_storage()

    def _saved(self, error: BaseException | None) -> None:
        """On the saved state's thread: how the last save went (reported on the next poll)."""
        if error is None:
            self.storage.recovered("saved state")
        else:
            self._save_failed = True
            self.storage.failed("saved state", error)

    def _event(self, kind: str, message: str) -> AuditEvent:
        return AuditEvent(timestamp=self.clock.now(), event_type=kind, message=message)


def local_user() -> str:
    """Who is at this terminal, for silences made here (``getpass`` reads the usual variables)."""
    import getpass

    try:
        return clean(getpass.getuser(), 100) or "someone"
    except (OSError, KeyError):
        return "someone"


def settle_memory() -> None:
    """Collect once, then take everything alive (the app, the first answer, the caches) out of the cyclic
    collector's scans: a full collection at 10,000 components walked every object and held the event loop for
    ~50 ms every few polls (keys waited behind it). Objects freed later are still freed by reference counting;
    only cyclic garbage among the frozen ones would be kept, and the first answer's data holds no cycles."""
    gc.collect()
    gc.freeze()


def connection_of(snapshot: Snapshot | None) -> ConnectionState:
    if snapshot is None:
        return connection_verdict(None)
    return connection_verdict(
        [SourceOutcome(s.name, s.ok, s.error_kind, s.error, s.retry_at) for s in snapshot.sources]
    )
