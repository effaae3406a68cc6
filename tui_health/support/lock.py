"""One instance per state directory: a second console or ``--headless`` on the same outbox and state exits at once.

The lock is an ``flock`` on ``<state dir>/tui-health.lock`` holding the owner's pid (and, once it knows them, the
targets it watches), so it is released by the kernel whenever the owner ends (even by ``kill -9``) and others can
name who has it — :func:`holder` reads it without ever taking the lock, so asking never keeps an instance from
starting. ``--once`` takes no
lock (it is stateless and schedulers run it side by side); ``--read-only`` runs without one and writes nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
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

    def announce(self, targets: dict[str, str]) -> None:
        """Write the targets this instance watches (key → name) beside its pid, for :func:`holder`."""
        if self._fd is None:
            return
        data = f"{os.getpid()}\n{json.dumps(targets, sort_keys=True)}\n".encode()
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        except OSError:
            pass  # only a help for others: the lock itself holds

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


@dataclass(frozen=True, slots=True)
class Holder:
    """Who runs on a state directory: its pid and the targets it watches (key → name; empty: not said yet)."""

    pid: int
    targets: dict[str, str]


def holder(state_dir: Path) -> Holder | None:
    """The running instance of ``state_dir`` as its lock file says, ``None`` when none runs. The lock is never
    taken here (that could keep an instance starting at that moment from getting it): a pid whose process is
    gone is a lock file left behind."""
    try:
        text = (state_dir / LOCK_NAME).read_text(encoding="utf-8", errors="replace")[:65_536]
    except OSError:
        return None
    lines = text.splitlines()
    try:
        pid = int(lines[0])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError, OverflowError):
        return None
    except PermissionError:
        pass  # alive, as another user
    try:
        said = json.loads(lines[1]) if len(lines) > 1 else {}
    except ValueError:
        said = {}
    targets = {str(k): str(v) for k, v in said.items()} if isinstance(said, dict) else {}
    return Holder(pid, targets)
