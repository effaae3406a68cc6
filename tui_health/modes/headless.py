"""``--headless``: the poll loop as a service. Every audit event is also printed to stdout as a JSON line.

Stops cleanly on SIGINT/SIGTERM (at once: a poll in flight is cancelled, undelivered alerts stay in the outbox for
the next start), when the reader of stdout goes away (``| head -3``: quietly, exit 0), or after
``--max-polls``/``--duration`` (then it waits up to ``alerts.once_wait`` seconds for pending deliveries).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from tui_health.model.domain import AuditEvent, Snapshot
from tui_health.model.state import SourceOutcome, connection_verdict
from tui_health.monitor.runtime import open_monitors, reload_all
from tui_health.serve import serving
from tui_health.settings.config import Settings
from tui_health.support.sd_notify import Notifier
from tui_health.support.signals import interruptible, silence_stdout
from tui_health.support.text import clean


async def run_headless(
    settings: Settings,
    *,
    config_path: Path,
    max_polls: int | None = None,
    duration: float | None = None,
    out: IO[str] | None = None,
    read_only: bool = False,
    listen: tuple[str, int] | None = None,
    serve: tuple[str, int] | None = None,
    only: Sequence[str] = (),
    reread: Callable[[], Settings] | None = None,
) -> int:
    """``listen``: also serve /metrics, /healthz and /status.json there (see :mod:`tui_health.serve.http`).
    ``reread``: the config read again; with it SIGHUP (and ``POST /-/reload``) reload it (see
    :mod:`tui_health.monitor.reload`)."""
    out = out or sys.stdout
    printing = True
    monitors: list[Any] = []

    def reload() -> list[str]:
        if reread is None:
            return ["this process cannot reload its config"]
        problems = reload_all(monitors, reread, only)
        for line in problems:
            print(f"tui-health: {line}", file=sys.stderr, flush=True)
        return problems

    async with (
        open_monitors(settings, config_path=config_path, read_only=read_only, only=only) as opened,
        interruptible(on_hangup=reload if reread is not None else None) as stop,
    ):
        monitors[:] = opened

        def emit(event: AuditEvent, line: str) -> None:
            nonlocal printing
            if not printing:
                return
            try:
                out.write(line + "\n")
                out.flush()
            except (BrokenPipeError, ValueError):
                # the reader went away (`| head -3`): stop like a signal would, quietly (nothing more to print)
                printing = False
                stop.reason = "stdout closed"
                stop.set()
                silence_stdout()

        systemd = Notifier()
        told = SystemdTold(systemd, len(monitors))
        with serving(monitors, listen, serve, settings.serve, reload=reload if reread is not None else None):
            for monitor in monitors:  # one per target; a slow or failing target never holds up another
                monitor.audit.listeners.append(emit)
                monitor.observers.append(told)
                await monitor.start()
            runs = [
                asyncio.ensure_future(m.run(stop, max_polls=max_polls, duration=duration)) for m in monitors
            ]
            pinging = asyncio.ensure_future(told.keep_pinging()) if systemd.watchdog_every else None
            try:
                await asyncio.gather(*runs)
            except BaseException:  # one target's run failed (its state directory gone): every run ends
                stop.set()
                await asyncio.gather(*runs, return_exceptions=True)
                raise
            finally:
                systemd.stopping()
                if pinging is not None:
                    pinging.cancel()
                wait = 0.0 if stop.is_set() else settings.alerts.once_wait
                await asyncio.gather(*(m.close(delivery_wait=wait) for m in monitors))
    return 0


def service_status(targets: int, latest: Sequence[tuple[str, Snapshot]]) -> str:
    """The one line ``systemctl status`` shows: how many targets are watched, and — when polls get no answer —
    which and why, so a service whose every poll fails never reads as a healthy one. ``latest``: each target's
    name and last poll."""
    failing = [(name, snapshot) for name, snapshot in latest if not snapshot.ok]
    if not failing:
        return f"watching {targets} target(s)"
    name, snapshot = failing[0]
    outcomes = [SourceOutcome(s.name, s.ok, s.error_kind, s.error, s.retry_at) for s in snapshot.sources]
    why = connection_verdict(outcomes).message or "no source answered"  # the header's rule
    if targets > 1:
        why = f"{name}: {why}"
    if len(failing) == len(latest) == targets:
        more = f" (all {targets} targets)" if targets > 1 else ""
        return clean(f"every poll failing{more}: {why}", STATUS_LIMIT)
    return clean(f"watching {targets} target(s); {len(failing)} failing: {why}", STATUS_LIMIT)


STATUS_LIMIT = 300
"""Characters of a STATUS line at most (an error message can be long; systemd shows one line)."""


class SystemdTold:
    """Tells systemd (``Type=notify``) READY once every target has polled once, WATCHDOG after each poll and every
    half ``WatchdogSec`` while the loop runs (a hung event loop stops the pings and systemd restarts the service),
    and a STATUS line whenever what it says changes (:func:`service_status`: every poll failing says so)."""

    def __init__(self, systemd: Notifier, targets: int) -> None:
        self.systemd = systemd
        self.waiting = targets
        self.latest: dict[int, tuple[str, Snapshot]] = {}
        self.status: str | None = None  # what systemd was told last (None: not READY yet)

    def polled(self, monitor: Any, snapshot: Snapshot) -> None:
        self.latest[id(monitor)] = (monitor.region, snapshot)
        if len(self.latest) == self.waiting:
            status = service_status(self.waiting, list(self.latest.values()))
            if self.status is None:
                self.systemd.ready(status)
            elif status != self.status:
                self.systemd.send(f"STATUS={status}")
            self.status = status
        self.systemd.watchdog()

    def recorded(self, monitor: Any, events: list[AuditEvent]) -> None:
        return None

    async def keep_pinging(self) -> None:
        assert self.systemd.watchdog_every is not None
        while True:
            await asyncio.sleep(self.systemd.watchdog_every)
            self.systemd.watchdog()
