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
from tui_health.models import Component
from tui_health.state import ComponentView

_Entry = tuple[Any, ComponentView, tuple[int, str, str]]  # (what it was built from, the view, its sort key)
_by_key = itemgetter(2)


def sort_key(view: ComponentView) -> tuple[int, str, str]:
    """Worst status first, then by name (case-insensitive), then id: the order of every component list."""
    return (view.status.rank, view.name.casefold(), view.id)


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
            if t is None:
                view = ComponentView(
                    id=cid,
                    name=comp.name,
                    status=comp.status,
                    observed=comp.status,
                    since=comp.last_modified or now,
                    last_modified=comp.last_modified,
                    source=comp.source,
                    group=comp.group,
                    raw_status=comp.raw_status,
                    details=comp.details,
                )
                entries[cid] = (None, view, sort_key(view))
                changed = True
                continue
            until = silences.get(cid)
            inputs = (comp, t.confirmed, t.since, t.flapping, until, t.caused_by, cid in critical)
            entry = previous.get(cid)
            if entry is not None and entry[0] == inputs:
                entries[cid] = entry
                continue
            view = ComponentView(
                id=cid,
                name=comp.name,
                status=t.confirmed,
                observed=comp.status,
                since=t.since,
                last_modified=comp.last_modified,
                source=comp.source,
                critical=cid in critical,
                flapping=t.flapping,
                silenced_until=until,
                caused_by=t.caused_by,
                group=comp.group,
                raw_status=comp.raw_status,
                details=comp.details,
            )
            entries[cid] = (inputs, view, sort_key(view))
            changed = True
        if changed:
            self._sorted = tuple(entry[1] for entry in sorted(entries.values(), key=_by_key))
        self._entries = entries
        return self._sorted
