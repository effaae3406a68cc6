"""The performance suite: runs every benchmark and prints one table, each figure next to its goal.

    python benchmarks/run.py            # the full suite (~40 min: the soaks run 30 minutes)
    python benchmarks/run.py --quick    # shorter soaks and fewer runs (~8 min), for a quick look

Every figure is measured here, on this machine, against the simulator running in a process of its own; none is
asserted by a test (the README records the last results and the machine they ran on).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bench_console
import bench_history
import bench_idle_cpu
import bench_notice
import bench_once
import bench_poll
import bench_targets
import httpx
import soak
from common import CREDENTIALS, simulator

HERE = Path(__file__).parent
Row = tuple[str, str, str, bool | None]  # figure, result, goal, met (None: no goal, shown for context)


def poll_cost(quick: bool) -> list[Row]:
    """CPU per poll of the same Monitor --headless runs, beside a bare httpx walk of the same pages from the same
    simulator, alternating in one process: with 1 % of the components changing on every poll (every page's body
    differs, so every page is decoded) and with nothing changing (the page cache's best case)."""
    rounds = 5 if quick else 11
    rows: list[Row] = []
    for churn, label in ((0.01, "1 % changing every poll"), (0.0, "nothing changing")):
        ours, floor = bench_poll.compare(10_000, churn, rounds)
        ratio = ours / floor
        goal = churn > 0
        rows.append(
            (
                f"--headless CPU per poll, 10,000 comps, {label}",
                f"{ours * 1000:.0f} ms vs bare httpx walk {floor * 1000:.0f} ms = {ratio:.2f}x",
                "<= 1.0x" if goal else "",
                ratio <= 1.0 if goal else None,
            )
        )
    ours, floor = bench_poll.compare(1_000, 0.01, rounds)
    rows.append(
        (
            "--headless CPU per poll, 1,000 comps, 1 % changing",
            f"{ours * 1000:.0f} ms vs bare httpx walk {floor * 1000:.0f} ms = {ours / floor:.2f}x",
            "",
            None,
        )
    )
    return rows


def console(quick: bool) -> list[Row]:
    with simulator(10_000) as url:
        found = asyncio.run(bench_console.measure(url, 10 if quick else 30))
    keys = found["keys"]
    during = found["keys during a poll"]
    assert isinstance(keys, dict) and isinstance(during, list)
    first, inside, alone, idle = (
        found[k] for k in ("first table", "console poll", "headless poll", "idle CPU")
    )
    assert isinstance(first, float) and isinstance(inside, float) and isinstance(alone, float)
    assert isinstance(idle, float)
    slowest = max(keys, key=keys.__getitem__)
    return [
        (
            "console 10k: first table after the first answer",
            f"{first * 1000:.0f} ms",
            "<= 1,000 ms",
            first <= 1,
        ),
        (
            "console 10k: slowest key (arrival to repaint)",
            f"{keys[slowest] * 1000:.0f} ms ({slowest})",
            "<= 100 ms",
            keys[slowest] <= 0.1,
        ),
        (
            "console 10k: keys during polls, worst",
            f"{max(during) * 1000:.0f} ms (median {statistics.median(during) * 1000:.0f})",
            "<= 100 ms",
            max(during) <= 0.1,
        ),
        (
            "console 10k: poll wall time vs alone",
            f"{inside * 1000:.0f} / {alone * 1000:.0f} ms = {inside / alone:.2f}x",
            "<= 1.2x",
            inside / alone <= 1.2,
        ),
        ("console 10k: idle CPU between polls", f"{idle:.1%}", "<= 2 %", idle <= 0.02),
    ]


def idle_demo(quick: bool) -> list[Row]:
    cpu, rate = bench_idle_cpu.measure(15 if quick else 60, 15, 5)
    return [
        (
            "console demo 160x50: idle CPU (pty, polls included)",
            f"{cpu:.1%} ({rate:.1f} KiB/s out)",
            "<= 2 %",
            cpu <= 0.02,
        )
    ]


def memory(quick: bool) -> list[Row]:
    """The headless soak in this process; the two console soaks at once, each in its own process."""
    minutes = 6 if quick else 32
    rows: list[Row] = []
    base, final = soak.measure(2_000 if quick else 10_000, 1_000)
    rows.append(
        (
            "--headless memory growth (1,000 comps, synthetic)",
            f"{final - base:+.1f} MB",
            "<= 5 MB",
            final - base <= 5,
        )
    )
    runs = {
        components: subprocess.Popen(
            [
                sys.executable,
                str(HERE / "soak_console.py"),
                "--minutes",
                str(minutes),
                "--components",
                str(components),
                "--interval",
                str(interval),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for components, interval in ((40, 2.0), (10_000, 15.0))
    }
    for components, proc in runs.items():
        out, _ = proc.communicate()
        found = re.search(r"after warm-up ([\d.]+) MB, after [\d.]+ min ([\d.]+) MB", out)
        if not found:
            rows.append(
                (f"console memory, {components:,} comps", "failed: " + out.strip()[-80:], "<= 5 MB", False)
            )
            continue
        base, final = float(found.group(1)), float(found.group(2))
        label = f"console memory growth, {components:,} comps, {minutes - 2:g} min"
        rows.append(
            (
                label,
                f"{base:.0f} -> {final:.0f} MB = {final - base:+.1f} MB",
                "<= 5 MB / 30 min",
                final - base <= 5,
            )
        )
    return rows


def once(quick: bool) -> list[Row]:
    """``--once`` as users run it (a fresh state dir, history on) against the stack's floor, the simulator in a
    process of its own; and that it works at 100,000."""
    rows: list[Row] = []
    for components in (1_000, 10_000):
        times = bench_once.measure(3 if quick else 7, components, 50)
        ours, floor = statistics.median(times["once"]), statistics.median(times["floor"])
        rows.append(
            (
                f"--once / the stack's floor, {components:,} comps",
                f"{ours * 1000:.0f} / {floor * 1000:.0f} ms = {ours / floor:.2f}x",
                "<= 1.15x",
                ours / floor <= 1.15,
            )
        )
    with simulator(100_000) as url, tempfile.NamedTemporaryFile("w", suffix=".toml") as config:
        config.write("[poll]\npage_size = 500\nrequest_budget = 300\n")  # 201 requests: over the default 200
        config.flush()
        started = time.perf_counter()
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "tui_health", "--config", config.name, "--once", "--format", "json"),
                *("--api-url", url, "--login-url", url),
            ],
            capture_output=True,
            env=bench_once.fresh_home(),
        )
        wall = time.perf_counter() - started
    rows.append(
        (
            "--once at 100,000 comps (pages of 500)",
            f"{wall:.1f} s, exit {proc.returncode}",
            "works",
            proc.returncode == 0,
        )
    )
    return rows


