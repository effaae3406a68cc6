"""Soak: resident memory of the live console over time, in Textual's headless mode (160x50).

A simulator runs in its own process (40 components, or --components N, 1 % of them — at least one — changing on
every poll); the console polls it every
--interval seconds for --minutes. Resident memory is sampled every minute; growth is counted from the end of the
warm-up (the first --warmup minutes). With --trace, tracemalloc prints the allocation sites that grew most.
Goal: <= 5 MB growth over 30 minutes after warm-up.
Usage: python benchmarks/soak_console.py [--minutes 30] [--components 40] [--interval 2] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench_poll import settings_for
from common import rss_mb, simulator

from tui_health.monitor.runtime import open_monitors
from tui_health.tui.app import HealthApp


async def soak(url: str, minutes: float, warmup: float, interval: float, trace: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as directory:
        settings = settings_for(url, Path(directory), 100)
        async with open_monitors(settings, config_path=Path(directory) / "none.toml") as monitors:
            for monitor in monitors:
                monitor.interval = interval
            app = HealthApp(monitors)
            async with app.run_test(size=(160, 50)):
                started = time.monotonic()
                baseline = None
                snapshot = None
                print(f"{'minute':>6} {'rss MB':>8} {'polls':>6}", flush=True)
                minute = 0
                while minute < minutes:
                    await asyncio.sleep(60)
                    minute += 1
                    rss = rss_mb()
                    print(f"{minute:>6} {rss:>8.1f} {monitors[0].tracker.polls:>6}", flush=True)
                    if minute == warmup:
                        baseline = rss
                        if trace:
                            tracemalloc.start(10)
                            snapshot = tracemalloc.take_snapshot()
                final = rss_mb()
                if trace and snapshot is not None:
                    stats = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
                    print("allocation sites that grew most since the warm-up:")
                    for stat in stats[:8]:
                        print(f"  {stat.size_diff / 1024:+8.1f} KiB  {stat.traceback.format()[-1].strip()}")
                del started
            await asyncio.gather(*(m.close(delivery_wait=0) for m in monitors))
    return baseline or final, final


def run(minutes: float, components: int, interval: float, warmup: float, trace: bool) -> tuple[float, float]:
    # a scenario that changes: 1 % of the components on every poll (at least one), so the engine, the views,
    # the audit pane, the history and the toasts all have work every poll, as on a bad night
    churn = max(0.01, 1 / components)
    with simulator(components, latency_ms=20, scenario="large", churn=churn) as url:
        return asyncio.run(soak(url, minutes, warmup, interval, trace))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--components", type=int, default=40)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    base, final = run(args.minutes, args.components, args.interval, args.warmup, args.trace)
    print(
        f"console, {args.components:,} components, a poll every {args.interval:g} s: after warm-up {base:.1f} MB, "
        f"after {args.minutes:g} min {final:.1f} MB: growth {final - base:+.1f} MB (goal <= 5 MB over 30 min)"
    )


if __name__ == "__main__":
    main()
