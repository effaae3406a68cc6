"""The monitor's own storage, watched: a store that fails or stops answering is said once, and once again when it
works; the engine's state is handed to its thread only when it changed.

Polling goes on beside every storage problem: what could not be written waits in memory and is written when the
store answers again (``storage_failed`` / ``storage_recovered``, critical while it lasts).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tui_health.model.domain import AuditEvent, EventType, Severity
from tui_health.support.clock import Clock
from tui_health.support.disk import StorageHealth
from tui_health.support.timespec import duration_text

if TYPE_CHECKING:
    from tui_health.engine import ThresholdEngine
    from tui_health.monitor.audit import AuditLog
    from tui_health.monitor.engine_state import EngineStateStore

STUCK_AFTER = 10.0
"""Seconds one write may take before the store is reported as stuck."""


class StorageWatch:
    """The audit log's and the saved state's health, and the engine's state saved when it changed."""

    def __init__(
        self, storage: StorageHealth, audit: AuditLog, saved: EngineStateStore | None, clock: Clock
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.saved = saved
        """Where the engine's state is restored from and saved to; ``None`` (``--once``, read-only): nowhere."""
        self.clock = clock
        self._saved_revision = 0  # the engine revision last saved (0: as restored, or nothing yet)
        self._save_failed = False

    def changes(self) -> list[AuditEvent]:
        """One ``storage_failed`` when writing starts failing, one ``storage_recovered`` when it works again."""
        self._check_stuck()
        events = []
        for what, problem in self.storage.changes():
            if problem:
                message = f"{problem}; monitoring goes on, kept in memory until it works"
                event = AuditEvent(
                    timestamp=self.clock.now(), event_type=EventType.STORAGE_FAILED, message=message
                )
                events.append(replace(event, severity=Severity.CRITICAL, status="failed", source=what))
            else:
                message = f"the {what} can be written again"
                event = AuditEvent(
                    timestamp=self.clock.now(), event_type=EventType.STORAGE_RECOVERED, message=message
                )
                events.append(replace(event, source=what))
        return events

    def _check_stuck(self) -> None:
        """A store whose thread has been inside one write for ``STUCK_AFTER`` seconds is reported as stuck (a
        frozen disk, a lock held elsewhere) while it lasts; polling goes on beside it."""
        busy = {"audit log": self.audit.busy_for()}
        if self.saved is not None:
            busy["saved state"] = self.saved.busy_for()
        for what, seconds in busy.items():
            if seconds >= STUCK_AFTER:
                self.storage.failing(
                    what, f"the {what} has not answered for {duration_text(round(seconds))} (a frozen disk?)"
                )
            elif self.storage.problems.get(what, "").startswith(f"the {what} has not answered"):
                self.storage.recovered(what)

    def persist(self, engine: ThresholdEngine, target_key: str) -> None:
        """Hand the engine's state to the saved state's thread when it changed (or the last save failed)."""
        if self.saved is None:
            return
        if engine.revision != self._saved_revision or self._save_failed:
            self._saved_revision, self._save_failed = engine.revision, False
            self.saved.save_soon(target_key, engine.export(), self.clock.now().timestamp(), self._saved)

    def _saved(self, error: BaseException | None) -> None:
        """On the saved state's thread: how the last save went (reported on the next poll)."""
        if error is None:
            self.storage.recovered("saved state")
        else:
            self._save_failed = True
            self.storage.failed("saved state", error)
