"""Benchmark: the live console at 10,000 components, in Textual's headless mode against a simulator process.

Measures (wall time, this machine):
  first table      from the first poll's answer (state published) to the table holding the rows, repainted
  poll wall time   a poll inside the console vs the same Monitor polled alone (what --headless does)
  keys             key press to the repainted screen, for filters, presets, search and navigation
  key during poll  pressing 3 while a poll is being fetched and applied
  idle CPU         CPU of the console between polls (the one-second tick), as a share of one core
Goals: keys <= 100 ms, first table <= 1 s, console poll <= 1.2x headless, idle CPU <= 2 %.
Usage: python benchmarks/bench_console.py [--components 10000] [--idle 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_poll import settings_for
from common import simulator
from textual.widgets import Input

from tui_health.monitor.runtime import open_monitors
from tui_health.tui.app import HealthApp
from tui_health.tui.widgets.components_table import ComponentsTable

KEYS = [  # (what the person pressed, the action its binding runs, on the app or on the table)
    ("3 (down only)", "toggle_status('3')", "app"),
    ("0 (all again)", "clear_filter", "app"),
    ("2 (degraded)", "toggle_status('2')", "app"),
    ("0", "clear_filter", "app"),
    ("f (preset: problems)", "preset", "app"),
    ("f (preset: down only)", "preset", "app"),
    ("f (preset: all)", "preset", "app"),
    ("c (critical only)", "critical", "app"),
    ("c", "critical", "app"),
    ("/ (search)", "search", "app"),
    ("typing 'comp 01'", "type:comp 01", "app"),
    ("escape (clear search)", "clear_search", "app"),
    ("end", "last_row", "table"),
    ("home", "first_row", "table"),
    ("pagedown", "page_down", "table"),
    ("down", "cursor_down", "table"),
]


async def key(app: HealthApp, pilot, action: str, where: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from a key's arrival to the screen repainted: waiting for the app to get to it (a poll's work
    may hold the event loop), the action its binding runs, and the repaint that follows."""
    started = time.perf_counter()
    arrived = asyncio.Event()
    app.call_later(arrived.set)  # queued behind whatever the app is busy with, as a key would be
    await arrived.wait()
    if action.startswith("type:"):
        search = app.query_one("#search", Input)
        for index in range(1, len(action) - 4):  # one change per character, as typing makes them
            search.value = action[5 : 5 + index]
            await pilot._wait_for_screen()
    else:
        await app.run_action(action, app.query_one(ComponentsTable) if where == "table" else app)
    for _ in range(2):  # every widget has handled what the action caused, then the screen is repainted
        await pilot._wait_for_screen()
        app.screen._on_timer_update()
    return time.perf_counter() - started


async def timed_poll(monitor) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await monitor.poll()
    return time.perf_counter() - started


async def measure(url: str, idle: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        settings = settings_for(url, Path(directory), 100)
        async with open_monitors(settings, config_path=Path(directory) / "none.toml") as monitors:
            (monitor,) = monitors
            await monitor.start()
            alone = [await timed_poll(monitor) for _ in range(3)]
            results["headless poll"] = statistics.median(alone)
            monitor.interval = 3600  # the benchmark polls by itself
            published: list[tuple[float, object]] = []
            monitor.store.subscribe(lambda state: published.append((time.perf_counter(), state)))
            app = HealthApp(monitors, autopoll=False)
            async with app.run_test(size=(160, 50)) as pilot:
                table = app.query_one(ComponentsTable)
                table.show((), monitor.now())  # start from an empty table, as a fresh console does
                await pilot.pause()
                published.clear()
                app.start_poll()
                while not published:
                    await asyncio.sleep(0.005)
                # the table shows this very state (not an older one a tick redrew), then it is repainted
                while app.state.poll_count < published[0][1].poll_count or table.row_count == 0:  # type: ignore[attr-defined]
                    await asyncio.sleep(0.001)
                await pilot.pause()
                results["first table"] = time.perf_counter() - published[0][0]
                while app.polling:
                    await asyncio.sleep(0.01)
                inside = []
                for _ in range(3):
                    inside.append(await timed_poll(monitor))
                    await pilot.pause()
                results["console poll"] = statistics.median(inside)
                keys = {label: await key(app, pilot, action, where) for label, action, where in KEYS}
                results["keys"] = keys
                during: list[float] = []
                for _ in range(3):
                    app.start_poll()
                    while app.polling:  # keys arrive at random moments of the poll, 3 then 0
                        await asyncio.sleep(random.uniform(0.02, 0.15))
                        during.append(await key(app, pilot, "toggle_status('3')", "app"))
                        during.append(await key(app, pilot, "clear_filter", "app"))
                results["keys during a poll"] = during
                await pilot.pause()
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.sleep(idle)
                results["idle CPU"] = (time.process_time() - cpu) / (time.perf_counter() - wall)
            await monitor.close(delivery_wait=0)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--idle", type=float, default=20)
    args = parser.parse_args()
    with simulator(args.components) as url:
        results = asyncio.run(measure(url, args.idle))
    headless, console = results["headless poll"], results["console poll"]
    assert isinstance(headless, float) and isinstance(console, float)
    print(f"console at {args.components:,} components, 160x50, Textual headless driver:")
    print(
        f"  first table after the first answer  {results['first table'] * 1000:8.0f} ms   (goal <= 1000 ms)"
    )
    print(
        f"  poll wall time: console {console * 1000:.0f} ms, alone {headless * 1000:.0f} ms "
        f"= {console / headless:.2f}x   (goal <= 1.2x)"
    )
    keys = results["keys"]
    assert isinstance(keys, dict)
    for label, seconds in keys.items():
        print(f"  key {label:<32} {seconds * 1000:8.1f} ms")
    print(f"  slowest key {max(keys.values()) * 1000:.1f} ms   (goal <= 100 ms)")
    during = results["keys during a poll"]
    assert isinstance(during, list)
    print(
        f"  keys arriving during polls: {len(during)}, median {statistics.median(during) * 1000:.1f} ms, "
        f"worst {max(during) * 1000:.1f} ms   (goal <= 100 ms)"
    )
    print(f"  idle CPU between polls {results['idle CPU']:.1%} of one core   (goal <= 2 %)")


if __name__ == "__main__":
    main()
