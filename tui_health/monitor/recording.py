"""The monitor's memory: every poll, event and alert into the history store, and the Avail 24h figures from it.

The writing is done by the history writer's thread (a slow or locked store never holds the loop); the figures
are worked out on a thread too, at once after a confirmed change (a DOWN moves the column now, not minutes later),
every ``AVAILABILITY_BUSY`` seconds while something is not healthy (its figure falls as the outage goes on), else
every ``AVAILABILITY_EVERY`` seconds. What the writer could not write at stop is counted and said, never dropped
without a word.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui_health.model.domain import AuditEvent, Snapshot
from tui_health.model.latency import LatencyTracker
from tui_health.model.state import ConnectionState, MonitorState, StatePublisher
from tui_health.support.clock import Clock
from tui_health.support.disk import StorageHealth

if TYPE_CHECKING:
    from tui_health.history.recorder import Recorder
    from tui_health.history.writer import HistoryWriter
    from tui_health.model.component_history import ComponentTimeline

AVAILABILITY_EVERY = 300.0
"""Seconds between refreshes of the Avail 24h column while all is healthy (nothing moves it then)."""
AVAILABILITY_BUSY = 30.0
"""Seconds between refreshes while a component is down or degraded (its figure falls ~0.035 % per 30 s)."""
HISTORY_CLOSE_WAIT = 5.0
"""Seconds the stop waits for the history's thread to write what it still holds."""


class Recording:
    """A target's history writer and recorder, and the availability figures read back from the store."""

    def __init__(
        self, writer: HistoryWriter, recorder: Recorder, *, clock: Clock, store: StatePublisher, settle: bool
    ) -> None:
        self.writer = writer
        self.recorder = recorder
        self.clock = clock
        self.store = store
        self.settle = settle
        self.availability: dict[str, float | None] = {}
        """Each component's availability over the last 24 h (refreshed every few minutes)."""
        self._at: float | None = None  # monotonic time of the last refresh
        self._task: asyncio.Task[None] | None = None
        self._again = False  # a change came while a refresh was in flight

    def seed(self, tracker: LatencyTracker, *, region: str, interval: float) -> None:
        """Start from what the store holds: the latency series, and the components as the last poll saw them
        (published, shown stale until the first answer)."""
        from tui_health.history.reader import HistoryReader
        from tui_health.history.replay import state_of
        from tui_health.history.store import HistoryError

        try:
            reader = HistoryReader(self.writer.path)
        except HistoryError:
            return
        try:
            recent = reader.polls(limit=tracker.window)
            now_wall, now_mono = self.clock.now().timestamp(), self.clock.monotonic()
            for poll in recent:
                tracker.seed(
                    poll.duration_ms,
                    poll.ok and not poll.error,
                    now_mono - (now_wall - poll.at),
                    poll.problems,
                )
            if recent:  # the last recorded poll, as replay would show it (the polls read above, no more)
                last = state_of(
                    reader, recent, region=region, interval=interval, poll_count=0, first_at=recent[0].at
                )
                waiting = ConnectionState(
                    "starting", "waiting for the first poll; showing the last one recorded"
                )
                self.store.publish(replace(last, connection=waiting, latency=tracker.summary(now_mono)))
        except HistoryError:
            pass
        finally:
            reader.close()

    def timeline(self, cid: str) -> ComponentTimeline | None:
        """The component's timeline from the history (``None`` when it cannot be read)."""
        from tui_health.history.reader import HistoryReader
        from tui_health.history.store import HistoryError
        from tui_health.history.timeline import component_timeline

        try:
            reader = HistoryReader(self.writer.path)
            try:
                return component_timeline(reader, cid, self.clock.now().timestamp())
            finally:
                reader.close()
        except HistoryError:
            return None

    # -- what goes in ----------------------------------------------------------------------------------
    def poll(
        self, snapshot: Snapshot, state: MonitorState, *, changed: bool, problems: int, storage: StorageHealth
    ) -> None:
        """The poll into the history (its thread writes it), and the Avail 24h figures when they moved."""
        # ended: now, after the poll's events and alerts were made (replay shows them at this poll)
        self.writer.put(self.recorder.poll(snapshot, state, ended=self.clock.now()))
        self.health(storage)
        self.refresh(changed=changed, problems=problems > 0)

    def events(self, events: list[AuditEvent]) -> None:
        from tui_health.history.recorder import extras_of

        self.writer.put(extras_of(events))

    def alerts(self, made: list[tuple[Any, ...]]) -> None:
        """The alerts just made (key, sink, when, components, message)."""
        from tui_health.history.store import Extras

        if made:
            self.writer.put(Extras(alerts=[(k, s, at, json.dumps(list(c)), m) for k, s, at, c, m in made]))

    def health(self, storage: StorageHealth) -> None:
        if self.writer.problem:
            storage.failing("history store", self.writer.problem)
        else:
            storage.recovered("history store")

    async def close(self) -> tuple[int, str]:
        """Close the writer off the loop (it may wait on a locked store): how many records it could not write,
        and why."""
        unwritten = await asyncio.to_thread(self.writer.close, HISTORY_CLOSE_WAIT)
        return unwritten, self.writer.problem or "the store did not take them in time"

    # -- the Avail 24h figures ---------------------------------------------------------------------------
    def refresh(self, *, changed: bool = False, problems: bool = False) -> None:
        """Work the figures out again on a thread when they are due."""
        if not self.settle:
            return
        now = self.clock.monotonic()
        every = AVAILABILITY_BUSY if problems else AVAILABILITY_EVERY
        if not (changed or self._at is None or now - self._at >= every):
            return
        if self._task is not None and not self._task.done():
            self._again = True  # the one in flight may predate this change: once more after it
            return
        self._at = now
        self._task = asyncio.ensure_future(self._refresh())

    async def settled(self) -> None:
        """Wait for a refresh in flight (tests and screenshots show the column filled)."""
        if self._task is not None:
            await self._task

    async def _refresh(self) -> None:
        writer = self.writer
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
        if self._again:
            self._again = False
            self._at = None
            self.refresh(changed=True)
