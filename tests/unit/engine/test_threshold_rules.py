"""The threshold as rules, on an injected clock: what a breach, its reminder and its resolve say and carry, when
reminders come, and what a fresh engine reports before its first poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.engine_helpers import engine, events, run, snap
from tui_health.engine.threshold import ThresholdCycle, ThresholdRule
from tui_health.model.domain import Status
from tui_health.support.clock import FakeClock

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def test_a_critical_component_is_named_by_its_name_or_else_its_id():
    rule = ThresholdRule(min_down=1, min_degraded=2, critical=frozenset({"billing"}))
    assert rule.reasons({"billing": Status.DOWN}, {"billing": "Billing"}) == [
        "1 down (min_down 1)",
        "critical component Billing (billing) is down",
    ]
    assert rule.reasons({"billing": Status.DOWN}) == [
        "1 down (min_down 1)",
        "critical component billing (billing) is down",
    ]


def test_a_fresh_engine_is_not_breached_and_has_no_breach_times():
    eng = engine(FakeClock(T0))
    assert (eng.breached, eng.reasons, eng.breach_notified_at, eng.breach_since) == (False, (), None, None)


def test_a_breach_its_reminder_and_its_resolve_say_what_and_since_when():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=2, repeat_interval=600)
    breach_steps = [(0, {"a": "down", "b": "down", "c": "healthy"})]
    [breach] = events(run(eng, clock, breach_steps), "threshold_breach")
    assert breach.message == "threshold breached: 2 down (min_down 2)"
    assert (breach.status, breach.severity, breach.component_ids) == ("breached", "critical", ("a", "b"))
    assert (breach.reasons, breach.since) == (("2 down (min_down 2)",), T0)
    clock.advance(600)
    [reminder] = events(
        [eng.observe(snap(clock, {"a": "down", "b": "down", "c": "degraded"}))], "threshold_reminder"
    )
    assert reminder.message == "threshold still breached: 2 down (min_down 2)"
    assert (reminder.status, reminder.component_ids, reminder.since) == ("breached", ("a", "b", "c"), T0)
    clock.advance(60)
    [resolved] = events(
        [eng.observe(snap(clock, {"a": "healthy", "b": "down", "c": "healthy"}))], "threshold_resolved"
    )
    assert (resolved.message, resolved.status, resolved.previous_status) == (
        "threshold resolved",
        "resolved",
        "breached",
    )
    assert (resolved.reasons, resolved.component_ids) == (("2 down (min_down 2)",), ())
    assert (resolved.since, resolved.previous_since) == (T0 + timedelta(seconds=660), T0)
    assert (eng.breach_notified_at, eng.breach_since) == (None, None)


def test_every_reason_of_a_breach_is_in_its_message():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=1, min_degraded=1)
    [breach] = events(run(eng, clock, [(0, {"a": "down", "b": "degraded"})]), "threshold_breach")
    assert breach.message == "threshold breached: 1 down (min_down 1); 1 degraded (min_degraded 1)"


def test_a_zero_repeat_interval_never_reminds_and_a_one_second_one_reminds_every_second():
    clock = FakeClock(T0)
    never = engine(clock, flap_interval=0, repeat_interval=0)
    outcomes = run(never, clock, [(t, {"a": "down"}) for t in range(0, 36_000, 3600)])
    assert events(outcomes, "threshold_reminder") == []
    clock = FakeClock(T0)
    often = engine(clock, flap_interval=0, repeat_interval=1)
    outcomes = run(often, clock, [(t, {"a": "down"}) for t in range(4)])
    assert len(events(outcomes, "threshold_reminder")) == 3


def test_a_cycle_on_its_own_breaches_by_its_rule_and_reminds_on_its_interval():
    cycle = ThresholdCycle(ThresholdRule(min_down=2), repeat_interval=60)

    def said(kind, status, message, **fields):
        return kind, message

    down = {"a": Status.DOWN, "b": Status.DOWN}
    assert cycle.update(T0, 0.0, {"a": Status.DOWN}, {}, said) == []  # one down: short of min_down 2
    assert cycle.update(T0, 10.0, down, {}, said) == [
        ("threshold_breach", "threshold breached: 2 down (min_down 2)")
    ]
    assert cycle.update(T0, 69.0, down, {}, said) == []
    assert [kind for kind, _ in cycle.update(T0, 70.0, down, {}, said)] == ["threshold_reminder"]
