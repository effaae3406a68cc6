"""The console on a fixed scenario and clock, for the snapshot tests and scripts/screenshots.py: the same picture
every time. Test support, not part of the package."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from tui_health.history.reader import HistoryReader
from tui_health.history.replay import Replay, ReplayMonitor
from tui_health.history.session import open_history
from tui_health.model.domain import SourceResult
from tui_health.monitor.monitor import Monitor
from tui_health.simulator import Scenario, load_scenario
from tui_health.simulator.offline import offline_monitor
from tui_health.simulator.recorded_week import record_history
from tui_health.support.clock import FakeClock
from tui_health.tui.app import HealthApp
from tui_health.tui.replay_app import ReplayApp

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
POLLS = 14  # three and a half minutes of history: the demo's flap and first changes are in it


def fixed_app(
    directory: Path, scenario: Scenario | None = None, *, history: bool = False
) -> tuple[HealthApp, FakeClock]:
    """A console over the offline demo timeline (one critical component, one dependency), not polling by itself.

    ``history``: with a recorded week before it (the simulator's ordinary week, every 10 minutes), kept on."""
    clock = FakeClock(START)
    kept = None
    if history:
        path = directory / "history.sqlite3"
        record_history(path, end=START, target="eu-central-1 (simulated)")
        kept = open_history(path, retention=90 * 86400, interval=15)
    monitor, _ = offline_monitor(
        scenario or load_scenario("demo"),
        clock,
        directory,
        critical=("voice-telephony",),
        dependencies={"callbacks": ("voice-telephony",)},
        history=kept,
    )
    return HealthApp(monitor, autopoll=False, tick=0), clock


def replay_app(directory: Path, days: float = 2.0) -> ReplayApp:
    """The replay console on a recorded stretch of the simulator's ordinary week ending at START."""
    path = directory / "history.sqlite3"
    record_history(path, end=START, days=days, target="eu-central-1 (simulated)")
    replay = Replay(HistoryReader(path), region="eu-central-1 (simulated)", interval=600)
    return ReplayApp(ReplayMonitor(replay, len(replay) - 1))


async def warm_up(app: HealthApp, clock: FakeClock, pilot: Pilot[int], polls: int = POLLS) -> None:
    """Poll every 15 s of fake time so the sparklines and the audit pane have history, then settle 4 s later."""
    for index in range(polls):
        if index:
            clock.advance(15 - 0.06)
        await app.monitor.poll()
        await pilot.pause()
    clock.advance(4)
    monitor = app.monitor
    if isinstance(monitor, Monitor):
        await monitor.availability_settled()
    app.render_state(monitor.store.state)
    await pilot.pause()


async def go_stale(app: HealthApp, clock: FakeClock, pilot: Pilot[int], polls: int = 4) -> None:
    """The API starts failing: ``polls`` failed polls, 15 s apart — stale header, dimmed rows, sparkline gaps."""
    from tui_health.sources.base import failed
    from tui_health.support.errors import NetworkError

    source = app.monitor.poller.sources[0]

    async def unreachable(deadline: float | None) -> SourceResult:
        error = NetworkError(
            "api.mypurecloud.de did not finish answering within 10 s",
            hint="the host is too slow or stalls mid-answer; check it or raise --timeout",
            reached=True,
        )
        return failed(source.name, error, [])

    source.fetch = unreachable  # type: ignore[method-assign]
    for _ in range(polls):
        clock.advance(15)
        await app.monitor.poll()
        await pilot.pause()
    clock.advance(4)
    app.render_state(app.monitor.store.state)
    await pilot.pause()
