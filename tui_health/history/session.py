"""Opening a target's history for a monitor: the writer, and a recorder that goes on from what the store holds."""

from __future__ import annotations

import uuid
from pathlib import Path

from tui_health.history.reader import HistoryReader
from tui_health.history.recorder import Recorder
from tui_health.history.writer import HistoryWriter

COVERS = 3
"""An answered poll is taken to hold for at most this many poll intervals when no poll follows sooner."""


def open_history(
    path: Path, *, retention: float, interval: float, about: str | None = None
) -> tuple[HistoryWriter, Recorder]:
    """Raises HistoryError when the store cannot be opened or read. ``about``: whose history it is (JSON)."""
    writer = HistoryWriter(path, retention=retention, about=about)
    try:
        reader = HistoryReader(path)
        try:
            confirmed, incidents = reader.resume_point()
            last = reader.polls(limit=1)
            states = [row[1:] for row in reader.states_at(last[0].id)] if last else []
        finally:
            reader.close()
    except BaseException:
        writer.close()
        raise
    recorder = Recorder(run=uuid.uuid4().hex[:12], covers=COVERS * interval)
    recorder.resume(confirmed, incidents, states)
    return writer, recorder
