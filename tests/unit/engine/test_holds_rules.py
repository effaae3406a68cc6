"""Holds as rules: why a component's alert is held (the reason as said), which holds a recovery passes, and a
cause that is cleared once its dependency is back."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.engine_helpers import engine, run
from tui_health.engine.base import Tracked
from tui_health.engine.holds import held_because
from tui_health.model.domain import Status
from tui_health.support.clock import FakeClock

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
UNTIL = {"a": datetime(2026, 12, 6, 3, 0, tzinfo=UTC)}


def tracked(**kw) -> Tracked:
    return Tracked(name="A", confirmed=Status.DOWN, since=T0, **kw)


def test_each_hold_says_why():
    assert held_because("a", tracked(), {}, {"a": "db upgrade"}) == "in maintenance (db upgrade)"
    assert held_because("a", tracked(flapping=True), {}) == "flapping"
    assert held_because("a", tracked(caused_by=("api", "db")), {}) == "caused by api, db"
    assert held_because("a", tracked(), UNTIL) == "silenced until 2026-12-06T03:00:00+00:00"
    assert held_because("a", tracked(), {}) is None


def test_a_new_page_is_held_by_a_silence_unless_it_is_a_recovery():
    assert held_because("a", tracked(), UNTIL) is not None
    assert held_because("a", tracked(), UNTIL, {"a": "db upgrade"}) is not None
    assert held_because("a", tracked(), UNTIL, {"a": "db upgrade"}, recovery=True) is None


def test_a_dependents_cause_is_cleared_once_its_dependency_is_back():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=9, dependencies={"routing": ("api",)})
    run(eng, clock, [(0, {"api": "down", "routing": "down"})])
    assert eng.components["routing"].caused_by == ("api",)
    run(eng, clock, [(15, {"api": "healthy", "routing": "healthy"})])
    assert eng.components["routing"].caused_by == ()