def simulator_pages(quick: bool) -> list[Row]:
    """The simulator at 100,000 components: wall time per page of 100 (no added latency)."""

    async def pages(url: str) -> float:
        async with httpx.AsyncClient(base_url=url) as client:
            token = await client.post(
                "/oauth/token", auth=("b", "b"), data={"grant_type": "client_credentials"}
            )
            headers = {"Authorization": "Bearer " + token.json()["access_token"]}
            times = []
            for number in range(1, 1001, 50):
                started = time.perf_counter()
                params: dict[str, str | int] = {"pageSize": 100, "pageNumber": number, "expand": "details"}
                (
                    await client.get("/api/v2/health/details", params=params, headers=headers)
                ).raise_for_status()
                times.append(time.perf_counter() - started)
            return statistics.median(times)

    with simulator(100_000, latency_ms=0) as url:
        per_page = asyncio.run(pages(url))
    return [
        (
            "simulator at 100,000 comps: a page of 100",
            f"{per_page * 1000:.1f} ms",
            "<= 50 ms",
            per_page <= 0.05,
        )
    ]


def history(quick: bool) -> list[Row]:
    loop, write, mean, p95 = bench_history.write_cost(200 if quick else 400)
    days = 3 if quick else 30
    size, _, _ = bench_history.size_after(days)
    month = size * 30 / days
    return [
        (
            "history write per poll, 1,000 comps, 1 % churn",
            f"mean {mean:.2f} ms (loop {loop:.2f} + thread {write:.2f}; p95 {p95:.2f})",
            "<= 2 ms",
            mean <= 2,
        ),
        (
            "history size, 30 days, 1,000 comps every 15 s",
            f"{month:.1f} MB" + ("" if days == 30 else f" (from {days} days)"),
            "<= 50 MB",
            month <= 50,
        ),
    ]


