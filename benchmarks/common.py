"""Helpers the benchmarks share: a simulator in its own process, resident memory, CPU time of a process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CREDENTIALS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "bench", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "bench"}


@contextmanager
def simulator(
    components: int, latency_ms: float = 50, scenario: str = "large", churn: float = 0.0
) -> Iterator[str]:
    """``tui-health simulate`` in a separate process, so its CPU never counts as ours; yields its URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_health",
            "simulate",
            "--port",
            "0",
            "--scenario",
            scenario,
            "--components",
            str(components),
            "--latency-ms",
            str(latency_ms),
            "--churn",
            str(churn),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://[\d.]+:\d+", line)
        if not found:
            raise SystemExit(f"the simulator did not start: {line.strip()}")
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MB."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
