"""Availability from the history, exactly: confirmed status durations over the time the target was observed.

Definitions (README, "History and reviews"):

- **Observed time**: an answered poll observes from its moment until the next poll (answered or not), or for
  ``covers`` seconds (three poll intervals) when no poll follows sooner. Failed polls observe nothing. Time
  nobody was monitoring counts for nothing.
- A component's **confirmed status** is a step function: each transition sets it from when the new status began.
  Time it was ``unknown`` (not measured) or gone is not observed for it.
- ``observed_s``: observed time with a known status; ``availability`` = (observed - maintenance - down) /
  (observed - maintenance) as a percentage (``None`` when nothing counts); ``degraded_s`` is reported separately
  and counts as available.
- An **outage** is a stretch of ``down`` that ends when the component is confirmed healthy, degraded or in
  maintenance (an unknown gap inside it does not end it). ``outages`` counts those with observed down time in the
  window, ``downtime_s`` sums it, ``longest_s`` is the most of it in one outage, ``mttr_s`` = downtime / outages,
  ``last_outage_at`` is when the latest one began.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KNOWN = ("healthy", "degraded", "down", "maintenance")
ENDS_OUTAGE = ("healthy", "degraded", "maintenance")


@dataclass(frozen=True, slots=True)
class Figures:
    id: str
    name: str
    availability: float | None
    outages: int
    downtime_s: float
    mttr_s: float | None
    longest_s: float
    last_outage_at: float | None
    degraded_s: float
    maintenance_s: float
    observed_s: float


def coverage(
    polls: Iterable[tuple[float, float, bool]], since: float, until: float
) -> list[tuple[float, float]]:
    """Observed spans within [since, until] from ``(at, covers, ok)`` polls in time order, merged."""
    spans: list[tuple[float, float]] = []
    ordered = list(polls)
    for index, (at, covers, ok) in enumerate(ordered):
        if not ok:
            continue
        end = at + covers
        if index + 1 < len(ordered):
            end = min(end, ordered[index + 1][0])
        start, end = max(at, since), min(end, until)
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def overlap(start: float, end: float, spans: Sequence[tuple[float, float]]) -> float:
    """Seconds of [start, end) inside ``spans``."""
    total = 0.0
    for a, b in spans:
        if b <= start:
            continue
        if a >= end:
            break
        total += min(b, end) - max(a, start)
    return total


def figures(
    cid: str,
    name: str,
    transitions: Sequence[tuple[float, str]],
    spans: Sequence[tuple[float, float]],
    until: float,
) -> Figures:
    """The figures of one component from its transitions ``(at, to_status)`` in time order (the last one before
    the window included) over the observed ``spans``."""
    time_in: dict[str, float] = dict.fromkeys(KNOWN, 0.0)
    outages: list[tuple[float, float]] = []  # (began, observed down seconds in the window)
    current: tuple[float, float] | None = None
    for index, (at, status) in enumerate(transitions):
        end = transitions[index + 1][0] if index + 1 < len(transitions) else until
        seconds = overlap(at, max(at, end), spans)
        if status in time_in:
            time_in[status] += seconds
        if status == "down":
            current = (current[0], current[1] + seconds) if current else (at, seconds)
        elif status in ENDS_OUTAGE and current is not None:
            outages.append(current)
            current = None
    if current is not None:
        outages.append(current)
    seen = [o for o in outages if o[1] > 0]
    down = time_in["down"]
    observed = sum(time_in.values())
    counted = observed - time_in["maintenance"]
    return Figures(
        id=cid,
        name=name,
        availability=round(100.0 * (counted - down) / counted, 4) if counted > 0 else None,
        outages=len(seen),
        downtime_s=round(down, 3),
        mttr_s=round(down / len(seen), 3) if seen else None,
        longest_s=round(max((o[1] for o in seen), default=0.0), 3),
        last_outage_at=seen[-1][0] if seen else None,
        degraded_s=round(time_in["degraded"], 3),
        maintenance_s=round(time_in["maintenance"], 3),
        observed_s=round(observed, 3),
    )
