"""Holds: whether a component's alerts are held right now, and why — flapping, silenced, or caused by a
dependency that is down (the root cause pages, not the cascade). Each hold is a predicate; the engine asks them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tui_health.engine.base import Tracked
from tui_health.model.domain import Status


def update_causes(components: Mapping[str, Tracked], dependencies: Mapping[str, tuple[str, ...]]) -> None:
    """Set each problem component's ``caused_by`` to its dependencies that are down (cleared otherwise)."""
    for cid, tracked in components.items():
        depends_on = dependencies.get(cid)
        if not depends_on or not tracked.confirmed.is_problem:
            if tracked.caused_by:
                tracked.caused_by = ()
            continue
        tracked.caused_by = tuple(
            d for d in depends_on if d in components and components[d].confirmed is Status.DOWN
        )


def held_because(
    cid: str,
    tracked: Tracked,
    silences: Mapping[str, datetime],
    maintenance: Mapping[str, str] | None = None,
    *,
    recovery: bool = False,
) -> str | None:
    """Why ``cid``'s alerts are held now, or ``None`` when receivers may be told.

    ``recovery``: what would be told is that a problem receivers were told about is over. A silence or a
    maintenance window holds new pages, never that: the incident they opened would stay open for the whole
    silence. Flapping holds both ways (it is noise either way)."""
    if maintenance and cid in maintenance and not recovery:
        return f"in maintenance ({maintenance[cid]})"
    if tracked.flapping:
        return "flapping"
    if tracked.caused_by:
        return "caused by " + ", ".join(tracked.caused_by)
    if cid in silences and not recovery:
        return f"silenced until {silences[cid].isoformat()}"
    return None


def expired(silences: Mapping[str, datetime], now: datetime) -> list[str]:
    """Silences that have run out."""
    return [cid for cid, until in silences.items() if until <= now]
