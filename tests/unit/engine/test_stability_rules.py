"""Stability as rules, on an injected clock: what a confirmed change says and carries (name, times, source, the
poll), when flapping starts and stops at the edge of its window, and what a flap that did not count says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.engine_helpers import engine, events, run, snap
from tui_health.model.domain import Component, Snapshot, SourceResult, Status
from tui_health.support.clock import FakeClock

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def observe(eng, clock: FakeClock, *components: Component, total_ms: float = 12.3456):
    snapshot = Snapshot(
        poll_id="poll-7",
        taken_at=clock.now(),
        components=components,
        sources=(SourceResult(name="status-page", ok=True, components=components),),
        total_ms=total_ms,
    )
    return eng.observe(snapshot)


def voice(status: Status, **kw) -> Component:
    return Component("voice", "Voice", status, source="status-page", group="EMEA", **kw)


def test_a_problem_present_at_the_first_poll_is_reported_with_everything_it_is_known_by():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30, min_down=9)
    began = T0 - timedelta(hours=1)  # the status page says when it began
    [first] = observe(eng, clock, voice(Status.DOWN, last_modified=began)).events
    assert (first.event_type, first.component_ids, first.status, first.previous_status) == (
        "component_health_change",
        ("voice",),
        "down",
        "unknown",
    )
    assert first.message == "Voice (EMEA) is down" and first.name == "Voice (EMEA)"
    assert (first.since, first.previous_since) == (began, None)
    assert (first.source, first.poll_id, first.latency_ms) == ("status-page", "poll-7", 12.346)
    assert first.severity == "warning" and first.timestamp == T0


def test_a_baseline_dated_in_the_future_begins_now():
    clock = FakeClock(T0)
    eng = engine(clock, min_down=9)
    [first] = observe(eng, clock, voice(Status.DOWN, last_modified=T0 + timedelta(minutes=5))).events
    assert first.since == T0


def test_a_confirmed_change_began_when_it_was_first_seen_and_ends_the_previous_status():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30, min_down=9)
    observe(eng, clock, voice(Status.HEALTHY, last_modified=T0 - timedelta(hours=1)))
    for _ in range(2):  # the group keeps its name at polls that change nothing
        clock.advance(10)
        assert observe(eng, clock, voice(Status.HEALTHY)).events == ()
        assert eng.components["voice"].name == "Voice (EMEA)"
    clock.advance(10)
    assert observe(eng, clock, voice(Status.DOWN)).events == ()  # first seen down at 02:00:30
    clock.advance(30)
    [change] = observe(eng, clock, voice(Status.DOWN)).events
    assert change.message == "Voice (EMEA) changed to down (was healthy)"
    assert change.name == "Voice (EMEA)" and change.previous_status == "healthy"
    assert change.since == T0 + timedelta(seconds=30)
    assert change.previous_since == T0 - timedelta(hours=1)
    assert eng.components["voice"].confirmed_at == T0 + timedelta(seconds=60)


def test_a_flap_that_did_not_count_says_the_status_it_is_back_to():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30)
    outcomes = run(eng, clock, [(0, {"a": "healthy"}), (10, {"a": "down"}), (20, {"a": "healthy"})])
    [suppressed] = events(outcomes, "flap_suppressed")
    assert (suppressed.status, suppressed.previous_status) == ("healthy", "down")


def test_flapping_starts_at_the_nth_change_in_the_window_and_stops_once_one_is_left():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, flapping_changes=3, flapping_window=100, min_down=9)
    # changes at 10, 20 and 30 s: flapping from 30; each change leaves the window 100 s after it, not before
    timeline = [(0, "healthy"), (10, "down"), (20, "healthy"), (30, "down")]
    outcomes = run(eng, clock, [(t, {"a": s}) for t, s in timeline])
    [started] = events(outcomes, "flapping_started")
    assert started.message == "A is flapping (3 changes in 100 s); its alerts are held"
    assert (started.status, started.severity) == ("down", "warning")
    clock.advance(80)  # 110 s: all three are in the window
    assert events([eng.observe(snap(clock, {"a": "down"}))], "flapping_stopped") == []
    clock.advance(10)  # 120 s: two are left (20 and 30 s)
    assert events([eng.observe(snap(clock, {"a": "down"}))], "flapping_stopped") == []
    clock.advance(10)
    [stopped] = events([eng.observe(snap(clock, {"a": "down"}))], "flapping_stopped")  # 130 s: one left
    assert (stopped.message, stopped.status) == ("A stopped flapping; it is down", "down")
    assert eng.export()["components"]["a"]["flapping"] is False


def test_a_change_is_confirmed_when_it_has_lasted_the_flap_interval_not_a_second_sooner():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30, min_down=9)
    # seen down every second from 10 s: 29 s later it has not lasted 30 s yet; at 30 s it has
    outcomes = run(eng, clock, [(0, {"a": "healthy"})] + [(t, {"a": "down"}) for t in range(10, 41)])
    [change] = events(outcomes, "component_health_change")
    assert change.timestamp == T0 + timedelta(seconds=40)
