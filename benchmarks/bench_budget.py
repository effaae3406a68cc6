"""Requests per minute per token under pressure: 1,000 components, --interval 1, 429 and 503 storms.

Runs the real Monitor (health-api source: token, ten pages of 100, retries) against the simulator over HTTP
for ``--duration`` seconds and prints the most requests the simulator saw in any 60-second window, which the
request budget (``poll.request_budget``, 200/min by default) must keep at or below the budget.

Usage: python benchmarks/bench_budget.py [--duration 75] [--budget 200]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from bisect import bisect_left
from pathlib import Path

from tui_health.monitor.runtime import open_monitor
from tui_health.settings.config import load_settings
from tui_health.simulator import Scenario, SimulatorServer

STORMS = [
    {"kind": "rate_limit", "every": 20, "burst": 3, "retry_after": 1},  # 429 bursts with Retry-After
    {"kind": "error_json", "every": 15, "burst": 2, "start": 7},  # 503s that are retried
]


def busiest_minute(times: list[float]) -> int:
    times = sorted(times)
    return max((bisect_left(times, t + 60) - i for i, t in enumerate(times)), default=0)


async def run(duration: float, budget: int) -> None:
    scenario = Scenario.model_validate(
        {"name": "budget", "components": 1000, "latency_ms": 20, "faults": STORMS}
    )
    with SimulatorServer(scenario) as sim, tempfile.TemporaryDirectory() as scratch:
        seen: list[float] = []
        record = sim.state.record

        def stamped(method: str, path: str, status: int) -> None:
            seen.append(time.monotonic())
            record(method, path, status)

        sim.state.record = stamped  # type: ignore[method-assign]
        settings = load_settings(
            path=Path(scratch) / "none.toml",
            env={"GENESYSCLOUD_OAUTHCLIENT_ID": "bench", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "bench-secret"},
            flags={
                "genesys.api_url": sim.url,
                "genesys.login_url": sim.url,
                "poll.interval": 1,
                "poll.page_size": 100,
                "poll.request_budget": budget,
                "alerts.enabled": False,
                "audit.path": str(Path(scratch) / "audit.jsonl"),
                "alerts.outbox": str(Path(scratch) / "outbox.sqlite3"),
            },
        )
        stop = asyncio.Event()
        async with open_monitor(settings, config_path=Path(scratch) / "none.toml") as monitor:
            await monitor.run(stop, duration=duration)
            kinds = [e.status for e in monitor.recent if e.event_type == "poll_failed"]
        polls = monitor.tracker.polls
    print(f"{duration:.0f} s, interval 1 s, 1,000 components (11 requests a poll), 429 and 503 storms")
    print(
        f"polls: {polls}, failed: {len(kinds)} ({', '.join(sorted(set(k or '?' for k in kinds))) or 'none'})"
    )
    print(f"requests: {len(seen)} in all; busiest 60 s window: {busiest_minute(seen)} (budget {budget}/min)")
    print(f"without a budget the interval alone would ask for about {11 * 60} a minute, before retries")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=75.0)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.duration, args.budget))
