"""A recorded history without waiting for it: the offline simulator polled on a FakeClock over days, through a
real Monitor and history writer. ``--demo --replay`` replays it; screenshots and tests show it."""

from __future__ import annotations

import asyncio
import random
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from tui_health.history.session import open_history
from tui_health.simulator.offline import offline_monitor
from tui_health.simulator.scenario import Flap, Scenario, load_scenario
from tui_health.support.clock import FakeClock


def ordinary_week(days: float = 7.0, seed: int = 11) -> Scenario:
    """Days of ordinary life: every few hours something somewhere degrades for a while, now and then a
    component goes down for minutes to an hour, and voice has one long outage two days before the end."""
    rng = random.Random(seed)
    base = load_scenario("steady")
    ids = [cid for cid, _ in base.ids()]
    flaps: list[Flap] = []
    at = rng.uniform(1800, 7200)
    while at < days * 86400 - 3600:
        down = rng.random() < 0.3
        flaps.append(
            Flap(
                at=round(at),
                id=rng.choice(ids),
                status="down" if down else "degraded",
                duration=round(rng.uniform(300, 2700) if down else rng.uniform(600, 5400)),
            )
        )
        at += rng.uniform(3 * 3600, 9 * 3600)
    flaps.append(Flap(at=round((days - 2) * 86400), id="voice-telephony", status="down", duration=5400))
    return base.model_copy(update={"name": "week", "flaps": flaps})


def record_history(
    path: Path,
    *,
    end: datetime,
    days: float = 7.0,
    step: float = 600.0,
    scenario: Scenario | None = None,
    target: str = "eu-central-1 (simulated)",
) -> int:
    """Poll ``scenario`` (default: :func:`ordinary_week`) every ``step`` seconds of fake time for ``days`` up to ``end`` into
    the store at ``path``; returns the number of polls."""
    clock = FakeClock(end - timedelta(days=days))
    polls = int(days * 86400 // step)

    async def run(audit_dir: Path) -> None:
        writer, recorder = open_history(path, retention=max(90 * 86400.0, days * 86400 * 2), interval=step)
        monitor, _ = offline_monitor(
            scenario or ordinary_week(days),
            clock,
            audit_dir,
            critical=("voice-telephony",),
            dependencies={"callbacks": ("voice-telephony",)},
            target=target,
            history=(writer, recorder),
            remember=False,
            settle=False,
        )
        try:
            for index in range(polls):
                if index:
                    clock.advance(step - 0.06)  # the offline source's own latency moves the clock too
                await monitor.poll()
        finally:
            writer.close()
            await asyncio.to_thread(
                monitor.audit.close, 5.0
            )  # its writer thread must not outlive the scratch dir

    with tempfile.TemporaryDirectory(prefix="tui-health-history-") as scratch:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(run(Path(scratch)))
        else:  # called from a running loop (a test, the console): its own loop, on a thread
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, run(Path(scratch))).result()
    return polls
