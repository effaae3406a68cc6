"""Starts the console: the monitor is opened first, so config and credential errors print as one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui_health.config import Settings
from tui_health.runtime import open_monitors
from tui_health.signals import interruptible


async def run_tui(settings: Settings, *, config_path: Path, read_only: bool = False) -> int:
    from tui_health.tui.app import HealthApp

    async with (
        open_monitors(settings, config_path=config_path, read_only=read_only) as monitors,
        interruptible() as stop,
    ):
        app = HealthApp(monitors)
        # SIGTERM/SIGINT quit like `q`: the driver restores the terminal (alternate screen, mouse tracking)
        quit_on_signal = asyncio.ensure_future(stop.wait())
        quit_on_signal.add_done_callback(lambda done: None if done.cancelled() else app.exit(0))
        try:
            code = await app.run_async()
        finally:
            quit_on_signal.cancel()
            await asyncio.gather(*(monitor.close(delivery_wait=0.0) for monitor in monitors))
    return code or 0
