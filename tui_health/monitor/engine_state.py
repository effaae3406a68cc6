"""The engine's saved state, one row per target, in ``<state dir>/state.sqlite3`` (sqlite3, WAL).

Kept whether or not alerts are enabled, so a restart neither pages again for an outage already paged nor
forgets to send its resolve; keyed by target, so switching what is watched never restores another target's
components or breach. Write failures are reported (``StorageHealth``), never raised into the poll loop, and
the writing happens on a storage thread (:meth:`save_soon`): a locked file or a slow disk never holds a poll.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_health.support.disk import Worker, create_private_file, make_private_dir
from tui_health.support.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS engine_state (
    target TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    saved_at REAL NOT NULL
);
"""


class EngineStateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            make_private_dir(path.parent)
            create_private_file(path)
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the saved state {path}: {exc}", hint="set state.dir to a writable place"
            ) from None
        self._worker = Worker("saved state")
        self._latest: dict[str, tuple[dict[str, Any], float]] = {}
        self._lock = threading.Lock()

    def load(self, target: str) -> dict[str, Any] | None:
        """What was saved for ``target``, or ``None`` (nothing, or unreadable)."""
        try:
            row = self.db.execute("SELECT value FROM engine_state WHERE target = ?", (target,)).fetchone()
            value = json.loads(row[0]) if row else None
        except (sqlite3.Error, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def save(self, target: str, value: dict[str, Any], now: float) -> None:
        """Raises sqlite3.Error when it cannot be written (the caller reports it)."""
        self.db.execute(
            "INSERT OR REPLACE INTO engine_state (target, value, saved_at) VALUES (?, ?, ?)",
            (target, json.dumps(value), now),
        )

    def save_soon(
        self, target: str, value: dict[str, Any], now: float, done: Callable[[BaseException | None], None]
    ) -> None:
        """Save on the storage thread; ``done(None)`` once saved, ``done(error)`` when it could not be. Saves
        that pile up behind a slow disk are coalesced: only the latest state of a target is written."""
        with self._lock:
            queued = target in self._latest
            self._latest[target] = (value, now)
        if not queued:
            self._worker.submit(lambda: self._save_latest(target, done))

    def _save_latest(self, target: str, done: Callable[[BaseException | None], None]) -> None:
        with self._lock:
            value, now = self._latest.pop(target)
        try:
            self.save(target, value, now)
        except sqlite3.Error as exc:
            done(exc)
        else:
            done(None)

    def busy_for(self) -> float:
        """Seconds the save in hand has been running (0 when idle)."""
        return self._worker.busy_for()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then close; a connection the thread is still inside is left to the process."""
        if self._worker.close(timeout):
            self.db.close()
