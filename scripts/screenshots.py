"""Regenerate screenshots/*.svg from the current code: fixed scenario, fixed clock, no network.

Usage: python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from tui_health.clock import FakeClock
from tui_health.simulator import load_scenario
from tui_health.simulator.offline import offline_monitor
from tui_health.tui.app import HealthApp

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
SIZE = (130, 38)
POLLS = 14  # three and a half minutes of history: the demo's flap and first changes are in it


async def build(directory: Path) -> tuple[HealthApp, FakeClock]:
    clock = FakeClock(START)
    monitor, store = offline_monitor(
        load_scenario("demo"),
        clock,
        directory,
        critical=("voice-telephony",),
        dependencies={"callbacks": ("voice-telephony",)},
    )
    return HealthApp(monitor, store, autopoll=False, tick=0), clock


async def warm_up(app: HealthApp, clock: FakeClock, pilot: Pilot[int]) -> None:
    for index in range(POLLS):
        if index:
            clock.advance(15 - 0.06)
        await app.monitor.poll()
        await pilot.pause()
    clock.advance(4)
    app.render_state(app.store.state)
    await pilot.pause()


async def shoot(
    name: str,
    out: Path,
    steps: Callable[[Pilot[int]], Awaitable[None]] | None = None,
    size: tuple[int, int] = SIZE,
) -> Path:
    with tempfile.TemporaryDirectory() as directory:
        app, clock = await build(Path(directory))
        async with app.run_test(size=size) as pilot:
            await warm_up(app, clock, pilot)
            if steps:
                await steps(pilot)
                await pilot.pause()
            path = out / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"tui-health — {name}"))
            return path


async def problems(pilot: Pilot[int]) -> None:
    await pilot.press("f")


async def details(pilot: Pilot[int]) -> None:
    await pilot.press("enter")


async def keys(pilot: Pilot[int]) -> None:
    await pilot.press("question_mark")


async def main(out: Path) -> None:
    os.environ["TZ"] = "UTC"  # the screens show local times: pin them so every machine makes the same files
    time.tzset()
    out.mkdir(parents=True, exist_ok=True)
    for name, steps in (("main", None), ("problems", problems), ("details", details), ("help", keys)):
        print(await shoot(name, out, steps))
    print(await shoot("main-80x24", out, None, size=(80, 24)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots")
    asyncio.run(main(parser.parse_args().out))
