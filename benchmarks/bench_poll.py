"""Benchmark: CPU per poll of the headless poll loop, by component count.

For each size a simulator runs in its own process (50 ms latency, pages of 100, a few components changing); this
process builds the same Monitor ``--headless`` runs and measures the CPU time (``time.process_time``) of each poll
after the first. Goal: <= 15 us per component at 10,000 (<= 150 ms a poll).
Usage: python benchmarks/bench_poll.py [--sizes 1000,10000] [--polls 5] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import tempfile
import time
from pathlib import Path

from common import CREDENTIALS, simulator

from tui_health.monitor.runtime import open_monitors
from tui_health.settings.config import load_settings


def settings_for(url: str, directory: Path, page_size: int):  # type: ignore[no-untyped-def]
    settings = load_settings(
        path=directory / "none.toml",
        env=CREDENTIALS,
        flags={
            "genesys.api_url": url,
            "genesys.login_url": url,
            "poll.page_size": page_size,
            "audit.path": str(directory / "audit.jsonl"),
            "state.dir": str(directory),
        },
    )
    # the benchmark polls back to back; the per-token budget (a safety limit for real orgs) is not what it measures
    poll = settings.poll.model_copy(update={"request_budget": 100_000, "min_gap": 0})
    return settings.model_copy(update={"poll": poll})


async def measure(url: str, polls: int, page_size: int, profile: cProfile.Profile | None) -> list[float]:
    with tempfile.TemporaryDirectory() as directory:
        settings = settings_for(url, Path(directory), page_size)
        async with open_monitors(settings, config_path=Path(directory) / "none.toml") as monitors:
            (monitor,) = monitors
            await monitor.start()
            await monitor.poll()  # the first poll fills the engine; later polls are the steady state
            used = []
            for _ in range(polls):
                if profile:
                    profile.enable()
                started = time.process_time()
                await monitor.poll()
                used.append(time.process_time() - started)
                if profile:
                    profile.disable()
            await monitor.close(delivery_wait=0)
    return used


async def side_by_side(url: str, rounds: int, page_size: int) -> tuple[list[float], list[float]]:
    """CPU of a poll of ours and of a bare httpx walk of the same pages, alternating in one process against one
    simulator, so both see the same machine at the same moments (the ratio is what is compared)."""
    import httpx

    ours: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        settings = settings_for(url, Path(directory), page_size)
        async with (
            open_monitors(settings, config_path=Path(directory) / "none.toml") as monitors,
            httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=10)) as client,
        ):
            (monitor,) = monitors
            await monitor.start()
            token = await client.post(
                "/oauth/token", auth=("bench", "bench"), data={"grant_type": "client_credentials"}
            )
            headers = {"Authorization": "Bearer " + token.json()["access_token"]}
            limit = asyncio.Semaphore(10)  # as many at once as poll.concurrency

            async def page(number: int) -> object:
                async with limit:
                    params = {"pageSize": page_size, "pageNumber": number, "expand": "details"}
                    answer = await client.get("/api/v2/health/details", params=params, headers=headers)
                    return answer.json()

            async def walk() -> None:
                first = await page(1)
                assert isinstance(first, dict)
                await asyncio.gather(*(page(n) for n in range(2, first["pageCount"] + 1)))

            await monitor.poll()  # warm-up: the engine's baseline, connections open
            await walk()
            for _ in range(rounds):
                started = time.process_time()
                await monitor.poll()
                ours.append(time.process_time() - started)
                started = time.process_time()
                await walk()
                bare.append(time.process_time() - started)
            await monitor.close(delivery_wait=0)
    return ours, bare


def compare(size: int, churn: float, rounds: int, page_size: int = 100) -> tuple[float, float]:
    """Median CPU per poll of ours and of the bare walk (see :func:`side_by_side`)."""
    with simulator(size, churn=churn) as url:
        ours, bare = asyncio.run(side_by_side(url, rounds, page_size))
    return statistics.median(ours), statistics.median(bare)


def run(
    sizes: list[int], polls: int, page_size: int, profile_path: str | None, churn: float = 0.0
) -> dict[int, float]:
    results = {}
    for size in sizes:
        profile = cProfile.Profile() if profile_path else None
        with simulator(size, churn=churn) as url:
            used = asyncio.run(measure(url, polls, page_size, profile))
        results[size] = statistics.median(used)
        if profile and profile_path:
            profile.dump_stats(f"{profile_path}.{size}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--polls", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--profile", help="write cProfile stats of the measured polls to FILE.<size>")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = run(sizes, args.polls, args.page_size, args.profile)
    print(f"CPU per poll, median of {args.polls} after the first (pages of {args.page_size}, 50 ms latency):")
    for size, cpu in results.items():
        print(f"  {size:>7,} components  {cpu * 1000:7.1f} ms  = {cpu / size * 1e6:5.1f} us per component")
    print("  goal: <= 15 us per component at 10,000")


if __name__ == "__main__":
    main()
