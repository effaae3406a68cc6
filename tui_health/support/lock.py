"""One instance per state directory: a second console or ``--headless`` on the same outbox and state exits at once.

The lock is an ``flock`` on ``<state dir>/tui-health.lock`` holding the owner's pid, so it is released by the
kernel whenever the owner ends (even by ``kill -9``) and the message can name who has it. ``--once`` takes no
lock (it is stateless and schedulers run it side by side); ``--read-only`` runs without one and writes nothing.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from tui_health.support.disk import make_private_dir
from tui_health.support.errors import ConfigError

LOCK_NAME = "tui-health.lock"


class StateDirectoryGone(ConfigError):
    """The locked state directory is no longer the one on disk (deleted or replaced)."""


class InstanceLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process ends)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock, or raise a ConfigError naming the pid that holds it."""
        try:
            make_private_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the lock file {self.path}: {exc.strerror}",
                hint="set alerts.outbox to a writable place",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ConfigError(
                f"another tui-health (pid {owner}) is already using the state directory {self.path.parent}",
                hint="stop it, give this one its own alerts.outbox, or add --read-only to watch without "
                "writing state or sending alerts",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def intact(self) -> bool:
        """Whether the lock file we hold is still the state directory's: deleting (or replacing) the directory
        lets a second instance start beside us, each paging and writing into files nobody will read."""
        if self._fd is None:
            return False
        try:
            found, held = os.stat(self.path), os.fstat(self._fd)
        except OSError:
            return False
        return (found.st_dev, found.st_ino) == (held.st_dev, held.st_ino)

    def check(self) -> None:
        """Raise StateDirectoryGone when :meth:`intact` says no."""
        if not self.intact():
            raise StateDirectoryGone(
                f"the state directory {self.path.parent} was deleted or replaced while this tui-health (pid "
                f"{os.getpid()}) held it; stopping so that two instances never page side by side",
                hint="start tui-health again (it recreates the directory)",
            )

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
