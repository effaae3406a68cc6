"""Stopping on SIGINT/SIGTERM without dying mid-write: the signal sets an event, the mode winds down.

A reader of stdout that goes away (``| head``) is a request to stop too, and :func:`silence_stdout` keeps the
interpreter from complaining about the closed pipe on its way out. Every mode uses it: ``--once`` cancels its poll (exit 3, nothing was checked), ``--headless`` cancels the poll in
flight and closes (exit 0), the console quits like ``q`` (exit 0, terminal restored).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable


class StopSignal(asyncio.Event):
    """Set by SIGINT, SIGTERM or SIGHUP (the terminal went away, or a service manager asked); ``reason`` names
    which."""

    reason = ""


@contextlib.asynccontextmanager
async def interruptible(on_hangup: Callable[[], object] | None = None) -> AsyncIterator[StopSignal]:
    """SIGINT/SIGTERM/SIGHUP set the event instead of killing the process mid-write (SIGHUP's default would end
    it at once: no stop event, WAL files left); handlers removed on exit. ``on_hangup``: SIGHUP calls it
    instead (a service reloads its config on SIGHUP, as daemons do; a terminal's hang-up stops the console)."""
    stop = StopSignal()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):

        def handle(sig: signal.Signals = sig) -> None:
            if sig is signal.SIGHUP and on_hangup is not None:
                on_hangup()
                return
            stop.reason = sig.name
            stop.set()

        try:
            loop.add_signal_handler(sig, handle)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no signals
            pass
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot complain about a closed pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
