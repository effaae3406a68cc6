"""Planned maintenance: windows when chosen components page nobody. Pure: no I/O, time from the caller.

A window starts at ``start`` (a wall time in ``timezone``) and lasts ``duration``; with ``every`` (``day`` or
``week``) it comes back at the same wall time every day or week — across daylight-saving changes too, as a
person planning "Sundays 02:00 Berlin" means it. Which components: ``ids`` (exact), ``match`` (shell patterns on
the name or id), ``kinds`` (edge, trunk, queue, platform) and ``targets`` (names); an empty list means any.
A window with no ``ids``, ``match`` or ``kinds`` covers every component of its targets.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tui_health.model.domain import Component

STEP = {"day": 1, "week": 7}


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    start: datetime  # naive: a wall time in ``zone``
    duration: timedelta
    zone: ZoneInfo
    every: str | None = None  # "day", "week", or None (once)
    ids: tuple[str, ...] = ()
    match: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    def current(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence ``now`` (aware) falls in, as aware (start, end), or ``None`` outside every one."""
        local = now.astimezone(self.zone).replace(tzinfo=None)
        step = STEP.get(self.every or "")
        if step is None:
            begins = self.start
        else:
            if local < self.start:
                return None
            periods = (local - self.start).days // step
            begins = self.start + timedelta(days=periods * step)
        start = begins.replace(tzinfo=self.zone)
        end = start + self.duration
        if start <= now < end:
            return start, end
        return None

    def covers(self, target: str, component: Component) -> bool:
        if self.targets and target not in self.targets:
            return False
        if self.kinds and (component.kind or "platform") not in self.kinds:
            return False
        if not self.ids and not self.match:
            return True
        if component.id in self.ids:
            return True
        return any(
            fnmatch.fnmatchcase(component.name, p) or fnmatch.fnmatchcase(component.id, p) for p in self.match
        )


def in_maintenance(
    windows: Iterable[Window], target: str, components: Mapping[str, Component], now: datetime
) -> dict[str, str]:
    """Component id → the name of the window it is in now (the first that covers it)."""
    active = [w for w in windows if w.current(now) is not None]
    if not active:
        return {}
    out: dict[str, str] = {}
    for cid, component in components.items():
        for window in active:
            if window.covers(target, component):
                out[cid] = window.name
                break
    return out
