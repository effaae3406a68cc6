"""The durable outbox (sqlite3): every alert is stored before its first attempt and removed only after a 2xx.

The monitor never calls it on its event loop: the dispatcher hands every call to a storage thread. A damaged
file (a corrupted page) is moved aside for inspection and a fresh outbox started (:meth:`Outbox.replace_damaged`);
what could not be stored at all when the monitor stops is kept in a ``.held.jsonl`` file next to it, or in a
fallback directory (:func:`held_places`, :func:`keep_held`), and queued again at the next start (:func:`take_held`).

(The engine's state lives in :mod:`tui_health.monitor.engine_state`, not here.)
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_health.support.disk import create_private_file, make_private_dir
from tui_health.support.errors import ConfigError

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


BUSY_TIMEOUT = 2.0
"""Seconds a call waits for another process's lock before it fails (and the alert is held in memory)."""


def damaged(exc: BaseException) -> bool:
    """Whether a SQLite error says the file itself is damaged (not locked, not full, not read-only)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text)


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.moved_aside: Path | None = None
        """Where a damaged outbox found at open was moved (the caller reports it)."""
        try:
            make_private_dir(path.parent)
            try:
                self.db = self._open()
            except sqlite3.DatabaseError as exc:
                if not damaged(exc):
                    raise
                self.moved_aside = self._move_aside()
                self.db = self._open()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the alert outbox {path}: {exc}", hint="set alerts.outbox to a writable path"
            ) from None

    def _open(self) -> sqlite3.Connection:
        create_private_file(self.path)  # 0600 before sqlite opens it; its -wal and -shm files follow its mode
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(
                    f"database disk image is malformed ({check[0] if check else '?'})"
                )
            db.executescript(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
            if "refused_since" not in columns:  # an outbox written before refusals were timed
                db.execute("ALTER TABLE outbox ADD COLUMN refused_since REAL")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        """Rename the damaged file (and its WAL files) to ``<name>.damaged-<time>``; that name."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            source = self.path.with_name(self.path.name + suffix)
            if source.exists():
                source.replace(aside.with_name(aside.name + suffix))
        return aside

    def replace_damaged(self) -> Path:
        """The file is damaged: close it, move it aside (kept for inspection) and start a fresh outbox. Returns
        where the damaged one went. Raises OSError or sqlite3.Error when even that fails."""
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        aside = self._move_aside()
        self.db = self._open()
        return aside

    def close(self) -> None:
        self.db.close()

    def id_of(self, sink: str, key: str) -> int | None:
        """The row of the message ``key`` for ``sink``, if it is stored."""
        row = self.db.execute("SELECT id FROM outbox WHERE sink = ? AND key = ?", (sink, key)).fetchone()
        return int(row[0]) if row else None

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


HELD_SUFFIX = ".held.jsonl"


def held_path(outbox: Path) -> Path:
    """Where alerts the outbox could not take at stop are kept first: beside it."""
    return outbox.with_name(outbox.name + HELD_SUFFIX)


def held_places(outbox: Path, elsewhere: Iterable[Path] = ()) -> list[Path]:
    """Every place a stop may keep the alerts the outbox could not take, in the order it tries them: beside the
    outbox, then the same name in each of the ``elsewhere`` directories. A stop writes the first that works
    (:func:`keep_held`) and the next start reads them all (:func:`take_held`): one list for both, so the places
    written and the places read cannot drift apart."""
    first = held_path(outbox)
    return list(dict.fromkeys([first, *(Path(d) / first.name for d in elsewhere)]))


def keep_held(path: Path, items: Iterable[dict[str, Any]]) -> None:
    """Append ``items`` ({sink, key, body, summary, at}) to ``path``, one JSON line each, fsync'd; raises
    OSError when it cannot. A short write (a disk filling up) is written on, so it either raises or is whole;
    a line torn by an earlier try is ended first, never glued to a new one."""
    data = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        rest = memoryview(b"\n" + data if os.fstat(fd).st_size else data)
        while rest:
            rest = rest[os.write(fd, rest) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def take_held(outbox: Outbox, path: Path) -> int | None:
    """Store the alerts a stop kept in ``path`` (a torn or foreign line is skipped), then remove the file: only
    once every row is stored. Returns how many were new to the outbox, ``None`` when there is no such file.
    Raises sqlite3.Error or OSError (the file stays for the next start; what was stored is not stored twice)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    stored = 0
    for line in text.splitlines():
        try:
            item = json.loads(line)
            row = outbox.add(
                str(item["sink"]), str(item["key"]), item["body"], str(item["summary"]), float(item["at"])
            )
        except (ValueError, KeyError, TypeError):
            continue
        stored += row is not None
    path.unlink()
    return stored
