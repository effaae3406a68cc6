"""Benchmark: CPU used by the live console while nothing changes.

Starts ``tui-health --demo --scenario steady`` in a pseudo-terminal (160x50), lets it settle, then reads its CPU
time from /proc over a window and prints the average CPU use (the in-process simulator included). Quits with q.
Usage: python benchmarks/bench_idle_cpu.py [--seconds 30] [--interval 15]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time

from common import cpu_seconds


def measure(
    seconds: float, interval: float, settle: float, columns: int = 160, lines: int = 50
) -> tuple[float, float]:
    """CPU share of one core and KiB/s written to the terminal by the idle demo console."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "--demo", "--scenario", "steady", "--interval", str(interval)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    received = [0]

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            received[0] += len(chunk)

    threading.Thread(target=drain, daemon=True).start()
    time.sleep(settle)
    start_cpu, start_wall, start_bytes = cpu_seconds(proc.pid), time.monotonic(), received[0]
    time.sleep(seconds)
    used = cpu_seconds(proc.pid) - start_cpu
    wall = time.monotonic() - start_wall
    written = received[0] - start_bytes
    os.write(master, b"q")
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return used / wall, written / wall / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=15)
    parser.add_argument("--settle", type=float, default=5)
    args = parser.parse_args()
    cpu, rate = measure(args.seconds, args.interval, args.settle)
    print(f"demo (steady scenario, poll every {args.interval:g} s) idle for {args.seconds:g} s at 160x50:")
    print(f"  CPU {cpu:.1%} of one core (goal <= 2 %); {rate:.1f} KiB/s to the terminal")


if __name__ == "__main__":
    main()
