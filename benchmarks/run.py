"""The performance suite: runs every benchmark and prints one table, each figure next to its goal.

    python benchmarks/run.py            # the full suite (~40 min: the soaks run 30 minutes)
    python benchmarks/run.py --quick    # shorter soaks and fewer runs (~15 min), for a quick look
    python benchmarks/run.py --markdown # and the table as the README holds it

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
import bench_console_pty
import bench_history
import bench_idle_cpu
import bench_notice
import bench_once
import bench_poll
import bench_targets
import httpx
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
    """The console in a real pty from process start, keys through the terminal (10,000 and 100,000); from the
    first answer and with keys during polls, in Textual's headless mode (10,000)."""
    rows: list[Row] = []
    for components, first_goal, key_goal in ((10_000, 1.5, 0.1), (100_000, 5.0, 0.2)):
        found = bench_console_pty.measure(components, 10 if quick else 20)
        keys = {k: v for k, v in found["keys"].items() if not k.startswith("Escape")}  # type: ignore[attr-defined]
        escape = found["keys"]["Escape (clear search)"]  # type: ignore[index]
        first = found["first table"]
        assert isinstance(first, float)
        lost = [k for k, v in keys.items() if v is None]
        slowest = max((k for k in keys if keys[k] is not None), key=lambda k: keys[k])
        rows.append(
            (
                f"console {components:,}: first table from process start (pty)",
                f"{first * 1000:.0f} ms",
                f"<= {first_goal * 1000:,.0f} ms",
                first <= first_goal,
            )
        )
        if first > first_goal:
            floor = bench_console_pty.first_poll_alone(components)
            rows.append(
                (
                    "  the floor: the first poll alone (no console)",
                    f"{floor * 1000:.0f} ms wall, in this process",
                    "",
                    None,
                )
            )
        rows.append(
            (
                f"console {components:,}: slowest key through the terminal",
                f"{keys[slowest] * 1000:.0f} ms ({slowest})"
                + (f"; not drawn: {', '.join(lost)}" if lost else ""),
                f"<= {key_goal * 1000:.0f} ms",
                keys[slowest] <= key_goal and not lost,
            )
        )
        rows.append(
            (
                "  Escape (the terminal's 100 ms escape delay included)",
                "not drawn" if escape is None else f"{escape * 1000:.0f} ms",
                "",
                None,
            )
        )
        idle = found["idle CPU"]
        assert isinstance(idle, float)
        rows.append(
            (
                f"console {components:,}: CPU between polls",
                f"{idle:.1%} of a core",
                "<= 2 %" if components == 10_000 else "",
                idle <= 0.02 if components == 10_000 else None,
            )
        )
    with simulator(10_000) as url:
        found = asyncio.run(bench_console.measure(url, 10))
    during = found["keys during a poll"]
    first, inside, alone = (found[k] for k in ("first table", "console poll", "headless poll"))
    assert isinstance(during, list) and isinstance(first, float)
    assert isinstance(inside, float) and isinstance(alone, float)
    rows += [
        ("console 10,000: first table after the first answer", f"{first * 1000:.0f} ms", "", None),
        (
            "console 10,000: keys during polls, worst",
            f"{max(during) * 1000:.0f} ms (median {statistics.median(during) * 1000:.0f})",
            "<= 100 ms",
            max(during) <= 0.1,
        ),
        (
            "console 10,000: poll wall time vs --headless",
            f"{inside * 1000:.0f} / {alone * 1000:.0f} ms = {inside / alone:.2f}x",
            "<= 1.2x",
            inside / alone <= 1.2,
        ),
    ]
    return rows


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
    """Three soaks at once, each a process of its own against a simulator that changes 1 % of its components
    on every poll: ``--headless`` as the real process, and the console at 40 and at 10,000 components."""
    minutes = 6 if quick else 32
    commands = {
        "--headless, 1,000 comps, a poll every 2 s": [
            *(str(HERE / "soak_headless.py"), "--components", "1000", "--interval", "2")
        ],
        "console, 40 comps, a poll every 2 s": [
            *(str(HERE / "soak_console.py"), "--components", "40", "--interval", "2")
        ],
        "console, 10,000 comps, a poll every 15 s": [
            *(str(HERE / "soak_console.py"), "--components", "10000", "--interval", "15")
        ],
    }
    runs = {
        label: subprocess.Popen(
            [sys.executable, *argv, "--minutes", str(minutes)], stdout=subprocess.PIPE, text=True
        )
        for label, argv in commands.items()
    }
    rows: list[Row] = []
    for label, proc in runs.items():
        out, _ = proc.communicate()
        found = re.search(r"after warm-up ([\d.]+) MB, after [\d.]+ min ([\d.]+) MB", out)
        title = f"memory growth, {label}, {minutes - 2:g} min (1 % changing)"
        if not found:
            rows.append((title, "failed: " + out.strip()[-80:], "<= 5 MB", False))
            continue
        base, final = float(found.group(1)), float(found.group(2))
        rows.append(
            (title, f"{base:.0f} -> {final:.0f} MB = {final - base:+.1f} MB", "<= 5 MB", final - base <= 5)
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


def collector(quick: bool) -> list[Row]:
    """``bench_collector.py`` in a process of its own: scrapers and idle connections beside polling."""
    seconds = 10 if quick else 20
    out = subprocess.run(
        [sys.executable, str(HERE / "bench_collector.py"), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout
    answers = re.search(r"(\d+) answers \((\d+) of them 503 'busy'\), (\d+) with no answer", out)
    times = re.search(r"median (\d+) ms, p99 (\d+) ms", out)
    polls = re.search(r"polls during the storm: (\d+) \(about (\d+) on cadence\)", out)
    if not (answers and times and polls):
        return [("collector under 200 scrapers", "failed: " + out.strip()[-80:], "", False)]
    lost = int(answers.group(3))
    on_cadence = int(polls.group(1)) >= int(polls.group(2)) - 2
    return [
        (
            f"collector: 200 scrapers for {seconds} s, 1,000 idle connections, a poll every 1 s",
            f"{answers.group(1)} answers, {lost} unanswered; median {times.group(1)} ms, p99 {times.group(2)} ms; "
            f"{polls.group(1)} polls of {polls.group(2)}",
            "every answer, polls on cadence",
            lost == 0 and on_cadence,
        )
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
    ("collector", collector),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="comma-separated sections: " + ", ".join(name for name, _ in SECTIONS))
    parser.add_argument("--markdown", action="store_true", help="also print the table as the README holds it")
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
        print(f"{figure:<{width}}  {result:<{result_width}}  {goal:<17} {verdict(met)}")
    if args.markdown:
        print("\n" + markdown(rows))


def verdict(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")


def markdown(rows: list[Row]) -> str:
    """The table as the README holds it: the figures exactly as printed, nothing added."""
    lines = ["| figure | result | goal | met |", "|---|---|---|---|"]
    for figure, result, goal, met in rows:
        cells = (figure.replace("  ", "&nbsp;&nbsp;", 1) if figure.startswith("  ") else figure, result, goal)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + f" | {verdict(met)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