def many_targets(quick: bool) -> list[Row]:
    r = bench_targets.run(50, 3 if quick else 5)
    share = r["cpu"] / bench_targets.INTERVAL
    return [
        (
            "50 targets x (status page + probe): a round",
            f"wall {r['wall'] * 1000:.0f} ms, CPU {r['cpu'] * 1000:.0f} ms = {share:.1%} of a 15 s interval",
            "< 15 s, < 10 %",
            r["wall"] < bench_targets.INTERVAL and share < 0.10,
        ),
        (
            "  status page downloads per round; memory",
            f"{r['downloads']:.0f}; {r['rss']:.0f} MB resident",
            "",
            None,
        ),
    ]


def time_to_notice(quick: bool) -> list[Row]:
    results = dict(bench_notice.run(4 if quick else 8))
    push, dropped, polled = (
        results["push (60 s poll interval)"],
        results["socket dropped at the change"],
        results["poll only (15 s interval)"],
    )

    def worst(values: list[float]) -> float:
        return max(values) if values else float("inf")

    return [
        (
            "time to notice, pushed (60 s interval): console row",
            f"median {statistics.median(push['rows']):.2f} s, max {worst(push['rows']):.2f} s",
            "<= 2 s",
            worst(push["rows"]) <= 2 and not push["lost"],
        ),
        (
            "  pushed: alert at the webhook receiver",
            f"median {statistics.median(push['hooks']):.2f} s, max {worst(push['hooks']):.2f} s",
            "<= 2 s",
            worst(push["hooks"]) <= 2 and not push["lost"],
        ),
        (
            "  socket dropped at the change: row / webhook",
            f"max {worst(dropped['rows']):.2f} s / {worst(dropped['hooks']):.2f} s, "
            f"{dropped['lost']} of {len(dropped['rows']) + dropped['lost']} lost",
            "nothing lost",
            dropped["lost"] == 0,
        ),
        (
            "  poll only (15 s interval, for scale): row",
            f"median {statistics.median(polled['rows']):.2f} s" if polled["rows"] else "none arrived",
            "",
            None,
        ),
    ]


SECTIONS: list[tuple[str, Callable[[bool], list[Row]]]] = [
    ("poll cost", poll_cost),
    ("console", console),
    ("idle", idle_demo),
    ("--once", once),
    ("simulator", simulator_pages),
    ("memory", memory),
    ("history", history),
    ("targets", many_targets),
    ("notice", time_to_notice),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="comma-separated sections: " + ", ".join(name for name, _ in SECTIONS))
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    chosen = set(args.only.split(",")) if args.only else {name for name, _ in SECTIONS}
    rows: list[Row] = []
    for name, section in SECTIONS:
        if name in chosen:
            print(f"running: {name} ...", file=sys.stderr, flush=True)
            rows.extend(section(args.quick))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    print(
        f"\nmachine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; {'quick' if args.quick else 'full'} run"
    )
    width = max(len(r[0]) for r in rows)
    result_width = max(len(r[1]) for r in rows)
    print(f"{'figure':<{width}}  {'result':<{result_width}}  {'goal':<17} met")
    for figure, result, goal, met in rows:
        mark = "" if met is None else ("yes" if met else "NO")
        print(f"{figure:<{width}}  {result:<{result_width}}  {goal:<17} {mark}")


if __name__ == "__main__":
    main()
