"""Whether our own files can be written: a full or read-only disk is reported, never a crash.

The audit log, the alert outbox and the saved engine state report write failures here instead of raising. The
Monitor turns each change into one event — ``storage_failed`` when trouble starts, ``storage_recovered`` when it
ends — and the header shows the problem while it lasts. Polling and the console go on; what could not be written
is kept in memory (bounded) and written when space returns.
"""

from __future__ import annotations

import asyncio
import errno
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

from tui_health.support.timespec import duration_text

T = TypeVar("T")

REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EDQUOT: "disk quota exceeded",
}


def reason(exc: BaseException) -> str:
    """A short reason for a write failure (OSError or sqlite3.Error)."""
    if isinstance(exc, OSError) and exc.errno in REASONS:
        return REASONS[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


class StorageHealth:
    """What cannot be written right now, and which changes have not been reported yet. Storage threads report
    here too, so every access holds a lock."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}
        self._reported: dict[str, str] = {}
        self._lock = threading.Lock()

    def failed(self, what: str, exc: BaseException) -> None:
        """``what`` (e.g. "audit log") could not be written."""
        self.failing(what, f"cannot write the {what}: {reason(exc)}")

    def failing(self, what: str, problem: str) -> None:
        """``what`` cannot be written, for the reason in ``problem`` (a whole sentence)."""
        with self._lock:
            self.problems[what] = problem

    def recovered(self, what: str) -> None:
        with self._lock:
            self.problems.pop(what, None)

    @property
    def problem(self) -> str:
        """Every current problem, one line ("" when all is well)."""
        with self._lock:
            return "; ".join(self.problems.values())

    def changes(self) -> list[tuple[str, str | None]]:
        """(what, problem) for each trouble that started, (what, None) for each that ended, since last asked."""
        with self._lock:
            current = dict(self.problems)
        out: list[tuple[str, str | None]] = []
        for what, problem in current.items():
            if self._reported.get(what) != problem:
                out.append((what, problem))
        for what in self._reported.keys() - current.keys():
            out.append((what, None))
        self._reported = current
        return out


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as 0700 when it does not exist; an existing directory is left as it is."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists, created 0600 if it did not (files holding alerts or state are private)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


class StorageStuck(Exception):
    """A storage call did not finish within its bounded wait (a frozen disk, a lock held elsewhere)."""


class Worker:
    """One thread that does a store's blocking work (SQLite, write + fsync) in order, off the event loop.

    The loop hands work over with :meth:`submit` (fire and forget) or :meth:`run` (await the result at most
    ``timeout`` seconds: past it, :class:`StorageStuck`, while the call goes on in the background). A disk that
    hangs holds this thread, never the loop: polls, the console and SIGTERM handling go on, and
    :meth:`busy_for` says for how long the store has not answered, so the person is told what is stuck.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._started: float | None = None  # monotonic time the running job began (None: idle)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    async def run(self, job: Callable[[], T], timeout: float) -> T:
        """The result of ``job``, or StorageStuck after ``timeout`` seconds (the job still runs)."""
        wrapped = asyncio.wrap_future(self.submit(job))
        wrapped.add_done_callback(_consumed)  # a late failure after a timeout is not "never retrieved"
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(wrapped)
        except TimeoutError:
            raise StorageStuck(f"the {self.name} did not answer within {duration_text(timeout)}") from None

    def busy_for(self) -> float:
        """Seconds the job in hand has been running (0 when idle)."""
        started = self._started
        return 0.0 if started is None else time.monotonic() - started

    def flush(self, timeout: float) -> bool:
        """Wait (blocking) until everything submitted so far is done; ``False`` after ``timeout`` seconds."""
        try:
            self.submit(lambda: None).result(timeout)
        except FutureTimeout:
            return False
        return True

    def close(self, timeout: float) -> bool:
        """Finish the queued work (``timeout`` s at most) and end the thread; ``False`` if it is still busy."""
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            self._started = time.monotonic()
            try:
                future.set_result(job())
            except BaseException as exc:  # handed to whoever waits; the thread goes on
                future.set_exception(exc)
            finally:
                self._started = None


def _consumed(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
