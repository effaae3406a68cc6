"""The poll loop: one poll after another at the monitor's interval, until told to stop — and stopping never waits
for a server (a poll in flight is cancelled)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol

from tui_health.model.state import MonitorState


class Pollable(Protocol):
    """What the loop needs of a monitor."""

    @property
    def paused(self) -> bool: ...

    @property
    def interval(self) -> float: ...

    async def poll(self) -> MonitorState: ...


async def run(
    monitor: Pollable, stop: asyncio.Event, *, max_polls: int | None = None, duration: float | None = None
) -> None:
    """Poll until ``stop`` is set, ``max_polls`` polls, or ``duration`` seconds; polls never overlap.

    Setting ``stop`` cancels a poll in flight, and so does the end of ``duration`` (a poll waiting on the
    request budget or a slow server never keeps a timed run going): stopping never waits for a server.
    """
    ends = None if duration is None else time.monotonic() + duration
    polls = 0
    while not stop.is_set():
        if not monitor.paused:
            left = None if ends is None else ends - time.monotonic()
            if await poll_unless(monitor, stop, timeout=left) is None:
                return
            polls += 1
        if max_polls is not None and polls >= max_polls:
            return
        wait = monitor.interval if ends is None else min(monitor.interval, ends - time.monotonic())
        if wait <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
        if ends is not None and time.monotonic() >= ends:
            return


async def poll_unless(
    monitor: Pollable, stop: asyncio.Event, *, timeout: float | None = None
) -> MonitorState | None:
    """One poll, cancelled if ``stop`` is set meanwhile or ``timeout`` seconds pass; ``None`` when it was."""
    if timeout is not None and timeout <= 0:
        return None
    poll = asyncio.ensure_future(monitor.poll())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({poll, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if poll.done():
        return poll.result()
    poll.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await poll
    return None
