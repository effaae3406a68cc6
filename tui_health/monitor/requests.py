"""Silences asked for from the shell (``tui-health silence``) without a collector's API: request files in the
state directory, picked up by the running monitor at its next poll (or at the next start).

One request is one file, ``<state dir>/requests/<target key>-<uuid>.json``, written whole (a temporary file
renamed into place), so a monitor never reads half of one; it applies the requests for its own target in the
order they were made and deletes each. What a request says is untrusted like any file: bounded, checked,
and a bad one is dropped with a warning in the audit log.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui_health.support.text import clean
from tui_health.support.timespec import MAX_SILENCE

MAX_REQUESTS = 100
"""Requests taken per poll (the rest wait for the next one)."""
MAX_BYTES = 4096
MAX_SECONDS = MAX_SILENCE


def requests_dir(state_dir: Path) -> Path:
    return state_dir / "requests"


@dataclass(frozen=True, slots=True)
class SilenceRequest:
    op: str  # "add" or "rm"
    at: datetime
    by: str
    component: str | None = None
    match: str | None = None
    seconds: float = 0.0
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "at": self.at.isoformat(),
            "by": self.by,
            "component": self.component,
            "match": self.match,
            "seconds": self.seconds,
            "reason": self.reason,
        }

    @classmethod
    def read(cls, data: Any) -> SilenceRequest:
        """Checked, or ValueError saying what is wrong."""
        if not isinstance(data, dict) or data.get("op") not in ("add", "rm"):
            raise ValueError("not a silence request")
        at = datetime.fromisoformat(str(data.get("at")))
        if at.tzinfo is None:
            raise ValueError("its time has no zone")
        component, match = data.get("component"), data.get("match")
        if (
            not isinstance(component, str | None)
            or not isinstance(match, str | None)
            or not (component or match)
        ):
            raise ValueError("it names no component")
        seconds = data.get("seconds", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ValueError("its duration is not a number")
        if data["op"] == "add" and not 0 < seconds <= MAX_SECONDS:
            raise ValueError("its duration is not between 0 and 30 days")
        return cls(
            op=data["op"],
            at=at,
            by=clean(data.get("by") or "someone", 100),
            component=clean(component, 200) if component else None,
            match=clean(match, 200) if match else None,
            seconds=float(seconds),
            reason=clean(data.get("reason") or "", 200),
        )

    def until(self) -> datetime:
        return self.at + timedelta(seconds=self.seconds)

    def matches(self, cid: str, name: str) -> bool:
        if self.component is not None:
            return cid == self.component
        assert self.match is not None
        return fnmatch.fnmatchcase(name, self.match) or fnmatch.fnmatchcase(cid, self.match)


def write_request(state_dir: Path, target_key: str, request: SilenceRequest) -> Path:
    """Leave ``request`` for the monitor of ``target_key`` (written whole, then renamed into place)."""
    folder = requests_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{target_key}-{request.at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".tmp-", delete=False) as fh:
        json.dump(request.as_dict(), fh)
    os.replace(fh.name, final)
    return final


def pending(state_dir: Path, target_key: str) -> list[tuple[Path, SilenceRequest | str]]:
    """The requests waiting for ``target_key``, oldest first: each checked request, or why it is not one."""
    folder = requests_dir(state_dir)
    try:
        names = sorted(
            p for p in folder.iterdir() if p.name.startswith(f"{target_key}-") and p.suffix == ".json"
        )
    except OSError:
        return []
    out: list[tuple[Path, SilenceRequest | str]] = []
    for path in names[:MAX_REQUESTS]:
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ValueError("it is too large")
            out.append((path, SilenceRequest.read(json.loads(path.read_text()))))
        except (OSError, ValueError, TypeError) as exc:
            out.append((path, clean(str(exc), 200)))
    return out


def take(state_dir: Path, target_key: str) -> list[SilenceRequest | str]:
    """The requests waiting for ``target_key`` (see :func:`pending`), each removed as it is taken."""
    taken = []
    for path, request in pending(state_dir, target_key):
        with contextlib.suppress(OSError):
            path.unlink()
        taken.append(request)
    return taken
