"""Starts the console: the monitor is opened first, so config and credential errors print as one line."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from tui_health.monitor.runtime import open_monitors
from tui_health.settings.config import Settings
from tui_health.support.signals import interruptible


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
    async with interruptible() as stop:
        quit_on_signal = asyncio.ensure_future(stop.wait())
        quit_on_signal.add_done_callback(lambda done: None if done.cancelled() else app.exit(0))
        try:
            code = await app.run_async()
        finally:
            quit_on_signal.cancel()
    return code or 0


async def run_replay(
    settings: Settings, *, since: str | None, demo: bool = False, only: Sequence[str] = ()
) -> int:
    """The console on the first target's recorded history, at ``since`` (else the last poll). ``demo``: a week
    of the simulator is recorded first (in the demo's own scratch directory)."""
    import os
    from datetime import UTC, datetime

    from tui_health.history.reader import HistoryReader
    from tui_health.history.replay import Replay, ReplayMonitor
    from tui_health.settings.target import one_target, targets_from
    from tui_health.support.errors import ConfigError
    from tui_health.support.timespec import require_moment
    from tui_health.tui.replay_app import ReplayApp

    target = one_target(targets_from(settings, dict(os.environ), only), "--replay")
    path = settings.history_path(target.key)
    now = datetime.now(UTC)
    moment = require_moment("--since", since, now) if since is not None else None
    if demo:
        from tui_health.simulator.recorded_week import record_history

        await asyncio.to_thread(record_history, path, end=now, target=target.name)
    reader = HistoryReader(path)
    replay = Replay(reader, region=target.name, interval=settings.poll.interval)
    if not len(replay):
        reader.close()
        raise ConfigError(
            f"the history at {path} holds no poll yet", hint="run the monitor for a while first"
        )
    monitor = ReplayMonitor(replay, replay.index_at(moment) if moment else len(replay) - 1)
    try:
        return await run_app(ReplayApp(monitor))
    finally:
        await monitor.close()


async def run_attach(url: str, token: str | None) -> int:
    """The console on a collector's live state (``--attach URL``): nothing is polled here."""
    from tui_health.serve.attach import Attachment
    from tui_health.tui.app import HealthApp

    attachment = Attachment(url, token)
    try:
        targets = await attachment.open()
        return await run_app(HealthApp(targets, autopoll=False))
    finally:
        await attachment.close()
