"""Starts the console: the monitor is opened first, so config and credential errors print as one line."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.modes.base import Invocation, endpoints

if TYPE_CHECKING:
    from tui_health.settings.config import Settings

TITLE = "the console"
OWNS = ("serve", "metrics_listen", "read_only")


def select(choice: argparse._MutuallyExclusiveGroup) -> None:
    """The console is what runs when no other mode is asked for: it has no selector."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """No flag of its own (``--serve``, ``--metrics-listen`` and ``--read-only`` are shared)."""


def chosen(args: argparse.Namespace) -> bool:
    return True


def check(args: argparse.Namespace) -> None:
    return None


def run(invocation: Invocation) -> int:
    from tui_health.serve.bounded import raise_fd_limit

    args = invocation.args
    settings = invocation.live_settings()
    listen, serve = endpoints(args)
    raise_fd_limit()  # a long-running monitor (and its collector) keeps descriptors in reserve
    return asyncio.run(
        run_tui(
            settings,
            config_path=invocation.path,
            read_only=args.read_only,
            listen=listen,
            serve=serve,
            only=invocation.only,
        )
    )


class ConsoleApp(Protocol):
    """What :func:`run_app` needs of a Textual app, said here so that this module (which ``--once`` and
    ``--headless`` never import, but the layout rules read) names no Textual type at all."""

    async def run_async(self) -> int | None: ...

    def exit(self, result: int | None = None) -> None: ...


async def run_tui(
    settings: Settings,
    *,
    config_path: Path,
    read_only: bool = False,
    listen: tuple[str, int] | None = None,
    serve: tuple[str, int] | None = None,
    only: Sequence[str] = (),
) -> int:

    from tui_health.modes.demo import playing
    from tui_health.monitor.runtime import open_monitors
    from tui_health.serve import serving

    async with open_monitors(settings, config_path=config_path, read_only=read_only, only=only) as monitors:
        first: list[asyncio.Future[object]] = []
        try:
            with serving(monitors, listen, serve, settings.serve):
                # the first poll starts now, and Textual (a quarter of a second of imports) loads in a thread
                # meanwhile: the first table is drawn as soon as both are done, not one after the other
                for monitor in monitors:
                    await monitor.start()
                plan = playing()
                if plan is not None:  # --demo: say what its scenario will do, before anything happens
                    announce(monitors, plan)
                first = [asyncio.ensure_future(monitor.poll()) for monitor in monitors]
                health_app = await asyncio.to_thread(_load_app)
                return await run_app(
                    health_app(
                        monitors, bell=settings.display.bell, started=True, first_polls=first, notice=plan
                    )
                )
        finally:
            for poll in first:
                poll.cancel()
            await asyncio.gather(*(monitor.close(delivery_wait=0.0) for monitor in monitors))


def announce(monitors: Sequence[Any], plan: str) -> None:
    """Audit what the demo's scenario will do (the console shows it in its audit pane, whole in the viewer)."""
    from tui_health.model.domain import AuditEvent, EventType

    for monitor in monitors:
        event = AuditEvent(
            timestamp=monitor.clock.now(),
            event_type=EventType.DEMO_SCENARIO,
            message=plan,
            source="simulator",
        )
        monitor.record([event])


def _load_app() -> Any:
    from tui_health.tui.app import HealthApp

    return HealthApp


async def run_app(app: ConsoleApp) -> int:
    """Run ``app``; SIGTERM/SIGINT quit like `q`, so the driver restores the terminal (alternate screen, mouse
    tracking) whichever way it ends."""
    from tui_health.support.signals import interruptible

    async with interruptible() as stop:
        quit_on_signal = asyncio.ensure_future(stop.wait())
        quit_on_signal.add_done_callback(lambda done: None if done.cancelled() else app.exit(0))
        try:
            code = await app.run_async()
        finally:
            quit_on_signal.cancel()
    return code or 0
