"""A monitor on a scripted timeline (FakeClock, no network) that records into a real history store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_health.engine import EngineConfig, ThresholdEngine
from tui_health.history.session import open_history
from tui_health.history.writer import HistoryWriter
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.state import StatePublisher
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.monitor import Monitor, Poller
from tui_health.settings.target import Target
from tui_health.support.clock import FakeClock


class ScriptedSource:
    """Answers with ``statuses`` as the test sets them; ``fail`` makes the next polls fail."""

    name = "health-api"

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}
        self.fail = False

    async def fetch(self, deadline: float | None) -> SourceResult:
        if self.fail:
            return SourceResult(self.name, False, error="HTTP 503", error_kind="api")
        comps = tuple(Component(id=c, name=c.title(), status=Status(s)) for c, s in self.statuses.items())
        return SourceResult(self.name, True, comps, timings=(RequestTiming("page 1", 40.0, 200),))


def scripted_monitor(
    directory: Path, clock: FakeClock, *, interval: float = 60.0, settle: bool = False, **options: Any
) -> tuple[Monitor, ScriptedSource, HistoryWriter]:
    """``options``: more of the Monitor's collaborators (``maintenance``, ``requests_from``, ...)."""
    source = ScriptedSource()
    engine = ThresholdEngine(EngineConfig(flap_interval=0), clock)
    writer, recorder = open_history(directory / "history.sqlite3", retention=90 * 86400, interval=interval)
    monitor = Monitor(
        Poller([source], deadline=60, clock=clock),
        engine,
        AuditLog(directory / "audit.jsonl"),
        StatePublisher(),
        clock=clock,
        interval=interval,
        target=Target("scripted", "scripted-key", ("health-api",)),
        history=(writer, recorder),
        settle=settle,
        **options,
    )
    return monitor, source, writer
