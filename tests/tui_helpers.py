"""Build the console over an offline, fixed-clock monitor (no network, no real time)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from textual.pilot import Pilot

from tests.console_fixture import fixed_app
from tui_health.simulator import Scenario, load_scenario
from tui_health.support.clock import FakeClock
from tui_health.tui.app import HealthApp
from tui_health.tui.widgets.components_table import ComponentsTable


def make_app(scenario: str | Scenario = "demo", **overrides) -> tuple[HealthApp, FakeClock]:
    """The fixed console of the screenshots, over ``scenario`` (with ``overrides``)."""
    base = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if overrides:
        base = Scenario.model_validate({**base.model_dump(), **overrides})
    return fixed_app(Path(tempfile.mkdtemp(prefix="tui-health-test-")), base)


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
    return [table.row_id(row) for row in range(table.row_count)]


def table_statuses(app: HealthApp) -> list[str]:
    table = app.query_one(ComponentsTable)
    return [table.get_row_at(row)[0].plain for row in range(table.row_count)]


def console_after_first_poll(settings, config_path: Path, read):
    """Open the real console over real HTTP, let its first poll finish, and return ``read(app)``."""
    import asyncio

    from tui_health.monitor.runtime import open_monitor

    async def run():
        async with open_monitor(settings, config_path=config_path) as monitor:
            app = HealthApp(monitor, tick=0)
            async with app.run_test(size=(140, 40)) as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                return read(app)

    return asyncio.run(run())
