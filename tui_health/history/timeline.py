"""A component's timeline from the history: a status strip per period, its transitions, the alerts about it."""

from __future__ import annotations

from collections.abc import Sequence

from tui_health.history.availability import coverage, figures, overlap
from tui_health.history.reader import HistoryReader
from tui_health.model.component_history import ComponentTimeline, Stay, Transition

STRIP_RANK = {"down": 0, "degraded": 1, "unknown": 2, "maintenance": 3, "healthy": 4}
"""Worst first: a strip cell shows the worst confirmed status observed within it."""


def strip(
    transitions: Sequence[tuple[float, str]],
    spans: Sequence[tuple[float, float]],
    since: float,
    until: float,
    cells: int,
) -> tuple[str | None, ...]:
    """``cells`` slots over [since, until]: each the worst status that held for an observed moment in it."""
    width = (until - since) / cells
    out: list[str | None] = []
    for index in range(cells):
        start, end = since + index * width, since + (index + 1) * width
        worst: str | None = None
        for i, (at, status) in enumerate(transitions):
            stop = transitions[i + 1][0] if i + 1 < len(transitions) else until
            if stop <= start or at >= end or status == "gone":
                continue
            if overlap(max(at, start), min(stop, end), spans) <= 0:
                continue
            if worst is None or STRIP_RANK.get(status, 2) < STRIP_RANK.get(worst, 2):
                worst = status
        out.append(worst)
    return tuple(out)


def coarser(cells: Sequence[str | None], most: int) -> tuple[str | None, ...]:
    """``cells`` in at most ``most`` slots, each as long as ``k`` of them and holding the worst of those (an
    unwatched slot only where all of them were): a strip drawn narrower, still ending at its last cell (now)."""
    if most >= len(cells) or most < 1:
        return tuple(cells)
    k = -(-len(cells) // most)  # ceil
    out: list[str | None] = []
    for end in range(len(cells), 0, -k):  # from the end: the last slot ends at now, a short one goes first
        group = [c for c in cells[max(0, end - k) : end] if c is not None]
        out.append(min(group, key=lambda s: STRIP_RANK.get(s, 2)) if group else None)
    return tuple(reversed(out))


def component_timeline(
    reader: HistoryReader, cid: str, now: float, cells: int = 48, *, known: float | None = None
) -> ComponentTimeline:
    """The timeline up to ``now``; ``known``: the moment whose knowledge it shows (replay: the end of the poll
    shown, a little after ``now``, when it was taken): the alerts made and delivered by then."""
    week_ago, day_ago = now - 7 * 86400, now - 86400
    transitions = reader.transitions(week_ago, now, [cid], before=True)
    steps = [(t.at, t.to_status) for t in transitions]
    observed = reader.observations(week_ago, now)
    week_spans = coverage(observed, week_ago, now)
    day_spans = coverage(observed, day_ago, now)
    name = transitions[-1].name if transitions else cid
    return ComponentTimeline(
        day=strip(steps, day_spans, day_ago, now, cells),
        week=strip(steps, week_spans, week_ago, now, cells),
        stays=tuple(reversed(_stays(transitions, now))),
        alerts=tuple(reversed(reader.alerts(week_ago, max(now, known or now), cid))),
        availability_day=figures(cid, name, steps, day_spans, now).availability,
        availability_week=figures(cid, name, steps, week_spans, now).availability,
    )


def _stays(transitions: list[Transition], now: float) -> list[Stay]:
    out = []
    for index, t in enumerate(transitions):
        end = transitions[index + 1].at if index + 1 < len(transitions) else now
        out.append(Stay(t.at, t.to_status, t.from_status, max(0.0, end - t.at), t.caused_by, t.flapping))
    return out
