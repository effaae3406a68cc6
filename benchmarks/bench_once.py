"""Benchmark: ``tui-health --once`` as users run it, against the floor of the stack it is built on.

The simulator runs in its own process (50 ms latency per request, pages of 100). Each command runs as a whole
process, alternating, several times:

  once    python -m tui_health --once --format json --api-url URL --login-url URL — with a fresh home (its own
          state dir: audit log, history on, engine state), as a user runs it; nothing turned off
  floor   the stack's floor: a script that imports httpx and pydantic, gets a token, walks every page (page 1, then
          the rest 10 at a time), validates every entity with a small pydantic model and prints them as JSON

Prints the median wall time of each and the ratio. Goal: once <= 1.15x the floor at 1,000 and at 10,000.
Usage: python benchmarks/bench_once.py [--runs N] [--components N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CREDENTIALS, simulator

FLOOR = r"""
import asyncio, json, sys
import httpx
from pydantic import BaseModel

class Entity(BaseModel):
    id: str
    name: str
    status: str
    lastModified: str | None = None
    details: dict | None = None

url = sys.argv[1]

async def main():
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=10)) as c:
        r = await c.post("/oauth/token", auth=("bench", "bench"), data={"grant_type": "client_credentials"})
        h = {"Authorization": "Bearer " + r.json()["access_token"]}
        limit = asyncio.Semaphore(10)  # as many at once as tui-health's poll.concurrency
        async def get(n):
            async with limit:
                params = {"pageSize": 100, "pageNumber": n, "expand": "details"}
                return (await c.get("/api/v2/health/details", params=params, headers=h)).json()
        first = await get(1)
        rest = await asyncio.gather(*(get(n) for n in range(2, first["pageCount"] + 1)))
        entities = [Entity.model_validate(e) for page in (first, *rest) for e in page["entities"]]
        json.dump([e.model_dump() for e in entities], sys.stdout)

asyncio.run(main())
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"{cmd[1:4]} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    return elapsed


def compile_package() -> None:
    """Write tui_health's bytecode first, as ``pip install`` does for an installed package.

    An editable checkout under PYTHONDONTWRITEBYTECODE (set on some machines) would otherwise compile every
    module from source in every run, which no installed copy of the tool does.
    """
    import compileall

    import tui_health

    compileall.compile_dir(Path(tui_health.__file__).parent, quiet=1)


def fresh_home() -> dict[str, str]:
    """An environment with a new, empty home: the state dir (audit log, history, engine state) starts empty, as
    on a machine that never ran tui-health, and nothing of the caller's is read."""
    home = tempfile.mkdtemp(prefix="bench-once-home-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUI_HEALTH_", "XDG_", "GENESYSCLOUD_"))}
    return {**env, **CREDENTIALS, "HOME": home}


def measure(runs: int, components: int, latency_ms: float) -> dict[str, list[float]]:
    """Wall times of each command, alternating, after one warm-up run each."""
    compile_package()
    with simulator(components, latency_ms=latency_ms) as url:
        commands = {
            "once": [
                *(sys.executable, "-m", "tui_health", "--once", "--format", "json"),
                *("--api-url", url, "--login-url", url),
            ],
            "floor": [sys.executable, "-c", FLOOR, url],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm-up: page cache, .pyc files
            timed(cmd, fresh_home())
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, fresh_home()))
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
        print(f"  {name:<6} median {value * 1000:7.0f} ms   ({spread})")
    print(f"  once / floor = {med['once'] / med['floor']:.2f}x   (goal <= 1.15x)")


if __name__ == "__main__":
    main()
