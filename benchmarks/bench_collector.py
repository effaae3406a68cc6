"""The collector under load: 200 parallel scrapers, and 1,000 idle connections, beside a polling --headless.

Prints how long scrapes took (every answer, refusals included, and how many got none), how many polls the
collector made meanwhile against how many its interval asks for, and its resident memory before and after 100
event-stream clients came and went (64 places by default; the rest are refused). Nothing here asserts: it
measures and prints. ``--one-address`` scrapes from one address (scrapers behind one NAT or proxy), which the
per-address cap lets use every idle slot while no other address waits.

    .venv/bin/python benchmarks/bench_collector.py [--seconds 20] [--scrapers 200] [--idle 1000] [--one-address]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import CREDENTIALS, rss_mb, simulator

INTERVAL = 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_collector(url: str, port: int, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **CREDENTIALS, "HOME": str(home)}
    args = ["--headless", "--api-url", url, "--login-url", url, "--no-alerts", "--no-history",
            "--interval", str(INTERVAL), "--serve", f"127.0.0.1:{port}"]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "tui_health", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)),
    )


def scrape_storm(
    port: int, scrapers: int, seconds: float, one_address: bool = False
) -> tuple[list[float], int, int]:
    """``scrapers`` threads scraping /metrics back to back for ``seconds``: (latencies, refused, no answer)."""
    latencies: list[float] = []
    refused = unanswered = 0
    lock = threading.Lock()
    ends = time.monotonic() + seconds

    def scraper(index: int) -> None:
        nonlocal refused, unanswered
        # scrapers on their own addresses, as Prometheus servers are (or all behind one)
        source = "127.0.1.1" if one_address else f"127.0.1.{1 + index % 250}"
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(timeout=30, transport=transport) as client:
            while time.monotonic() < ends:
                started = time.monotonic()
                try:
                    answer = client.get(f"http://127.0.0.1:{port}/metrics")
                except httpx.HTTPError:
                    with lock:
                        unanswered += 1
                    continue
                with lock:
                    latencies.append(time.monotonic() - started)
                    refused += answer.status_code != 200

    threads = [threading.Thread(target=scraper, args=(n,)) for n in range(scrapers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, refused, unanswered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--scrapers", type=int, default=200)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--one-address", action="store_true", help="every scraper from one address")
    args = parser.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    with simulator(args.components, latency_ms=50) as url, tempfile.TemporaryDirectory() as home:
        port = free_port()
        collector = start_collector(url, port, Path(home))
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            base = rss_mb(collector.pid)
            idle = []
            for _ in range(args.idle):
                try:
                    idle.append(socket.create_connection(("127.0.0.1", port), 5, ("127.0.0.2", 0)))
                except OSError:
                    break
            polls_before = status_polls(port)
            latencies, refused, unanswered = scrape_storm(port, args.scrapers, args.seconds, args.one_address)
            polls_after = status_polls(port)
            for sock in idle:
                sock.close()
            after_storm = rss_mb(collector.pid)
            streams = []
            for _ in range(100):
                sock = socket.create_connection(("127.0.0.1", port), 5)
                sock.sendall(b"GET /events HTTP/1.1\r\n\r\n")
                streams.append(sock)
            time.sleep(3)
            with_streams = rss_mb(collector.pid)
            for sock in streams:
                sock.close()
            time.sleep(3)
            after = rss_mb(collector.pid)
        finally:
            collector.terminate()
            collector.communicate(timeout=60)
    latencies.sort()
    expected = args.seconds / INTERVAL
    print(
        f"collector: {args.components} components, a poll every {INTERVAL:g} s, {args.idle} idle connections open"
    )
    print(
        f"  {len(idle)} idle connections made from one address (64 held until their head timeout, 256 wait, "
        "the rest answered 503 at once)"
    )
    where = "one address" if args.one_address else "their own addresses"
    print(
        f"  {args.scrapers} scrapers from {where} for {args.seconds:g} s: {len(latencies)} answers "
        f"({refused} of them 503 'busy'), {unanswered} with no answer"
    )
    if latencies:
        print(
            f"  scrape time: median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )
    print(f"  polls during the storm: {polls_after - polls_before} (about {expected:.0f} on cadence)")
    print(
        f"  memory: {base:.0f} MB at start, {after_storm:.0f} MB after the storm, {with_streams:.0f} MB with 100 "
        f"event-stream clients, {after:.0f} MB after they left"
    )


def status_polls(port: int) -> int:
    """The collector's poll count, from its own state."""
    answer = httpx.get(f"http://127.0.0.1:{port}/state.json", timeout=30)
    return int(answer.json()["targets"][0]["poll_count"])


if __name__ == "__main__":
    main()
