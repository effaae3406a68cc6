"""Soak: resident memory of ``tui-health --headless`` — the real process — polling a scenario that changes.

A simulator runs in its own process (--components N, 1 % of them changing on every poll); ``tui-health --headless
--interval S`` runs as a process of its own with a fresh home (audit log, history, engine state written as in
production) for --minutes. Its resident memory is read from /proc every minute; growth is counted from the end of
the warm-up. Goal: <= 5 MB growth over 30 minutes after warm-up.
Usage: python benchmarks/soak_headless.py [--minutes 30] [--components 1000] [--interval 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

from bench_once import fresh_home
from common import rss_mb, simulator


def run(minutes: float, components: int, interval: float, warmup: float) -> tuple[float, float]:
    churn = max(0.01, 1 / components)
    with simulator(components, latency_ms=20, churn=churn) as url, tempfile.TemporaryDirectory() as scratch:
        config = f"{scratch}/config.toml"
        with open(config, "w") as fh:  # back-to-back polls for a soak: more than a real org's budget allows
            fh.write("[poll]\nrequest_budget = 300\nmin_gap = 0\n")
        env = {**fresh_home(), "TUI_HEALTH_CONFIG": config}
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "tui_health", "--headless", "--interval", str(interval)),
                *("--api-url", url, "--login-url", url),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            baseline = None
            print(f"{'minute':>6} {'rss MB':>8}", flush=True)
            for minute in range(1, int(minutes) + 1):
                time.sleep(60)
                if proc.poll() is not None:
                    raise SystemExit(f"--headless exited with {proc.returncode}")
                rss = rss_mb(proc.pid)
                print(f"{minute:>6} {rss:>8.1f}", flush=True)
                if minute == warmup:
                    baseline = rss
            final = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return baseline or final, final


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=2)
    args = parser.parse_args()
    base, final = run(args.minutes, args.components, args.interval, args.warmup)
    print(
        f"--headless, {args.components:,} components, a poll every {args.interval:g} s: after warm-up {base:.1f} MB, "
        f"after {args.minutes:g} min {final:.1f} MB: growth {final - base:+.1f} MB (goal <= 5 MB over 30 min)"
    )


if __name__ == "__main__":
    main()
