"""Build snapshots and drive the engine on a scripted timeline."""

from __future__ import annotations

from tui_health.engine import EngineConfig, Outcome, ThresholdEngine, ThresholdRule
from tui_health.model.domain import Component, Snapshot, SourceResult, Status
from tui_health.support.clock import FakeClock


def snap(clock: FakeClock, statuses: dict[str, str], ok: bool = True) -> Snapshot:
    comps = tuple(Component(id=cid, name=cid.title(), status=Status(s)) for cid, s in statuses.items())
    source = SourceResult(name="health-api", ok=ok, components=comps if ok else ())
    return Snapshot(
        poll_id=f"p{clock.monotonic():.0f}",
        taken_at=clock.now(),
        components=comps if ok else (),
        sources=(source,),
        total_ms=12.5,
    )


def engine(clock: FakeClock, **kw) -> ThresholdEngine:
    rule = ThresholdRule(kw.pop("min_down", 1), kw.pop("min_degraded", 2), frozenset(kw.pop("critical", ())))
    return ThresholdEngine(EngineConfig(rule=rule, **kw), clock)


def run(
    eng: ThresholdEngine, clock: FakeClock, timeline: list[tuple[float, dict[str, str]]]
) -> list[Outcome]:
    """Observe each (seconds since start, statuses) step, advancing the clock."""
    outcomes, last = [], 0.0
    for at, statuses in timeline:
        clock.advance(at - last)
        last = at
        outcomes.append(eng.observe(snap(clock, statuses)))
    return outcomes


def events(outcomes: list[Outcome], kind: str | None = None) -> list:
    return [e for o in outcomes for e in o.events if kind is None or e.event_type == kind]


def notified(outcomes: list[Outcome], kind: str | None = None) -> list:
    return [e for o in outcomes for e in o.notify if kind is None or e.event_type == kind]
