"""Build the console over an offline, fixed-clock monitor (no network, no real time)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from tui_health.clock import FakeClock
from tui_health.simulator import Scenario, load_scenario
from tui_health.simulator.offline import offline_monitor
from tui_health.tui.app import HealthApp
from tui_health.tui.widgets.components_table import ComponentsTable

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def make_app(scenario: str | Scenario = "demo", **overrides) -> tuple[HealthApp, FakeClock]:
    base = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if overrides:
        base = Scenario.model_validate({**base.model_dump(), **overrides})
    clock = FakeClock(START)
    directory = Path(tempfile.mkdtemp(prefix="tui-health-test-"))
    monitor, store = offline_monitor(
        base,
        clock,
        directory,
        critical=("voice-telephony",),
        dependencies={"callbacks": ("voice-telephony",)},
    )
    return HealthApp(monitor, store, autopoll=False, tick=0), clock


async def poll(
    app: HealthApp, pilot: Pilot[int], clock: FakeClock, times: int = 1, every: float = 15.0
) -> None:
    for index in range(times):
        if index:
            clock.advance(every)
        await app.monitor.poll()
        await pilot.pause()


def table_ids(app: HealthApp) -> list[str]:
    table = app.query_one(ComponentsTable)
    return [str(table.coordinate_to_cell_key((row, 0))[0].value) for row in range(table.row_count)]  # type: ignore[arg-type]


def table_statuses(app: HealthApp) -> list[str]:
    table = app.query_one(ComponentsTable)
    return [table.get_row_at(row)[0].plain for row in range(table.row_count)]
