"""Regenerate screenshots/*.svg from the current code: fixed scenario, fixed clock, no network.

Usage: python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the console fixture lives with the tests

from tests.console_fixture import START, fixed_app, go_stale, replay_app, warm_up
from tui_health.tui.widgets.components_table import ComponentsTable

SIZE = (130, 38)


async def shoot(
    name: str,
    out: Path,
    steps: Callable[[Pilot[int]], Awaitable[None]] | None = None,
    size: tuple[int, int] = SIZE,
    stale: bool = False,
    history: bool = False,
) -> Path:
    with tempfile.TemporaryDirectory() as directory:
        app, clock = fixed_app(Path(directory), history=history)
        async with app.run_test(size=size) as pilot:
            await warm_up(app, clock, pilot)
            if stale:
                await go_stale(app, clock, pilot)
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


async def timeline(pilot: Pilot[int]) -> None:
    """Voice's details after a recorded week: its outage two days ago in the 7-day strip."""
    table = pilot.app.query_one(ComponentsTable)
    table.move_cursor(row=next(i for i in range(table.row_count) if table.row_id(i) == "voice-telephony"))
    await pilot.press("enter")


async def audit_viewer(pilot: Pilot[int]) -> None:
    await pilot.press("a", "l")  # warnings and worse


async def shoot_replay(out: Path) -> Path:
    """Replay, stepped back to the poll that confirmed voice's outage two days before the end of the week."""
    with tempfile.TemporaryDirectory() as directory:
        app = replay_app(Path(directory), days=7)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            outage = START.timestamp() - 2 * 86400
            app.replay.go(next(i for i, at in enumerate(app.replay.replay.times) if at > outage + 600))
            app._moved()
            await pilot.pause()
            path = out / "replay.svg"
            path.write_text(app.export_screenshot(title="tui-health — replay"))
            return path


async def main(out: Path) -> None:
    os.environ["TZ"] = "UTC"  # the screens show local times: pin them so every machine makes the same files
    time.tzset()
    out.mkdir(parents=True, exist_ok=True)
    for name, steps in (("main", None), ("problems", problems), ("details", details), ("help", keys)):
        print(await shoot(name, out, steps))
    print(await shoot("main-80x24", out, None, size=(80, 24)))
    print(await shoot("stale", out, None, stale=True))
    print(await shoot("timeline", out, timeline, history=True))
    print(await shoot("audit-viewer", out, audit_viewer))
    print(await shoot_replay(out))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots")
    asyncio.run(main(parser.parse_args().out))
