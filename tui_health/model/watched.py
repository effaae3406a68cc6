"""What the console watches, whatever it is: a live Monitor, or the recorded history in replay.

The console renders the states such a thing publishes and asks it for the rest (the clock, the audit tail, a
component's timeline, silences); :class:`tui_health.monitor.monitor.Monitor` and
:class:`tui_health.history.replay.ReplayMonitor` both fit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from tui_health.model.domain import AuditEvent
from tui_health.model.state import MonitorState, StatePublisher

if TYPE_CHECKING:
    from tui_health.model.component_history import ComponentTimeline


class Watched(Protocol):
    store: StatePublisher
    interval: float
    passive: bool
    """It does not poll or deliver itself (replay, a collector's state): pause, poll-now and requeue are hidden."""
    confirms_later: bool
    """Its silences are asked for, and confirmed or refused later by their owner (an attached console)."""

    @property
    def region(self) -> str: ...

    @property
    def collector(self) -> str | None:
        """The collector whose state it is (its URL, redacted), for a console attached to one; else ``None``."""

    def now(self) -> datetime: ...

    def audit_tail(self, count: int) -> list[AuditEvent]: ...

    def timeline(self, cid: str) -> ComponentTimeline | None: ...

    async def start(self) -> None: ...

    async def poll(self) -> MonitorState: ...

    def silence(self, cid: str, seconds: float, *, reason: str = "") -> None: ...

    def unsilence(self, cid: str) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    async def requeue_failed(self) -> int: ...


class Passive:
    """What something watched that does not poll itself (replay, a console attached to a collector) does for the
    console's live-only actions: nothing. Silencing stays for each to decide."""

    store: StatePublisher
    passive = True
    """The console hides pause, poll-now and requeue for it (they would do nothing)."""
    confirms_later = False
    """A silence is only asked for here; whoever owns the state confirms or refuses it (an attached console)."""
    collector: str | None = None

    async def poll(self) -> MonitorState:
        return self.store.state

    def pause(self) -> None:
        return None

    def resume(self) -> None:
        return None

    async def requeue_failed(self) -> int:
        return 0
