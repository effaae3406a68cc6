"""Benchmark: applying a 2,000-row update with 1 % of rows changed, incrementally vs rebuilding the table.

Runs the app's ComponentsTable headless (Textual's test driver) and times, per update, applying it to the table
(the work that grows with the number of rows) and, separately, the repaint that follows (bounded by the screen:
DataTable re-renders the visible rows after any change, whichever path made it). Prints medians and ratios.
The app uses the incremental path (ComponentsTable.show).
Usage: python benchmarks/bench_table.py [--rows 2000] [--changed 0.01] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from tui_health.models import Status
from tui_health.state import ComponentView
from tui_health.tui.widgets.components_table import ComponentsTable, row_cells, sort_key

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rebuild(table: ComponentsTable, components: list[ComponentView], now: datetime) -> None:
    """The baseline: clear the table and add every row again, then sort (what the console does not do)."""
    with table.app.batch_update():
        table.clear()
        for c in components:
            table.add_row(*row_cells(c, now), key=c.id)
    table.sort("status", "name", "id", key=sort_key)


def views(count: int) -> list[ComponentView]:
    rng = random.Random(3)
    out = []
    for i in range(count):
        status = rng.choices(list(Status), [2, 4, 1, 1, 92])[0]
        since = NOW - timedelta(seconds=rng.randint(10, 90_000))
        out.append(
            ComponentView(
                id=f"c{i:05d}",
                name=f"Component {i:05d}",
                status=status,
                observed=status,
                since=since,
                last_modified=since,
                source="health-api",
            )
        )
    return sorted(out, key=lambda v: (v.status.rank, v.name.casefold(), v.id))


class Bench(App[None]):
    def compose(self) -> ComposeResult:
        yield ComponentsTable()


async def run(rows: int, fraction: float, runs: int) -> None:
    base = views(rows)
    rng = random.Random(5)
    app = Bench()
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one(ComponentsTable)
        table.show(base, NOW)
        await pilot.pause()
        timings: dict[str, list[float]] = {"incremental": [], "rebuild": []}
        repaint: dict[str, list[float]] = {"incremental": [], "rebuild": []}
        current = base
        for _ in range(runs):
            changed = list(current)
            for index in rng.sample(range(rows), max(1, int(rows * fraction))):
                status = rng.choice([s for s in Status if s is not changed[index].status])
                changed[index] = replace(changed[index], status=status, observed=status, since=NOW)
            changed.sort(key=lambda v: (v.status.rank, v.name.casefold(), v.id))
            for name, apply in (
                ("incremental", table.show),
                ("rebuild", lambda rows, now: rebuild(table, rows, now)),
            ):
                table.show(current, NOW)  # the same starting point for both
                await pilot.pause()
                started = time.perf_counter()
                apply(changed, NOW)
                applied = time.perf_counter()
                await pilot.pause()
                timings[name].append(applied - started)
                repaint[name].append(time.perf_counter() - applied)
            current = changed
    inc, reb = (statistics.median(timings[k]) * 1000 for k in ("incremental", "rebuild"))
    inc_paint, reb_paint = (statistics.median(repaint[k]) * 1000 for k in ("incremental", "rebuild"))
    print(f"{rows} rows, {fraction:.0%} changed per update, {runs} updates (medians)")
    print(f"  {'':<46} {'apply':>9} {'+ repaint':>10} {'total':>9}")
    print(
        f"  {'incremental (ComponentsTable.show, the app)':<46} {inc:7.2f}ms {inc_paint:8.2f}ms "
        f"{inc + inc_paint:7.2f}ms"
    )
    print(
        f"  {'rebuild (clear + add every row)':<46} {reb:7.2f}ms {reb_paint:8.2f}ms {reb + reb_paint:7.2f}ms"
    )
    print(f"  apply: rebuild / incremental = {reb / inc:.1f}x   (target >= 10x)")
    print(f"  with the repaint: {(reb + reb_paint) / (inc + inc_paint):.1f}x")
    await filter_keys(rows)


async def filter_keys(rows: int) -> None:
    """What pressing 3 (down only) and then 0 (all) costs the table: most rows leave, then all come back."""
    base = views(rows)
    down = [v for v in base if v.status is Status.DOWN]
    app = Bench()
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one(ComponentsTable)
        table.show(base, NOW)
        await pilot.pause()
        for label, shown in ((f"filter to down only ({len(down)} rows)", down), ("back to all", base)):
            started = time.perf_counter()
            table.show(shown, NOW)
            applied = time.perf_counter()
            await pilot.pause()
            print(
                f"  {label:<46} {(applied - started) * 1000:7.2f}ms "
                f"{(time.perf_counter() - applied) * 1000:8.2f}ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.changed, args.runs))


if __name__ == "__main__":
    main()
