"""The components as the views show them, worst first, rebuilt only where something changed.

A poll of 10,000 components where three changed rebuilds three views and keeps the order it had; the views get
the same tuple back when nothing changed at all, so they can skip their own work by identity.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from tui_health.engine import Tracked
from tui_health.model.domain import Component, Status
from tui_health.model.state import ComponentView, sort_key

_Entry = tuple[Any, ComponentView, tuple[int, str, str]]  # (what it was built from, the view, its sort key)
_by_key = itemgetter(2)


class ComponentViews:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._sorted: tuple[ComponentView, ...] = ()

    def build(
        self,
        components: Mapping[str, Component],
        tracked: Mapping[str, Tracked],
        silences: Mapping[str, datetime],
        critical: Container[str],
        unmeasured: Container[str],
        now: datetime,
    ) -> tuple[ComponentView, ...]:
        """Views of ``components`` with what the engine confirmed about them, sorted by :func:`sort_key`.

        A component the engine does not track (or could not measure this poll) shows as observed, "since" its
        ``lastModified`` (else now); those are rebuilt every time, the tracked ones only when their inputs change.
        """
        previous = self._entries
        entries: dict[str, _Entry] = {}
        changed = len(components) != len(previous)
        for cid, comp in components.items():
            t = None if cid in unmeasured else tracked.get(cid)
            state: tuple[
                Status,
                datetime,
                bool,
                datetime | None,
                tuple[str, ...],
                bool,
                datetime | None,
                datetime | None,
            ]
            if t is None:  # shown as observed; never reused ("since" may be now)
                inputs = None
                state = (comp.status, comp.last_modified or now, False, None, (), False, None, None)
            else:
                state = (
                    t.confirmed,
                    t.since,
                    t.flapping,
                    silences.get(cid),
                    t.caused_by,
                    cid in critical,
                    t.confirmed_at,
                    t.pending_since,
                )
                inputs = (comp, *state)
                entry = previous.get(cid)
                if entry is not None and entry[0] == inputs:
                    entries[cid] = entry
                    continue
            view = _view(cid, comp, *state)
            entries[cid] = (inputs, view, sort_key(view))
            changed = True
        if changed:
            self._sorted = tuple(entry[1] for entry in sorted(entries.values(), key=_by_key))
        self._entries = entries
        return self._sorted


def _view(
    cid: str,
    comp: Component,
    status: Status,
    since: datetime,
    flapping: bool,
    silenced_until: datetime | None,
    caused_by: tuple[str, ...],
    critical: bool,
    confirmed_at: datetime | None,
    pending_since: datetime | None,
) -> ComponentView:
    return ComponentView(
        id=cid,
        name=comp.name,
        status=status,
        observed=comp.status,
        since=since,
        last_modified=comp.last_modified,
        source=comp.source,
        critical=critical,
        flapping=flapping,
        silenced_until=silenced_until,
        caused_by=caused_by,
        group=comp.group,
        raw_status=comp.raw_status,
        details=comp.details,
        confirmed_at=confirmed_at,
        pending_since=pending_since,
        kind=comp.kind,
    )
