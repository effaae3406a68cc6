"""Which histories exist: every store in a history directory, whose it is, and the flags that select it.

``tui-health history`` for a target without a history names these instead of only saying "no history yet":
a person who monitored with ``--api-url`` (or another ``[[targets]]`` entry) finds the flags again.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_health.genesys.regions import genesys_domain, region_of
from tui_health.history.reader import HistoryReader
from tui_health.history.store import HistoryError

MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class Stored:
    path: Path
    about: dict[str, Any]
    span: tuple[float, float] | None

    @property
    def name(self) -> str:
        return str(self.about.get("name") or self.path.stem)


def stores(directory: Path) -> list[Stored]:
    """The readable history stores in ``directory`` (at most MAX_LISTED), newest poll first."""
    found = []
    for path in sorted(directory.glob("*.sqlite3"))[: 4 * MAX_LISTED]:
        try:
            reader = HistoryReader(path)
        except HistoryError:
            continue
        try:
            found.append(Stored(path, reader.about(), reader.span()))
        except HistoryError:
            continue
        finally:
            reader.close()
    found.sort(key=lambda s: -(s.span[1] if s.span else 0.0))
    return found[:MAX_LISTED]


def selection(stored: Stored, configured: list[str]) -> str:
    """The flags that point ``tui-health history`` at ``stored`` (as far as its record says)."""
    if stored.name in configured:
        return f"--target {shlex.quote(stored.name)}"
    hosts: dict[str, str] = stored.about.get("hosts") or {}
    sources: list[str] = list(stored.about.get("sources") or [])
    flags: list[str] = []
    from tui_health.sources import selected

    for found in selected(sources):  # each source says what points at it (the health API by its URL, …)
        flags += [f for f in found.history_flags(hosts) if f not in flags or not f.startswith("--")]
    api = hosts.get("api")
    if api and "--api-url" not in flags:
        domain = genesys_domain(api)
        flags += ["--region", region_of(domain)] if domain else ["--api-url", api]
    for source in sources:
        flags += ["--source", source]
    return " ".join(shlex.quote(f) for f in flags) or "(the settings it was recorded with)"
