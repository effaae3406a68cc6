"""Starts the console: the monitor is opened first, so config and credential errors print as one line."""

from __future__ import annotations

from pathlib import Path

from tui_health.config import Settings
from tui_health.runtime import open_monitor
from tui_health.store import StateStore


async def run_tui(settings: Settings, *, config_path: Path) -> int:
    from tui_health.tui.app import HealthApp

    store = StateStore()
    async with open_monitor(settings, config_path=config_path, store=store) as monitor:
        app = HealthApp(monitor, store)
        try:
            code = await app.run_async()
        finally:
            await monitor.close(delivery_wait=0.0)
    return code or 0
