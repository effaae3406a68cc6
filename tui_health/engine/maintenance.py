"""Planned maintenance: windows when chosen components page nobody. Pure: no I/O, time from the caller.

A window starts at ``start`` (a wall time in ``timezone``) and lasts ``duration``; with ``every`` (``day`` or
``week``) it comes back at the same wall time every day or week — across daylight-saving changes too, as a
person planning "Sundays 02:00 Berlin" means it. A start that falls in the hour the clocks skip (02:30 on the
spring-forward night) opens at the first moment that exists (03:00), that day; one in the hour that repeats
opens at its first occurrence. A window lasts ``duration`` of real time, a clock change in it or not; its end is
exclusive.

Which components: those named by any of ``ids`` (exact), ``match`` (shell patterns on the name or the id) and
``kinds`` (edge, trunk, queue, platform) — they add up — of the ``targets`` named (none: every target). A window
with no ``ids``, ``match`` or ``kinds`` covers every component of its targets.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
        start = moment(begins, self.zone)
        end = (start.astimezone(UTC) + self.duration).astimezone(self.zone)  # real time, across a DST change
        if start <= now < end:
            return start, end
        return None

    def next(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence open at ``now``, else the next one; ``None`` when a one-off window is over."""
        current = self.current(now)
        if current is not None:
            return current
        step = STEP.get(self.every or "")
        local = now.astimezone(self.zone).replace(tzinfo=None)
        if step is None or local < self.start:
            begins = self.start
        else:
            begins = self.start + timedelta(days=((local - self.start).days // step + 1) * step)
        start = moment(begins, self.zone)
        if start < now:
            return None
        return start, (start.astimezone(UTC) + self.duration).astimezone(self.zone)

    def covers(self, target: str, component: Component) -> bool:
        """Whether the window holds ``component`` of ``target`` (when it is open)."""
        if self.targets and target not in self.targets:
            return False
        if not self.ids and not self.match and not self.kinds:
            return True
        return (
            component.id in self.ids
            or (component.kind or "platform") in self.kinds
            or any(
                fnmatch.fnmatchcase(component.name, p) or fnmatch.fnmatchcase(component.id, p)
                for p in self.match
            )
        )


def moment(wall: datetime, zone: ZoneInfo) -> datetime:
    """The aware moment a naive wall time in ``zone`` stands for: the first of two in the hour that repeats; in
    the hour the clocks skip, the first moment after it that exists (02:30 on the spring-forward night → 03:00)."""
    aware = wall.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return aware
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # the later offset: before the jump
    high = aware.astimezone(UTC)  # the earlier offset: after it
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):  # the first instant whose wall time is at or past ``wall``
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0).astimezone(zone)


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
