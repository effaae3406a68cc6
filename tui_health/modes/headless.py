"""``--headless``: the poll loop as a service. Every audit event is also printed to stdout as a JSON line.

Stops cleanly on SIGINT/SIGTERM (at once: a poll in flight is cancelled, undelivered alerts stay in the outbox for
the next start), when the reader of stdout goes away (``| head -3``: quietly, exit 0), or after
``--max-polls``/``--duration`` (then it waits up to ``alerts.once_wait`` seconds for pending deliveries).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tui_health.model.domain import AuditEvent, Snapshot
from tui_health.model.state import SourceOutcome, connection_verdict
from tui_health.modes.base import Invocation, endpoints, seconds
from tui_health.support.errors import ConfigError
from tui_health.support.text import clean

if TYPE_CHECKING:
    from tui_health.settings.config import Settings
    from tui_health.support.sd_notify import Notifier

TITLE = "--headless"
OWNS = ("max_polls", "duration", "serve", "metrics_listen", "read_only")


def select(choice: argparse._MutuallyExclusiveGroup) -> None:
    choice.add_argument("--headless", action="store_true", help="run the poll loop as a service (JSON lines)")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-polls", type=int, default=None, metavar="N", help="--headless: stop after N polls"
    )
    parser.add_argument(
        "--duration", type=seconds, default=None, metavar="SECONDS", help="--headless: stop after this long"
    )


def chosen(args: argparse.Namespace) -> bool:
    return bool(args.headless)


def check(args: argparse.Namespace) -> None:
    if args.max_polls is not None and args.max_polls < 1:
        raise ConfigError(f"--max-polls must be at least 1, got {args.max_polls}")
    if args.duration is not None and not (0 < args.duration < float("inf")):
        raise ConfigError(f"--duration must be a positive number of seconds, got {args.duration:g}")


def run(invocation: Invocation) -> int:
    from tui_health.serve.bounded import raise_fd_limit

    args = invocation.args
    settings = invocation.live_settings()
    listen, serve = endpoints(args)
    raise_fd_limit()  # a long-running monitor (and its collector) keeps descriptors in reserve
    return asyncio.run(
        run_headless(
            settings,
            config_path=invocation.path,
            max_polls=args.max_polls,
            duration=args.duration,
            read_only=args.read_only,
            listen=listen,
            serve=serve,
            only=invocation.only,
            reread=invocation.reread,  # SIGHUP and POST /-/reload read the same layers again
        )
    )


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
    from tui_health.monitor.runtime import open_monitors, reload_all
    from tui_health.serve import serving
    from tui_health.support.sd_notify import Notifier
    from tui_health.support.signals import interruptible, silence_stdout

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
