"""Soak: many polls of many components through the engine, audit log, latency tracker and store.

No network: a synthetic source hands the Monitor a new snapshot each poll (a few components change every poll,
so the engine, audit log and alerts have real work). Prints resident memory over time; after warm-up it should
grow by less than 10 MB.  Usage: python benchmarks/soak.py [--polls 10000] [--components 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
from pathlib import Path

from tui_health.engine import EngineConfig, ThresholdEngine
from tui_health.model.domain import Component, SourceResult, Status
from tui_health.model.state import StatePublisher
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.monitor import Monitor, Poller
from tui_health.support.clock import FakeClock


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class SyntheticSource:
    name = "health-api"

    def __init__(self, count: int, clock: FakeClock) -> None:
        self.rng = random.Random(1)
        self.clock = clock
        self.statuses = {f"component-{i:05d}": Status.HEALTHY for i in range(count)}

    async def fetch(self, deadline: float | None) -> SourceResult:
        for cid in self.rng.sample(sorted(self.statuses), 3):
            self.statuses[cid] = self.rng.choice(
                [Status.HEALTHY, Status.HEALTHY, Status.DEGRADED, Status.DOWN]
            )
        now = self.clock.now()
        comps = tuple(
            Component(cid, cid.replace("-", " ").title(), s, now) for cid, s in self.statuses.items()
        )
        return SourceResult(self.name, True, comps)


async def soak(polls: int, count: int, directory: Path) -> tuple[float, float]:
    clock = FakeClock()
    source = SyntheticSource(count, clock)
    engine = ThresholdEngine(EngineConfig(flap_interval=30), clock)
    audit = AuditLog(directory / "audit.jsonl", max_bytes=5_000_000, backups=2)
    monitor = Monitor(
        Poller([source], deadline=60, clock=clock), engine, audit, StatePublisher(), clock=clock, interval=15
    )
    started = time.perf_counter()
    baseline = None
    print(f"{'poll':>7} {'rss MB':>8} {'elapsed s':>10}")
    for n in range(1, polls + 1):
        await monitor.poll()
        clock.advance(15)
        if n == min(1000, polls // 5):
            baseline = rss_mb()
        if n % max(1, polls // 10) == 0:
            print(f"{n:>7} {rss_mb():>8.1f} {time.perf_counter() - started:>10.1f}", flush=True)
    final = rss_mb()
    base = baseline or final
    print(
        f"after warm-up (poll {min(1000, polls // 5)}): {base:.1f} MB; at the end: {final:.1f} MB; "
        f"growth {final - base:+.1f} MB (goal <= 5 MB); "
        f"{(time.perf_counter() - started) / polls * 1000:.2f} ms per poll"
    )
    return base, final


def measure(polls: int, count: int) -> tuple[float, float]:
    """Resident MB after warm-up and at the end."""
    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(soak(polls, count, Path(directory)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--polls", type=int, default=10_000)
    parser.add_argument("--components", type=int, default=1_000)
    args = parser.parse_args()
    measure(args.polls, args.components)


if __name__ == "__main__":
    main()
