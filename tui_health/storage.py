"""Whether our own files can be written: a full or read-only disk is reported, never a crash.

The audit log, the alert outbox and the saved engine state report write failures here instead of raising. The
Monitor turns each change into one event — ``storage_failed`` when trouble starts, ``storage_recovered`` when it
ends — and the header shows the problem while it lasts. Polling and the console go on; what could not be written
is kept in memory (bounded) and written when space returns.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

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
    """What cannot be written right now, and which changes have not been reported yet."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}
        self._reported: dict[str, str] = {}

    def failed(self, what: str, exc: BaseException) -> None:
        """``what`` (e.g. "audit log") could not be written."""
        self.problems[what] = f"cannot write the {what}: {reason(exc)}"

    def failing(self, what: str, problem: str) -> None:
        """``what`` cannot be written, for the reason in ``problem`` (a whole sentence)."""
        self.problems[what] = problem

    def recovered(self, what: str) -> None:
        self.problems.pop(what, None)

    @property
    def problem(self) -> str:
        """Every current problem, one line ("" when all is well)."""
        return "; ".join(self.problems.values())

    def changes(self) -> list[tuple[str, str | None]]:
        """(what, problem) for each trouble that started, (what, None) for each that ended, since last asked."""
        out: list[tuple[str, str | None]] = []
        for what, problem in self.problems.items():
            if self._reported.get(what) != problem:
                out.append((what, problem))
        for what in self._reported.keys() - self.problems.keys():
            out.append((what, None))
        self._reported = dict(self.problems)
        return out


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as 0700 when it does not exist; an existing directory is left as it is."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists, created 0600 if it did not (files holding alerts or state are private)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
