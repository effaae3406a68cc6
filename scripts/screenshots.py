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

from tests.console_fixture import fixed_app, go_stale, warm_up

SIZE = (130, 38)


async def shoot(
    name: str,
    out: Path,
    steps: Callable[[Pilot[int]], Awaitable[None]] | None = None,
    size: tuple[int, int] = SIZE,
    stale: bool = False,
) -> Path:
    with tempfile.TemporaryDirectory() as directory:
        app, clock = fixed_app(Path(directory))
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


async def main(out: Path) -> None:
    os.environ["TZ"] = "UTC"  # the screens show local times: pin them so every machine makes the same files
    time.tzset()
    out.mkdir(parents=True, exist_ok=True)
    for name, steps in (("main", None), ("problems", problems), ("details", details), ("help", keys)):
        print(await shoot(name, out, steps))
    print(await shoot("main-80x24", out, None, size=(80, 24)))
    print(await shoot("stale", out, None, stale=True))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots")
    asyncio.run(main(parser.parse_args().out))
