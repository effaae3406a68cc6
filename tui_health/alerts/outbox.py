"""The durable outbox (sqlite3): every alert is stored before its first attempt and removed only after a 2xx.

(The engine's state lives in :mod:`tui_health.persistence.engine_state`, not here.)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_health.errors import ConfigError
from tui_health.storage import create_private_file, make_private_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sink TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT,
    refused_since REAL,
    UNIQUE (sink, key)
);
"""


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    sink: str
    key: str
    body: Any
    summary: str
    attempts: int
    next_at: float
    state: str
    last_error: str | None
    refused_since: float | None = None


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            make_private_dir(path.parent)
            create_private_file(path)  # 0600 before sqlite opens it; its -wal and -shm files follow its mode
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(outbox)")}
            if "refused_since" not in columns:  # an outbox written before refusals were timed
                self.db.execute("ALTER TABLE outbox ADD COLUMN refused_since REAL")
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the alert outbox {path}: {exc}", hint="set alerts.outbox to a writable path"
            ) from None

    def close(self) -> None:
        self.db.close()

    def add(self, sink: str, key: str, body: Any, summary: str, now: float) -> int | None:
        """Store a message; its row id, or ``None`` if this sink already has one with this key (idempotent)."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO outbox (sink, key, body, summary, created, next_at) VALUES (?, ?, ?, ?, ?, ?)",
            (sink, key, json.dumps(body, separators=(",", ":")), summary, now, now),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    def rows(self, ids: Collection[int]) -> list[Row]:
        """The rows still in the outbox among ``ids`` (delivered ones are gone)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [
            self._row(r)
            for r in self.db.execute(f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY id", list(ids))
        ]

    def pending_count(self, *, sinks: list[str] | None = None, ids: Collection[int] | None = None) -> int:
        """How many messages wait for delivery (to these ``sinks``, among these row ``ids``); no body is read."""
        sql, args = "SELECT COUNT(*) FROM outbox WHERE state = 'pending'", []
        for column, values in (("sink", sinks), ("id", ids)):
            if values is not None:
                if not values:
                    return 0
                sql += f" AND {column} IN ({','.join('?' * len(values))})"
                args += list(values)
        return int(self.db.execute(sql, args).fetchone()[0])

    def orphans(self, sinks: list[str]) -> int:
        """Messages (pending or failed) for sinks that are no longer configured: nobody will deliver them."""
        marks = ",".join("?" * len(sinks)) or "''"
        row = self.db.execute(f"SELECT COUNT(*) FROM outbox WHERE sink NOT IN ({marks})", sinks).fetchone()
        return int(row[0])

    def purge_orphans(self, sinks: list[str]) -> int:
        marks = ",".join("?" * len(sinks)) or "''"
        return self.db.execute(f"DELETE FROM outbox WHERE sink NOT IN ({marks})", sinks).rowcount

    def failed_count(self) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'failed'").fetchone()
        return int(row[0])

    def head(self, sink: str) -> Row | None:
        """The oldest pending message of a sink: delivery is in order, one at a time per sink."""
        row = self.db.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND sink = ? ORDER BY id LIMIT 1", (sink,)
        ).fetchone()
        return self._row(row) if row else None

    def pending(self) -> list[Row]:
        return [
            self._row(r) for r in self.db.execute("SELECT * FROM outbox WHERE state = 'pending' ORDER BY id")
        ]

    def failed(self) -> list[Row]:
        return [
            self._row(r) for r in self.db.execute("SELECT * FROM outbox WHERE state = 'failed' ORDER BY id")
        ]

    def delivered(self, row_id: int) -> None:
        self.db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def retry(self, row_id: int, next_at: float, error: str, refused_since: float | None = None) -> None:
        """Another attempt later; ``refused_since`` is when the receiver started refusing it (4xx), if it is."""
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, refused_since = ? WHERE id = ?",
            (next_at, error, refused_since, row_id),
        )

    def fail(self, row_id: int, error: str) -> None:
        """Permanent failure: kept for inspection, never retried."""
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, state = 'failed', last_error = ? WHERE id = ?",
            (error, row_id),
        )

    def requeue_failed(self, now: float) -> int:
        """Give permanently failed messages another chance (after fixing the receiver or its config)."""
        return self.db.execute(
            "UPDATE outbox SET state = 'pending', next_at = ?, attempts = 0, refused_since = NULL "
            "WHERE state = 'failed'",
            (now,),
        ).rowcount

    def purge_failed(self) -> int:
        return self.db.execute("DELETE FROM outbox WHERE state = 'failed'").rowcount

    def make_all_due(self, now: float) -> int:
        """On start: whatever was pending at a crash or SIGTERM is tried first."""
        return self.db.execute("UPDATE outbox SET next_at = ? WHERE state = 'pending'", (now,)).rowcount

    @staticmethod
    def _row(r: tuple[Any, ...]) -> Row:
        return Row(
            id=r[0],
            sink=r[1],
            key=r[2],
            body=json.loads(r[3]),
            summary=r[4],
            attempts=r[6],
            next_at=r[7],
            state=r[8],
            last_error=r[9],
            refused_since=r[10],
        )
