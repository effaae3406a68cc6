"""The simulator's timeline without HTTP: deterministic components and latencies on a FakeClock.

Screenshots, snapshot tests and the table benchmark use it, so what they show never depends on the machine.
"""

from __future__ import annotations

import random
from pathlib import Path

from tui_health.engine import EngineConfig, ThresholdEngine, ThresholdRule
from tui_health.genesys.wire import parse_entity
from tui_health.history.recorder import Recorder
from tui_health.history.writer import HistoryWriter
from tui_health.model.domain import Component, RequestTiming, SourceResult
from tui_health.model.state import StatePublisher
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.monitor import Monitor, Poller
from tui_health.settings.target import Target
from tui_health.simulator.scenario import Scenario
from tui_health.simulator.world import SimState
from tui_health.support.clock import FakeClock


class OfflineSource:
    """A Source that reads the scenario's state directly; each fetch advances the clock by a seeded latency."""

    name = "health-api"

    def __init__(self, scenario: Scenario, clock: FakeClock, seed: int = 1) -> None:
        self.state = SimState(scenario, clock)
        self.clock = clock
        self.rng = random.Random(seed)
        self.fetches = 0

    async def fetch(self, deadline: float | None) -> SourceResult:
        self.fetches += 1
        latency = round(self.rng.uniform(35, 95), 1)
        self.clock.advance(latency / 1000)
        cid = f"offline-{self.fetches:04d}"
        components: list[Component] = []
        issues = []
        for raw in self.state.entities(expand=True):
            component, problems = parse_entity(raw, cid, self.name)
            issues.extend(problems)
            if component is not None:
                components.append(component)
        timing = RequestTiming("page 1", latency, 200, 1, cid)
        return SourceResult(
            self.name,
            True,
            tuple(components),
            correlation_ids=(cid,),
            issues=tuple(issues),
            timings=(timing,),
        )


def offline_monitor(
    scenario: Scenario,
    clock: FakeClock,
    directory: Path,
    *,
    critical: tuple[str, ...] = (),
    dependencies: dict[str, tuple[str, ...]] | None = None,
    target: str = "eu-central-1 (simulated)",
    history: tuple[HistoryWriter, Recorder] | None = None,
    remember: bool = True,
    settle: bool = True,
) -> tuple[Monitor, StatePublisher]:
    """A Monitor over an OfflineSource, auditing to ``directory``; no alert sinks."""
    store = StatePublisher()
    engine = ThresholdEngine(
        EngineConfig(rule=ThresholdRule(critical=frozenset(critical)), dependencies=dependencies or {}), clock
    )
    monitor = Monitor(
        Poller([OfflineSource(scenario, clock)], deadline=60, clock=clock),
        engine,
        AuditLog(directory / "audit.jsonl"),
        store,
        clock=clock,
        interval=15,
        target=Target(target, f"offline-{target}", ("health-api",)),
        history=history,
        remember=remember,
        settle=settle,
    )
    return monitor, store
