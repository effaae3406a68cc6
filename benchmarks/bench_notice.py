"""Benchmark: time to notice — from a change in the simulated org to (a) the console's row and (b) an alert at a
webhook receiver.

The simulator runs in its own process (``tui-health simulate`` with an org of 2 Edges, 4 trunks); the console
runs in this one (Textual's headless mode, the real app) with ``poll.interval = 60`` and ``flap_interval = 0`` (so
that the alert waits for nothing but noticing; with a flap interval the alert waits that much longer, on
purpose). A trunk is dropped and restored through the simulator's control route, and the clock runs from just
before that request to:

  row      the console's table showing the trunk in its new status
  webhook  the receiver (a small HTTP server in this process) holding the alert

Cases: *push* (the notification channel tells), *socket dropped* (every socket is cut at the moment of the change
and the change is not pushed: the catch-up poll after reconnecting must find it — nothing lost), *poll only*
(``push.enabled = false``, at a 15 s interval: what it was before, for scale), and *a site goes dark* (every desk
phone of a site goes offline, each pushed on its own phone's topic: the ``phones`` source's site row).
Goal: push <= 2 s for both, at a 60 s poll interval; socket dropped: every change arrives.
Usage: python benchmarks/bench_notice.py [--trials 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from common import CREDENTIALS

from tui_health.model.domain import Status
from tui_health.monitor.runtime import open_monitors
from tui_health.settings.config import load_settings
from tui_health.tui.app import HealthApp
from tui_health.tui.widgets.components_table import ComponentsTable

ORG = {"org": {"edges": 2, "trunks_per_edge": 2, "sites": 2, "phones_per_site": 4}, "latency_ms": 20}


class Subject:
    """What a case changes: the source that watches it, the simulator's change, and the row it makes."""

    def __init__(self, source: str, kind: str, ident: str, field: str) -> None:
        self.source, self.kind, self.ident, self.field = source, kind, ident, field
        self.component = f"{kind}:{ident}"

    def change(self, status: Status, publish: bool) -> dict[str, Any]:
        up = status is Status.HEALTHY
        return {"kind": self.kind, "id": self.ident, "fields": {self.field: up}, "publish": publish}


TRUNK = Subject("trunks", "trunk", "trunk-1-1", "connected")
SITE = Subject("phones", "site", "site-1", "online")


@contextmanager
def org_simulator() -> Iterator[str]:
    """``tui-health simulate`` with an org, in a process of its own; yields its URL."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(ORG, fh)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "simulate", "--port", "0", "--scenario", fh.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split(" ", 1)[0] if " at " in line else ""
        if not url.startswith("http://"):
            raise SystemExit(f"the simulator did not start: {line.strip()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        Path(fh.name).unlink()


class Receiver:
    """A webhook receiver that notes when each alert about a component arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, str]] = []  # (perf_counter, component, status)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                for log in body.get("logs", []):
                    for component in log.get("component_ids", []):
                        receiver.arrivals.append((time.perf_counter(), component, log.get("status")))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def first(self, component: str, status: str, after: float) -> float | None:
        return next((t for t, c, s in self.arrivals if c == component and s == status and t >= after), None)


async def until(predicate: Any, timeout: float) -> float | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        await asyncio.sleep(0.005)
    return None


async def case(
    url: str,
    receiver: Receiver,
    *,
    push: bool,
    interval: float,
    drop: bool,
    trials: int,
    subject: Subject = TRUNK,
) -> dict[str, Any]:
    flags = {
        "genesys.api_url": url,
        "genesys.login_url": url,
        "poll.sources": [subject.source],
        "poll.interval": interval,
        "thresholds.flap_interval": 0,
        "push.enabled": push,
        "alerts.sinks": [{"type": "webhook", "url": receiver.url}],
    }
    with tempfile.TemporaryDirectory() as scratch:
        flags |= {
            "state.dir": scratch,
            "audit.path": f"{scratch}/audit.jsonl",
            "alerts.outbox": f"{scratch}/outbox.sqlite3",
        }
        settings = load_settings(path=Path(scratch) / "none.toml", env=CREDENTIALS, flags=flags)
        async with open_monitors(settings, config_path=Path(scratch) / "none.toml") as monitors:
            app = HealthApp(monitors)
            async with app.run_test(size=(140, 40)) as pilot, httpx.AsyncClient(base_url=url) as control:
                monitor = monitors[0]

                table = app.query_one(ComponentsTable)

                def shown(status: Status) -> bool:
                    """The table's own rows (what it draws) hold the subject in ``status``."""
                    row = next((c for c in table._views if c.id == subject.component), None)
                    return row is not None and row.observed is status

                await until(lambda: shown(Status.HEALTHY), 30)
                if push:
                    assert monitor.push is not None
                    await until(lambda: monitor.push.gaps >= 1 and not monitor.push.busy, 30)
                rows, hooks, lost = [], [], 0
                for trial in range(trials):
                    status = Status.DOWN if trial % 2 == 0 else Status.HEALTHY
                    await pilot.pause()
                    started = time.perf_counter()
                    if drop:
                        await control.post("/sim/channels/drop")
                    await control.post("/sim/org", json=subject.change(status, publish=not drop))
                    seen = await until(lambda status=status: shown(status), interval * 2 + 10)
                    hook = await until(
                        lambda status=status, started=started: (
                            receiver.first(subject.component, str(status), started) is not None
                        ),
                        interval * 2 + 10,
                    )
                    if seen is None or hook is None:
                        lost += 1
                        continue
                    rows.append(seen - started)
                    arrived = receiver.first(subject.component, str(status), started)
                    hooks.append(arrived - started)  # type: ignore[operator]
                    if push and not drop:
                        await asyncio.sleep(0.2)
                    elif push:  # the next change after the reconnection's catch-up
                        await until(
                            lambda trial=trial: (
                                not monitor.push.busy and monitor.push.channels[0].opened > trial + 1
                            ),
                            30,
                        )
                requests = monitor.budget.used() if monitor.budget else 0
    return {"rows": rows, "hooks": hooks, "lost": lost, "requests_last_minute": requests}


def summary(values: list[float]) -> str:
    if not values:
        return "none arrived"
    return f"median {statistics.median(values):.2f} s, max {max(values):.2f} s"


async def main_async(trials: int) -> list[tuple[str, dict[str, Any]]]:
    receiver = Receiver()
    out = []
    with org_simulator() as url:
        out.append(
            (
                "push (60 s poll interval)",
                await case(url, receiver, push=True, interval=60, drop=False, trials=trials),
            )
        )
        out.append(
            (
                "socket dropped at the change",
                await case(url, receiver, push=True, interval=60, drop=True, trials=max(2, trials // 2)),
            )
        )
        out.append(
            (
                "a site goes dark (phones, push, 60 s poll interval)",
                await case(url, receiver, push=True, interval=60, drop=False, trials=trials, subject=SITE),
            )
        )
        out.append(
            (
                "poll only (15 s interval)",
                await case(url, receiver, push=False, interval=15, drop=False, trials=2),
            )
        )
    receiver.server.shutdown()
    return out


def run(trials: int) -> list[tuple[str, dict[str, Any]]]:
    return asyncio.run(main_async(trials))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=6)
    args = parser.parse_args()
    for name, result in run(args.trials):
        changes = len(result["rows"]) + result["lost"]
        print(f"{name}:")
        print(f"  console row   {summary(result['rows'])}")
        print(f"  webhook       {summary(result['hooks'])}")
        print(f"  changes       {changes}, lost {result['lost']}")


if __name__ == "__main__":
    main()
