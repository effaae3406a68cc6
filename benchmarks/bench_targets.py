"""Benchmark: 50 targets, each with the status page and the API probe, in one process against the simulator.

The simulator runs in its own process (50 ms latency); this process opens the 50 monitors ``--headless`` would
(one token, budget, engine, history and outbox each; the status page shared) and polls them all at once, round
after round, as one 15 s interval would. Prints the wall time of a round, its CPU, the CPU's share of a 15 s
interval, the page downloads per round and the resident memory. Goal: a round fits one 15 s interval with CPU
under 10 % of one core.
Usage: python benchmarks/bench_targets.py [--targets 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import rss_mb, simulator

from tui_health.monitor.runtime import open_monitors
from tui_health.settings.config import load_settings

INTERVAL = 15.0


def config_for(url: str, directory: Path, targets: int) -> tuple[Path, dict[str, str]]:
    lines = [
        f'[state]\ndir = "{directory}"\n[audit]\npath = "{directory / "audit.jsonl"}"\n',
        f"[poll]\ninterval = {INTERVAL}\nmin_gap = 0\n",
    ]
    env = {}
    for index in range(targets):
        env[f"T{index}_ID"], env[f"T{index}_SECRET"] = f"client-{index}", f"secret-{index}"
        lines.append(
            f'[[targets]]\nname = "org-{index:02d}"\napi_url = "{url}"\nlogin_url = "{url}"\n'
            f'statuspage_url = "{url}"\nsources = ["statuspage", "api-probe"]\n'
            f'client_id_env = "T{index}_ID"\nclient_secret_env = "T{index}_SECRET"\n'
        )
    path = directory / "config.toml"
    path.write_text("".join(lines))
    return path, env


async def measure(url: str, targets: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        path, env = config_for(url, directory, targets)
        os.environ.update(env)
        settings = load_settings(path=path, env=env)
        walls, cpus, downloads = [], [], []
        async with open_monitors(settings, config_path=path) as monitors:
            for monitor in monitors:
                await monitor.start()
            shared = monitors[0].poller.sources[0].shared  # type: ignore[attr-defined]
            for index in range(rounds + 1):
                shared.forget()  # back to back here; 15 s apart in a real run, where nothing is still fresh
                before = shared.downloads
                started, cpu = time.perf_counter(), time.process_time()
                await asyncio.gather(*(m.poll() for m in monitors))
                if index:  # the first round logs in 50 times and opens every store
                    walls.append(time.perf_counter() - started)
                    cpus.append(time.process_time() - cpu)
                    downloads.append(shared.downloads - before)
            failed = sum(1 for m in monitors for s in m.store.state.sources if not s.ok)
            rss = rss_mb()
            await asyncio.gather(*(m.close() for m in monitors))
    return {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "downloads": statistics.median(downloads),
        "rss": rss,
        "failed": failed,
    }


def run(targets: int = 50, rounds: int = 5) -> dict[str, float]:
    with simulator(40, latency_ms=50, scenario="steady") as url:
        return asyncio.run(measure(url, targets, rounds))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    r = run(args.targets, args.rounds)
    print(
        f"{args.targets} targets x (status page + API probe), simulator at 50 ms, median of {args.rounds} rounds"
    )
    print(
        f"  wall time of a round      {r['wall'] * 1000:7.0f} ms   (goal: within one {INTERVAL:g} s interval)"
    )
    print(
        f"  CPU of a round            {r['cpu'] * 1000:7.0f} ms   = {r['cpu'] / INTERVAL:.1%} of a core per interval (goal < 10 %)"
    )
    print(f"  status page downloads     {r['downloads']:7.0f}      per round (shared by every target)")
    print(f"  resident memory           {r['rss']:7.1f} MB")
    print(f"  failed sources, last round {r['failed']:.0f}")


if __name__ == "__main__":
    main()
