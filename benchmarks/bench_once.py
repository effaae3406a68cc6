"""Benchmark: ``tui-health --once`` against bare page walks, each run as a whole process.

Starts the simulator in this process (1,000 components, 50 ms latency per request, pages of 100) and runs,
alternating, several times each:

  once        python -m tui_health --once --format json   (validation, engine, rendering included)
  sequential  a bare httpx walk: token, then pages 1..10 one after another
  concurrent  a bare httpx walk: token, page 1, then pages 2..10 at once; no validation, no output

Prints the median wall time of each and the ratios. Goal: once within 1.25x of the concurrent walk at 1,000 components, 1.15x at 10,000.
Usage: python benchmarks/bench_once.py [--runs N] [--components N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tui_health.simulator import SimulatorServer, load_scenario

WALK = r"""
import asyncio, sys, httpx
url, mode, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
async def main():
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=10)) as c:
        r = await c.post("/oauth/token", auth=("bench", "bench"), data={"grant_type": "client_credentials"})
        h = {"Authorization": "Bearer " + r.json()["access_token"]}
        get = lambda n: c.get("/api/v2/health/details", params={"pageSize": size, "pageNumber": n, "expand": "details"}, headers=h)
        first = (await get(1)).json()
        if mode == "sequential":
            for n in range(2, first["pageCount"] + 1):
                (await get(n)).json()
        else:
            limit = asyncio.Semaphore(10)  # as many at once as tui-health's poll.concurrency
            async def one(n):
                async with limit:
                    (await get(n)).json()
            await asyncio.gather(*(one(n) for n in range(2, first["pageCount"] + 1)))
asyncio.run(main())
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"{cmd[2:4]} failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def compile_package() -> None:
    """Write tui_health's bytecode first, as ``pip install`` does for an installed package.

    An editable checkout under PYTHONDONTWRITEBYTECODE (set on some machines) would otherwise compile every
    module from source in every run, which no installed copy of the tool does.
    """
    import compileall

    import tui_health

    compileall.compile_dir(Path(tui_health.__file__).parent, quiet=1)


def measure(runs: int, components: int, latency_ms: float) -> dict[str, list[float]]:
    """Wall times of each command, alternating, after one warm-up run each."""
    scenario = load_scenario("large").model_copy(update={"components": components, "latency_ms": latency_ms})
    compile_package()
    env = {**os.environ, "GENESYSCLOUD_OAUTHCLIENT_ID": "bench", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "bench"}
    page_size = 100 if components <= 20_000 else 500
    with SimulatorServer(scenario) as sim:
        commands = {
            "once": [
                sys.executable,
                "-m",
                "tui_health",
                "--once",
                "--format",
                "json",
                "--api-url",
                sim.url,
                "--login-url",
                sim.url,
                "--page-size",
                str(page_size),
                "--no-alerts",
                "--audit-log",
                os.devnull,
            ],
            "sequential": [sys.executable, "-c", WALK, sim.url, "sequential", str(page_size)],
            "concurrent": [sys.executable, "-c", WALK, sim.url, "concurrent", str(page_size)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm-up: page cache, .pyc files
            timed(cmd, env)
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    times = measure(args.runs, args.components, args.latency_ms)
    med = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.components} components, {args.latency_ms:g} ms latency, {args.runs} runs each")
    for name, value in med.items():
        spread = f"min {min(times[name]) * 1000:.0f} / max {max(times[name]) * 1000:.0f} ms"
        print(f"  {name:<11} median {value * 1000:7.0f} ms   ({spread})")
    print(
        f"  once / concurrent walk   = {med['once'] / med['concurrent']:.2f}x   (goal <= 1.25x at 1,000, 1.15x at 10,000)"
    )
    print(f"  sequential / concurrent  = {med['sequential'] / med['concurrent']:.2f}x")


if __name__ == "__main__":
    main()
