"""The history writer: one thread that owns the store's write connection, so no write ever runs on the event loop.

The monitor hands it a record per poll (and the events, alerts and deliveries in between); the thread writes each
poll in its own transaction, prunes past ``retention`` once an hour, and keeps what it could not write (a full
disk) in a bounded backlog it retries before anything newer. Its trouble is reported through ``problem``, which
the monitor turns into ``storage_failed`` / ``storage_recovered`` on its own thread.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path

from tui_health.history.store import Extras, PollRecord, connect, prune, write_extras, write_poll
from tui_health.support.disk import reason

BACKLOG = 2000
"""Records kept in memory while the store cannot be written; the oldest are dropped beyond this."""
PRUNE_EVERY = 3600.0
"""Seconds between two prunings at most (a short retention prunes more often: every tenth of it)."""


class HistoryWriter:
    def __init__(self, path: Path, *, retention: float, about: str | None = None) -> None:
        self.path = path
        self.retention = retention
        self.db = connect(
            path, create=True, about=about
        )  # raises HistoryError: the caller reports it before polling
        self.problem = ""
        """Why the store cannot be written right now ("" when it can)."""
        self.dropped = 0
        """Records given up because the backlog was full (counted in :attr:`unwritten` too)."""
        self._handed = 0  # records put (by the owner's thread)
        self._written = 0  # records in the store (by the writer's thread)
        self.write_ms: deque[float] = deque(maxlen=512)  # per poll, for the benchmark
        self._queue: queue.SimpleQueue[PollRecord | Extras | None] = queue.SimpleQueue()
        self._backlog: deque[PollRecord | Extras] = deque()
        self._pruned_at = 0.0
        self._latest = 0.0  # the newest poll's time: pruning follows the monitor's clock, injected or not
        self._closed = False
        self._stopping = False  # closing in a hurry: no more attempts
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def put(self, item: PollRecord | Extras) -> None:
        """Queue a poll's record or a batch of extras (never blocks)."""
        self._handed += 1
        self._queue.put(item)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (tests, ``--once`` before it exits); ``False`` at once
        when the writer is closed (nothing will write it: a refresh racing the monitor's close must not hold a
        thread, and the process's exit, for ``timeout``)."""
        if self._closed or not self._thread.is_alive():
            return False
        done = threading.Event()
        self._queue.put(_Marker(done))  # type: ignore[arg-type]
        return done.wait(timeout)

    @property
    def unwritten(self) -> int:
        """Records handed over that are not in the store (yet): queued, held back, in the thread's hands, or
        dropped from a full backlog — never the stop request or a flush's marker, which are no records."""
        return self._handed - self._written

    def close(self, timeout: float = 5.0) -> int:
        """Write what is queued (waiting ``timeout`` s at most), stop the thread and close the store; returns how
        many records could not be written. A statement still waiting on a lock is interrupted, and a connection
        the thread is still inside is never closed under it (that ended in a segfault): the process's end frees
        it."""
        if self._closed:
            return self.unwritten
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stopping = True
            self.db.interrupt()  # thread-safe: the busy wait or the statement it is in ends with an error
            self._thread.join(timeout)
        left = self.unwritten
        if not self._thread.is_alive():
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        return left

    # -- the thread -----------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._drain()
                self._release()
                return
            if isinstance(item, _Marker):
                self._drain()
                item.done.set()
                continue
            if isinstance(item, PollRecord):
                self._latest = max(self._latest, item.at)
            self._backlog.append(item)
            if len(self._backlog) > BACKLOG:
                self._backlog.popleft()
                self.dropped += 1
            self._drain()
            self._maybe_prune()

    def _release(self) -> None:
        """The thread ends: a flush queued behind the stop request is answered (nothing more will be written)."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Marker):
                item.done.set()

    def _drain(self) -> None:
        while self._backlog and not self._stopping:
            item = self._backlog[0]
            started = time.perf_counter()
            try:
                if isinstance(item, PollRecord):
                    write_poll(self.db, item)
                    self.write_ms.append((time.perf_counter() - started) * 1000)
                else:
                    write_extras(self.db, item)
            except sqlite3.Error as exc:
                self.problem = f"cannot write the history store: {reason(exc)}"
                return
            self._backlog.popleft()
            self._written += 1
            self.problem = ""

    def _maybe_prune(self) -> None:
        """Forget what is older than ``retention`` (by the monitor's clock: the newest poll's time), at the
        first poll and then every ``min(PRUNE_EVERY, retention / 10)`` seconds."""
        now = self._latest
        if not now or now - self._pruned_at < min(PRUNE_EVERY, self.retention / 10):
            return
        try:
            prune(self.db, now - self.retention)
        except sqlite3.Error as exc:
            self.problem = f"cannot prune the history store: {reason(exc)}"
            return
        self._pruned_at = now


class _Marker:
    def __init__(self, done: threading.Event) -> None:
        self.done = done
