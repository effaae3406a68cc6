"""AuditLog: JSONL, one event per line, fsync'd per batch, rotated by size, redacted, readable from the end.

The writing (append, fsync, rotation) happens on a storage thread of its own: a slow or frozen disk never holds
the event loop. Batches are written in order; a batch the disk refused is kept and written first next time.
"""

from __future__ import annotations

import errno
import json
import os
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG

from tui_health.model.domain import AuditEvent
from tui_health.support.disk import StorageHealth, Worker, make_private_dir
from tui_health.support.errors import ConfigError
from tui_health.support.redact import Redactor

UNWRITTEN_MAX = 10_000
"""Audit lines kept in memory while the disk refuses them."""


class AuditLog:
    """Appends events to ``path``; keeps ``backups`` rotated files (``path.1`` is the newest of them)."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 10_000_000,
        backups: int = 5,
        redactor: Redactor | None = None,
        storage: StorageHealth | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.read_only = read_only
        """Write nothing (``--read-only``): events still reach the listeners and the views."""
        self.max_bytes = max_bytes
        self.backups = backups
        self.redact = redactor or Redactor()
        self.storage = storage or StorageHealth()
        self.listeners: list[Callable[[AuditEvent, str], None]] = []
        """Called with each event and its line as it is handed to the writer thread (headless prints, the TUI
        shows) — whatever the disk does: monitoring goes on, and a line the disk refused is kept for later."""
        self._unwritten: deque[str] = deque(maxlen=UNWRITTEN_MAX)  # touched by the writer thread only
        self._worker: Worker | None = None if read_only else Worker("audit log")
        try:
            if not read_only:
                make_private_dir(path.parent)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the audit log's directory {path.parent}: {exc.strerror}",
                hint="set --audit-log to a writable path",
            ) from None

    def line(self, event: AuditEvent) -> str:
        return self.redact(json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")))

    def write(self, events: Iterable[AuditEvent]) -> list[str]:
        """Hand a batch to the writer thread (append, flush and fsync once; a torn last line from a crash is
        never glued to new lines) and tell the listeners at once. Never blocks on the disk.

        A write that fails (full or read-only disk) is reported to ``storage`` instead of raising; the lines
        are kept (the last :data:`UNWRITTEN_MAX`) and written first when a later write succeeds.
        """
        batch = [(event, self.line(event)) for event in events]
        if not batch:
            return []
        lines = [line for _, line in batch]
        if self._worker is not None:
            self._worker.submit(lambda: self._store(lines))
        for event, line in batch:
            for listener in self.listeners:
                listener(event, line)
        return lines

    def _store(self, lines: list[str]) -> None:
        """On the writer thread: everything kept from before, then ``lines``."""
        data = "".join(line + "\n" for line in [*self._unwritten, *lines]).encode()
        try:
            self._append(data)
        except OSError as exc:
            self.storage.failed("audit log", exc)
            self._unwritten.extend(lines)
        else:
            self._unwritten.clear()
            self.storage.recovered("audit log")

    def busy_for(self) -> float:
        """Seconds the disk has been taking to write the batch in hand (0 when idle)."""
        return self._worker.busy_for() if self._worker is not None else 0.0

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every batch handed over so far is written (or kept); ``False`` after ``timeout`` s."""
        return self._worker.flush(timeout) if self._worker is not None else True

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is queued and end the writer thread; ``False`` if the disk did not let it finish."""
        return self._worker.close(timeout) if self._worker is not None else True

    def _append(self, data: bytes) -> None:
        self._rotate_if_needed(len(data))
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with open(fd, "ab+") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")
            fh.write(data)
            fh.flush()
            try:
                os.fsync(fh.fileno())
            except OSError as exc:  # /dev/null and some pipes cannot be synced; nothing is lost there
                if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
                    raise

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return
        if not S_ISREG(stat.st_mode):
            return  # /dev/null, a FIFO: nothing to rotate
        size = stat.st_size
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.backups == 0:
            self.path.unlink()
            return
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def tail(self, count: int) -> list[AuditEvent]:
        """The last ``count`` readable events, oldest first, across rotated files; torn lines are skipped
        (what was handed over is written first, for two seconds at most)."""
        self.flush(2.0)
        return tail(self.path, count, self.backups)


def tail(path: Path, count: int, backups: int = 5) -> list[AuditEvent]:
    found: deque[AuditEvent] = deque(maxlen=count)
    files = [path.with_name(f"{path.name}.{i}") for i in range(backups, 0, -1)] + [path]
    for file in files:
        for event in _read(file, count):
            found.append(event)
    return list(found)


def _read(path: Path, count: int) -> list[AuditEvent]:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            chunk = min(size, max(64_000, count * 1_000))
            fh.seek(size - chunk)
            data = fh.read()
    except OSError:
        return []
    lines = data.split(b"\n")
    if chunk < size:
        lines = lines[1:]  # the first line may be cut
    events = []
    for raw in lines[-(count + 1) :]:
        if not raw.strip():
            continue
        try:
            events.append(AuditEvent.from_dict(json.loads(raw)))
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            continue  # a torn, foreign or hostile line
    return events[-count:]
