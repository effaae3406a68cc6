"""The engine's bookkeeping as rules, on an injected clock: what a restart restores field by field (and what bad
data it skips), what a silence says and keeps, and what forgetting an alert does. Expected values are written out
by hand."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.engine_helpers import engine, events, run, snap
from tui_health.engine.base import Outcome, Tracked
from tui_health.model.domain import Component, Snapshot, SourceResult, Status
from tui_health.support.clock import FakeClock

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
OK = {"a": "healthy", "b": "healthy"}


# -- one component, restored ----------------------------------------------------------------------------------
def test_a_restored_component_keeps_every_saved_field_and_its_changes_as_durations():
    raw = {
        "name": "Web chat",
        "confirmed": "down",
        "since": "2026-12-06T01:00:00+00:00",
        "alerted": "degraded",
        "flapping": True,
        "changes": ["2026-12-06T01:50:00+00:00", "2026-12-06T01:59:00+00:00"],
    }
    # now is 02:00 and the new process's monotonic clock reads 5000: 10 and 1 minutes ago are 4400 and 4940
    restored = Tracked.restore(raw, T0, 5000.0)
    assert restored == Tracked(
        name="Web chat",
        confirmed=Status.DOWN,
        since=datetime(2026, 12, 6, 1, 0, tzinfo=UTC),
        alerted=Status.DEGRADED,
        flapping=True,
        changes=deque([4400.0, 4940.0]),
    )


def test_a_component_saved_before_alerts_and_flapping_were_kept_restores_as_told_nothing_and_calm():
    restored = Tracked.restore(
        {"name": "Voice", "confirmed": "healthy", "since": "2026-12-06T01:00:00+00:00"}, T0, 5.0
    )
    assert restored.alerted is Status.HEALTHY and restored.flapping is False and restored.changes == deque()


def test_a_saved_component_is_exported_as_wall_times():
    tracked = Tracked(name="Voice", confirmed=Status.DOWN, since=T0, alerted=Status.DOWN, flapping=True)
    tracked.changes.append(4400.0)
    assert tracked.export(T0, 5000.0) == {
        "name": "Voice",
        "confirmed": "down",
        "since": "2026-12-06T02:00:00+00:00",
        "alerted": "down",
        "flapping": True,
        "changes": ["2026-12-06T01:50:00+00:00"],
    }


# -- the engine, restored --------------------------------------------------------------------------------------
def test_a_restart_restores_components_silences_their_notes_and_the_breach():
    clock = FakeClock(T0)
    eng = engine(clock)
    eng.restore(
        {
            "components": {
                "broken": {"name": "B"},  # no status: skipped, the others kept
                "wrong": {"name": "W", "confirmed": "sideways", "since": "2026-12-06T01:00:00+00:00"},
                "a": {
                    "name": "A",
                    "confirmed": "down",
                    "since": "2026-12-06T01:00:00+00:00",
                    "alerted": "down",
                    "changes": ["2026-12-06T01:59:00+00:00"],  # a minute before now, on the clock's 1000 s
                },
            },
            "silences": {"bad": "tomorrow", "none": None, "a": "2026-12-06T03:00:00+00:00"},
            "silence_notes": {"a": "by alice: " + "x" * 400, "gone": "by bob"},
            "breached": True,
            "reasons": ["1 down (min_down 1)"],
            "breach_notified_at": "2026-12-06T01:30:00+00:00",
            "breach_since": "2026-12-06T01:10:00+00:00",
        }
    )
    assert list(eng.components) == ["a"]
    assert eng.components["a"].confirmed is Status.DOWN and eng.components["a"].name == "A"
    assert eng.silences == {"a": datetime(2026, 12, 6, 3, 0, tzinfo=UTC)}
    assert eng.components["a"].changes == deque([940.0])
    assert eng.revision == 0  # what was just restored is nothing new to save
    # a note is cut at 300 characters, and none is kept without its silence
    assert eng.silence_notes == {"a": "by alice: " + "x" * 290}
    assert eng.breached and eng.reasons == ("1 down (min_down 1)",)
    assert eng.breach_notified_at == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)
    assert eng.breach_since == datetime(2026, 12, 6, 1, 10, tzinfo=UTC)


def test_notes_that_are_not_text_or_not_a_mapping_are_ignored():
    eng = engine(FakeClock(T0))
    eng.restore({"silences": {"a": "2026-12-06T03:00:00+00:00"}, "silence_notes": {"a": 7}})
    assert eng.silences and eng.silence_notes == {}
    eng = engine(FakeClock(T0))
    eng.restore({"silences": {"a": "2026-12-06T03:00:00+00:00"}, "silence_notes": ["by alice"]})
    assert eng.silence_notes == {}


def test_a_breach_saved_without_its_start_began_when_it_was_notified():
    eng = engine(FakeClock(T0))
    eng.restore({"breached": True, "reasons": ["r"], "breach_notified_at": "2026-12-06T01:30:00+00:00"})
    assert eng.breach_since == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)
    eng = engine(FakeClock(T0))
    eng.restore({"breached": True, "breach_notified_at": "2026-12-06T01:30:00+00:00", "breach_since": "soon"})
    assert eng.breach_since == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)


def test_unreadable_breach_times_are_forgotten_not_fatal():
    eng = engine(FakeClock(T0))
    eng.restore({"breached": True, "reasons": None, "breach_notified_at": "at some point", "breach_since": 5})
    assert eng.breached and eng.reasons == ()
    assert eng.breach_notified_at is None and eng.breach_since is None


def test_a_restored_breach_is_reminded_on_the_interval_from_its_saved_notification():
    # notified 30 min before the restart, reminders every hour: the reminder is due 30 min after it
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, repeat_interval=3600)
    eng.restore(
        {
            "components": {"a": {"name": "A", "confirmed": "down", "since": "2026-12-06T01:00:00+00:00"}},
            "breached": True,
            "reasons": ["1 down (min_down 1)"],
            "breach_notified_at": "2026-12-06T01:30:00+00:00",
        }
    )
    clock.advance(1799)
    assert events([eng.observe(snap(clock, {"a": "down"}))], "threshold_reminder") == []
    clock.advance(1)
    [reminder] = events([eng.observe(snap(clock, {"a": "down"}))], "threshold_reminder")
    assert reminder.since == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)


def test_an_export_saves_each_component_the_silences_and_only_the_notes_of_silenced_components():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0)
    run(
        eng, clock, [(0, {"a": "healthy"}), (60, {"a": "down"})]
    )  # down, and breached, at 02:01, a minute ago
    clock.advance(60)
    eng.silence("a", T0 + timedelta(hours=1, minutes=2), by="alice", reason="db work")
    eng.silence_notes["b"] = "by nobody"  # a note left without its silence
    saved = eng.export()
    assert saved["components"] == {
        "a": {
            "name": "A",
            "confirmed": "down",
            "since": "2026-12-06T02:01:00+00:00",
            "alerted": "down",
            "flapping": False,
            "changes": ["2026-12-06T02:01:00+00:00"],
        }
    }
    assert saved["silences"] == {"a": "2026-12-06T03:02:00+00:00"}
    assert saved["silence_notes"] == {"a": "by alice: db work"}
    assert (saved["breached"], saved["reasons"], saved["breach_notified_at"], saved["breach_since"]) == (
        True,
        ["1 down (min_down 1)"],
        "2026-12-06T02:01:00+00:00",
        "2026-12-06T02:01:00+00:00",
    )


# -- a change too short to count ------------------------------------------------------------------------------------
def test_a_change_a_second_short_of_the_flap_interval_is_said_to_have_lasted_that_long():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30)
    outcomes = run(eng, clock, [(0, OK), (10, {**OK, "a": "down"}), (39, OK)])
    [short] = events(outcomes, "flap_suppressed")
    assert short.message == "A was down for 29 s, back to healthy before the 30 s it needed to count"


def test_a_change_gone_exactly_the_flap_interval_after_it_was_seen_was_never_seen_to_last_it():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30)
    outcomes = run(eng, clock, [(0, OK), (10, {**OK, "a": "down"}), (40, OK)])
    [gap] = events(outcomes, "flap_suppressed")
    assert gap.message == (
        "A was down at one poll and healthy again at the next (30 s later): it was never seen to last the 30 s "
        "it needed to count"
    )


# -- silences --------------------------------------------------------------------------------------------------
def test_a_silence_names_the_component_until_when_who_and_why():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0)
    run(eng, clock, [(0, OK)])
    before = eng.revision
    added = eng.silence("a", T0 + timedelta(hours=1), by="alice", reason="db work")
    assert added.event_type == "silence_added" and added.component_ids == ("a",) and added.status is None
    assert added.message == "A silenced until 2026-12-06T03:00:00+00:00 by alice: db work"
    assert eng.silence_notes == {"a": "by alice: db work"}
    assert eng.revision == before + 1


def test_a_silence_without_a_reason_says_so_and_one_of_an_unknown_component_names_its_id():
    eng = engine(FakeClock(T0))
    added = eng.silence("ghost", T0 + timedelta(hours=1), by="bob")
    assert added.message == "ghost silenced until 2026-12-06T03:00:00+00:00 by bob (no reason given)"
    assert eng.silence_notes == {"ghost": "by bob"}


def test_lifting_a_silence_says_why_and_lifting_none_says_nothing():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0)
    run(eng, clock, [(0, OK)])
    eng.silence("a", T0 + timedelta(hours=1), by="alice")
    eng.silence("ghost", T0 + timedelta(hours=1), by="alice")
    before = eng.revision
    removed = eng.unsilence("a")
    assert removed is not None and removed.event_type == "silence_removed" and removed.component_ids == ("a",)
    assert removed.message == "silence of A lifted"
    assert eng.unsilence("ghost", reason="expired").message == "silence of ghost expired"
    assert eng.revision == before + 2
    assert eng.unsilence("a") is None and eng.revision == before + 2
    assert eng.silences == {} and eng.silence_notes == {}


def test_a_silence_expires_at_its_time_with_an_event():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0)
    eng.silence("a", T0 + timedelta(minutes=10), by="alice")
    clock.advance(599)
    assert events([eng.observe(snap(clock, OK))], "silence_removed") == []
    clock.advance(1)
    [ended] = events([eng.observe(snap(clock, OK))], "silence_removed")
    assert ended.message == "silence of A expired" and eng.silences == {}


# -- forgetting what receivers were told -------------------------------------------------------------------------
def test_an_alert_lost_at_stop_is_sent_again_at_the_next_observation():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=9)
    run(eng, clock, [(0, {**OK, "a": "down"})])
    before = eng.revision
    eng.unalert(("a", "ghost"))
    assert eng.components["a"].alerted is Status.UNKNOWN
    assert eng.revision == before + 1  # the unknown component changes nothing
    clock.advance(10)
    [again] = eng.observe(snap(clock, {**OK, "a": "down"})).notify
    assert (again.component_ids, again.status, again.previous_status) == (("a",), "down", "unknown")
    assert eng.open_problems() == {"a": Status.DOWN}


# -- an observation ---------------------------------------------------------------------------------------------
def test_the_revision_moves_once_for_a_poll_that_changed_something_and_never_for_one_that_did_not():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=9)
    run(eng, clock, [(0, OK), (10, OK)])
    before = eng.revision
    clock.advance(10)
    eng.observe(snap(clock, OK))
    assert eng.revision == before
    clock.advance(10)
    eng.observe(snap(clock, {**OK, "c": "healthy"}))  # a new component, healthy: no event, but worth saving
    assert eng.revision == before + 1
    clock.advance(10)
    eng.observe(snap(clock, {**OK, "c": "down"}))
    assert eng.revision == before + 2


def test_a_fresh_engine_has_nothing_to_save():
    assert engine(FakeClock(T0)).revision == 0


def test_without_the_status_filter_a_component_missing_from_an_answer_keeps_its_state():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=9)
    run(eng, clock, [(0, {"a": "down"}), (10, {})])
    assert eng.components["a"].confirmed is Status.DOWN


def test_an_outcome_carries_the_breach_and_its_reasons():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0)
    [outcome] = run(eng, clock, [(0, {**OK, "a": "down"})])
    assert outcome.breached and outcome.reasons == ("1 down (min_down 1)",)


def test_a_component_gone_from_a_filtered_answer_recovers_under_its_name_and_source():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=9)
    page = SourceResult(name="status-page", ok=True, components=())

    def observe(*components: Component) -> Outcome:
        answered = replace(page, components=components)
        return eng.observe(Snapshot("p", clock.now(), components, (answered,), 1.0), absent_is_healthy=True)

    observe(Component("voice", "Voice", Status.DOWN, source="status-page"))
    clock.advance(10)
    [recovered] = observe().events
    assert (recovered.component_ids, recovered.status, recovered.name, recovered.source) == (
        ("voice",),
        "healthy",
        "Voice",
        "status-page",
    )


def test_a_silence_holds_a_page_that_a_problem_got_worse():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, min_down=9, min_degraded=9)
    [told] = run(eng, clock, [(0, {**OK, "a": "degraded"})])
    assert [e.status for e in told.notify] == ["degraded"]
    eng.silence("a", T0 + timedelta(hours=1), by="alice")
    [worse] = run(eng, clock, [(10, {**OK, "a": "down"})])
    assert worse.notify == ()


def test_a_hold_that_ends_tells_where_the_component_ended_up_from_what_receivers_were_last_told():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=0, flapping_changes=3, flapping_window=100, min_down=9)
    # told down at 10 s, healthy at 20 s; the change at 30 s starts flapping (held); it stops at 130 s
    timeline = [(0, "healthy"), (10, "down"), (20, "healthy"), (30, "down"), (110, "down"), (130, "down")]
    outcomes = run(eng, clock, [(t, {"a": s}) for t, s in timeline])
    released = outcomes[-1].notify[-1]
    assert released.message == "A changed to down (was healthy) (alert released after a hold)"
    assert (released.status, released.previous_status) == ("down", "healthy")


def test_only_a_change_is_marked_with_its_cause_not_a_flap_that_did_not_count():
    clock = FakeClock(T0)
    eng = engine(clock, flap_interval=30, min_down=9, min_degraded=9, dependencies={"b": ("a",)})
    steps = [
        (0, {"a": "down", "b": "degraded"}),
        (10, {"a": "down", "b": "down"}),
        (20, {"a": "down", "b": "degraded"}),
    ]
    outcomes = run(eng, clock, steps)
    [baseline] = [e for e in events(outcomes, "component_health_change") if e.component_ids == ("b",)]
    assert baseline.caused_by == ("a",)
    [suppressed] = events(outcomes, "flap_suppressed")
    assert suppressed.component_ids == ("b",) and suppressed.caused_by is None
