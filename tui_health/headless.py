"""``--headless``: the poll loop as a service. Every audit event is also printed to stdout as a JSON line.

Stops cleanly on SIGINT/SIGTERM (at once; undelivered alerts stay in the outbox for the next start) or after
``--max-polls``/``--duration`` (then it waits up to ``alerts.once_wait`` seconds for pending deliveries).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import IO

from tui_health.config import Settings
from tui_health.models import AuditEvent
from tui_health.runtime import open_monitor


async def run_headless(
    settings: Settings,
    *,
    config_path: Path,
    max_polls: int | None = None,
    duration: float | None = None,
    out: IO[str] | None = None,
) -> int:
    out = out or sys.stdout
    stop = asyncio.Event()
    signalled = False
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        nonlocal signalled
        signalled = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)

    printing = True

    def emit(event: AuditEvent, line: str) -> None:
        nonlocal printing
        if not printing:
            return
        try:
            out.write(line + "\n")
            out.flush()
        except (BrokenPipeError, ValueError):
            printing = False  # the reader went away (`| head`): keep monitoring and auditing, stop printing

    async with open_monitor(settings, config_path=config_path) as monitor:
        monitor.audit.listeners.append(emit)
        await monitor.start()
        try:
            await monitor.run(stop, max_polls=max_polls, duration=duration)
        finally:
            await monitor.close(delivery_wait=0.0 if signalled else settings.alerts.once_wait)
    return 0
