"""ThresholdEngine on scripted timelines with an injected clock, plus properties over random timelines."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.engine_helpers import engine, events, notified, run, snap
from tui_health.support.clock import FakeClock

OK = {"a": "healthy", "b": "healthy", "c": "healthy"}


def every(seconds: float, until: float, statuses_at) -> list[tuple[float, dict[str, str]]]:
    steps, t = [], 0.0
    while t <= until:
        steps.append((t, statuses_at(t)))
        t += seconds
    return steps


def test_a_change_shorter_than_flap_interval_never_alerts():
    clock = FakeClock()
    eng = engine(clock, flap_interval=30)
    outcomes = run(eng, clock, every(5, 120, lambda t: {**OK, "a": "down" if 20 <= t < 45 else "healthy"}))
    assert events(outcomes, "component_health_change") == []
    assert notified(outcomes) == []
    suppressed = events(outcomes, "flap_suppressed")
    assert (
        len(suppressed) == 1
        and suppressed[0].component_ids == ("a",)
        and suppressed[0].previous_status == "down"
    )
    assert events(outcomes, "threshold_breach") == []


def test_a_suppressed_flap_says_how_long_it_lasted_and_what_it_needed_in_plain_words():
    clock = FakeClock()
    eng = engine(clock, flap_interval=30, flapping_window=600)
    # seen down at 20, 25 … 40, healthy again at 45: down for 25 s, short of the 30 s a change must last
    outcomes = run(eng, clock, every(5, 60, lambda t: {**OK, "a": "down" if 20 <= t < 45 else "healthy"}))
    [short] = events(outcomes, "flap_suppressed")
    assert short.message == "A was down for 25 s, back to healthy before the 30 s it needed to count"


def test_a_change_seen_at_one_poll_of_a_slow_schedule_is_not_said_to_have_lasted_the_gap():
    clock = FakeClock()
    eng = engine(clock, flap_interval=30, flapping_window=900)
    # polls 10 minutes apart: down at one poll, healthy at the next. How long it was down is not known; it was
    # never seen to last 30 s (the old message said "down for 600 s, back before 30 s")
    outcomes = run(eng, clock, [(0, OK), (600, {**OK, "a": "down"}), (1200, OK)])
    [gap] = events(outcomes, "flap_suppressed")
    assert gap.message == (
        "A was down at one poll and healthy again at the next (10m later): it was never seen to last "
        "the 30 s it needed to count"
    )
    assert "600" not in gap.message and "900" not in gap.message  # neither the gap nor the flapping window
    # seen at two polls 20 s apart, then not again before a long gap
    clock = FakeClock()
    eng = engine(clock, flap_interval=30)
    outcomes = run(eng, clock, [(0, OK), (10, {**OK, "a": "down"}), (30, {**OK, "a": "down"}), (630, OK)])
    [twice] = events(outcomes, "flap_suppressed")
    assert twice.message == (
        "A was down at 2 polls over 20 s and healthy again at the next (10m later): it was never seen to "
        "last the 30 s it needed to count"
    )


def test_a_real_outage_alerts_once_and_resolves_once():
    clock = FakeClock()
    eng = engine(clock, flap_interval=30, min_down=5)
    outcomes = run(eng, clock, every(5, 600, lambda t: {**OK, "b": "down" if 60 <= t < 300 else "healthy"}))
    changes = events(outcomes, "component_health_change")
    assert [(e.previous_status, e.status) for e in changes] == [("healthy", "down"), ("down", "healthy")]
    assert [(e.status, e.severity) for e in notified(outcomes)] == [("down", "warning"), ("healthy", "info")]
    # confirmed exactly flap_interval after the change began, not on every poll
    assert changes[0].timestamp - clock.now() == timedelta(seconds=90 - 600)


def test_flap_interval_zero_confirms_at_once():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=9)
    outcomes = run(eng, clock, [(0, OK), (5, {**OK, "a": "degraded"}), (10, OK)])
    assert [e.status for e in events(outcomes, "component_health_change")] == ["degraded", "healthy"]


def test_a_flapping_component_pages_once_not_on_every_flip():
    clock = FakeClock()
    eng = engine(clock, flap_interval=10, flapping_changes=3, flapping_window=600, min_down=9)
    # 'a' flips every 40 s for 20 minutes, then settles down
    outcomes = run(
        eng, clock, every(5, 1200, lambda t: {**OK, "a": "down" if int(t // 40) % 2 else "healthy"})
    )
    pages = [e for e in notified(outcomes, "component_health_change") if e.status == "down"]
    assert len(pages) == 1
    assert len(events(outcomes, "component_health_change")) > 20  # every confirmed flip is still audited
    assert len(events(outcomes, "flapping_started")) == 1


def test_flapping_stops_and_releases_the_current_state():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, flapping_changes=3, flapping_window=100, min_down=9)
    steps = every(10, 60, lambda t: {**OK, "a": "down" if int(t // 10) % 2 else "healthy"})
    steps += [(t, {**OK, "a": "down"}) for t in range(70, 400, 10)]
    outcomes = run(eng, clock, steps)
    assert len(events(outcomes, "flapping_stopped")) == 1
    final = notified(outcomes, "component_health_change")[-1]
    assert final.status == "down"  # after the hold, receivers learn it ended down
    assert eng.open_problems() == {"a": eng.components["a"].confirmed}


def test_a_breach_fires_once_however_long_it_lasts_and_resolves_once():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_degraded=2, repeat_interval=0)
    outcomes = run(
        eng,
        clock,
        every(
            15, 3600, lambda t: {"a": "degraded" if t < 3000 else "healthy", "b": "degraded", "c": "healthy"}
        ),
    )
    assert len(events(outcomes, "threshold_breach")) == 1
    assert len(events(outcomes, "threshold_resolved")) == 1
    breach = events(outcomes, "threshold_breach")[0]
    assert breach.severity == "critical" and breach.reasons == ("2 degraded (min_degraded 2)",)
    assert breach.component_ids == ("a", "b")


def test_an_ongoing_breach_is_reminded_every_repeat_interval():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, repeat_interval=3600)
    outcomes = run(eng, clock, every(60, 3 * 3600 + 30, lambda t: {**OK, "a": "down"}))
    assert len(events(outcomes, "threshold_breach")) == 1
    assert len(notified(outcomes, "threshold_reminder")) == 3


def test_a_critical_component_down_is_critical_on_its_own():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=3, critical=("c",))
    outcomes = run(eng, clock, [(0, OK), (15, {**OK, "c": "down"})])
    change = events(outcomes, "component_health_change")[0]
    assert change.severity == "critical"
    assert events(outcomes, "threshold_breach")[0].reasons == ("critical component C (c) is down",)


def test_a_dependencys_outage_suppresses_its_dependents_alerts():
    clock = FakeClock()
    eng = engine(
        clock,
        flap_interval=0,
        min_down=9,
        min_degraded=9,
        dependencies={"routing": ("api",), "chat": ("api",)},
    )
    base = {"api": "healthy", "routing": "healthy", "chat": "healthy"}
    outcomes = run(
        eng,
        clock,
        [
            (0, base),
            (15, {**base, "api": "down"}),
            (30, {"api": "down", "routing": "down", "chat": "degraded"}),
            (45, {"api": "healthy", "routing": "healthy", "chat": "healthy"}),
        ],
    )
    paged = [(e.component_ids, e.status) for e in notified(outcomes, "component_health_change")]
    assert paged == [(("api",), "down"), (("api",), "healthy")]
    caused = [e for e in events(outcomes, "component_health_change") if e.caused_by]
    assert {e.component_ids[0] for e in caused} == {"routing", "chat"}
    assert all(e.caused_by == ("api",) for e in caused)


def test_a_dependent_still_down_after_its_root_recovers_is_alerted_then():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=9, dependencies={"routing": ("api",)})
    outcomes = run(
        eng,
        clock,
        [
            (0, {"api": "healthy", "routing": "healthy"}),
            (15, {"api": "down", "routing": "down"}),
            (30, {"api": "healthy", "routing": "down"}),
        ],
    )
    paged = [(e.component_ids[0], e.status) for e in notified(outcomes, "component_health_change")]
    assert paged == [("api", "down"), ("api", "healthy"), ("routing", "down")]


def test_first_poll_reports_problems_already_present():
    clock = FakeClock()
    eng = engine(clock, flap_interval=30)
    outcome = eng.observe(snap(clock, {"a": "down", "b": "degraded", "c": "healthy", "d": "maintenance"}))
    changes = [
        (e.component_ids[0], e.previous_status, e.status)
        for e in outcome.events
        if e.event_type == "component_health_change"
    ]
    assert changes == [("a", "unknown", "down"), ("b", "unknown", "degraded")]
    assert outcome.breached and [e.event_type for e in outcome.notify][-1] == "threshold_breach"


def test_silenced_components_show_and_audit_but_do_not_alert():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=9)
    run(eng, clock, [(0, OK)])
    added = eng.silence("a", clock.now() + timedelta(hours=1), by="alice", reason="carrier maintenance")
    assert added.event_type == "silence_added"
    assert added.message.endswith("by alice: carrier maintenance")
    outcomes = run(eng, clock, [(10, {**OK, "a": "down"}), (20, {**OK, "a": "down"})])
    assert [e.status for e in events(outcomes, "component_health_change")] == ["down"]
    assert notified(outcomes) == []
    clock.advance(3600)
    later = eng.observe(snap(clock, {**OK, "a": "down"}))
    assert later.events[0].event_type == "silence_removed"
    assert [(e.event_type, e.status) for e in later.notify] == [("component_health_change", "down")]


def test_a_silence_holds_new_pages_but_never_the_resolve_of_one_that_was_sent():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=9)
    paged = run(eng, clock, [(0, OK), (10, {**OK, "a": "down"})])
    assert [e.status for e in notified(paged, "component_health_change")] == ["down"]
    eng.silence("a", clock.now() + timedelta(hours=2), by="alice", reason="we know")
    recovered = run(eng, clock, [(20, OK)])  # well inside the silence
    assert [e.status for e in notified(recovered, "component_health_change")] == ["healthy"]
    again = run(eng, clock, [(30, {**OK, "a": "degraded"})])  # a new problem while silenced: held
    assert notified(again) == []


def test_a_maintenance_window_holds_new_pages_but_never_the_resolve_of_one_that_was_sent():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=9)
    run(eng, clock, [(0, OK), (10, {**OK, "a": "down"})])
    eng.maintenance = {"a": "db upgrade", "b": "db upgrade"}
    recovered = run(eng, clock, [(20, {**OK, "b": "down"})])  # a recovers, b goes down inside the window
    assert [(e.component_ids, e.status) for e in notified(recovered)] == [(("a",), "healthy")]


def test_silencing_takes_a_component_out_of_the_threshold():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0)
    run(eng, clock, [(0, {**OK, "a": "down"})])
    assert eng.breached
    eng.silence("a", clock.now() + timedelta(minutes=5), by="alice")
    outcomes = run(eng, clock, [(15, {**OK, "a": "down"})])
    assert [e.event_type for e in events(outcomes)] == ["threshold_resolved"]


def test_state_survives_a_restart_without_paging_again_or_forgetting_the_resolve():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0)
    first = run(eng, clock, [(0, {**OK, "a": "down"})])
    assert len(notified(first, "component_health_change")) == 1
    saved = eng.export()
    clock.advance(60)
    again = engine(clock, flap_interval=0)
    again.restore(saved)
    still = again.observe(snap(clock, {**OK, "a": "down"}))
    assert still.events == () and still.notify == ()
    clock.advance(60)
    recovered = again.observe(snap(clock, OK))
    assert [(e.event_type, e.status) for e in recovered.notify] == [
        ("component_health_change", "healthy"),
        ("threshold_resolved", "resolved"),
    ]


def test_status_filter_absence_means_recovered():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, min_down=9)
    eng.observe(snap(clock, {"a": "down"}), absent_is_healthy=True)
    clock.advance(15)
    outcome = eng.observe(snap(clock, {}), absent_is_healthy=True)
    assert [(e.component_ids, e.status) for e in outcome.notify] == [(("a",), "healthy")]


def test_a_failed_poll_keeps_the_last_state():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0)
    eng.observe(snap(clock, {"a": "down"}))
    clock.advance(15)
    outcome = eng.observe(snap(clock, {"a": "down"}, ok=False), absent_is_healthy=True)
    assert outcome.events == () and eng.breached


STATUS = st.sampled_from(["healthy", "degraded", "down", "maintenance", "unknown"])

# Found when the property failed at random in a run (then reasoned out and kept): 'x' starts degraded, is
# confirmed healthy/degraded/healthy/degraded (four changes: flapping, alerts held, receivers last told
# healthy), stays degraded until the changes age out of the 600 s window, and flapping stops at a poll that
# sees it healthy -- a status still pending, not confirmed.
_RELEASED_WHILE_A_RECOVERY_IS_PENDING = (
    [(1.0, "degraded", "healthy")]
    + [(10.0, s, "healthy") for s in ("healthy", "healthy", "degraded", "degraded")] * 2
    + [(60.0, "degraded", "healthy")] * 9
    + [(40.0, "degraded", "healthy"), (10.0, "healthy", "healthy")]
)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(min_value=1, max_value=60), STATUS, STATUS), min_size=1, max_size=60),
    flap=st.sampled_from([0, 10, 30]),
)
@example(steps=_RELEASED_WHILE_A_RECOVERY_IS_PENDING, flap=10)
def test_every_confirmed_change_persisted_flap_interval_and_breaches_alternate(steps, flap):
    """Over random timelines: a confirmation comes only after the new status was seen for ``flap_interval``;
    a held alert is released only when its hold (here: flapping) ends, and then says the *confirmed* status;
    unless held, receivers always know the confirmed state; breaches and resolves alternate.

    A ``component_health_change`` is one of two things, told apart by the model below, not by the engine:
    a *confirmation* (the confirmed status changes) or a *release* (a hold ended, and receivers are told the
    confirmed status they missed; the engine's docstring: "When a hold ends, the current state is sent if it
    changed meanwhile", the README: flapping alerts are held "until ... flapping_stopped, when receivers learn
    where it ended up"). The property used to demand flap persistence of both, and failed on the example
    above: flapping stopped at the very poll that saw 'x' healthy, and the engine released 'degraded'. The
    engine is right: 'degraded' is where 'x' ended up (confirmed, and held for 600 s); 'healthy' was seen once
    and, by the flap rule ("a change counts only when the new status has lasted flap_interval"), is not a
    state yet -- releasing it would page a recovery that may be a blip. If it lasts, its own confirmation
    follows."""
    clock = FakeClock()
    eng = engine(clock, flap_interval=flap, min_down=1, min_degraded=2, repeat_interval=0)
    observed: dict[str, list[tuple[float, str]]] = {"x": [], "y": []}
    confirmed: dict[str, str] = {}  # the model: each component's confirmed status, from the events alone
    told = {"x": "healthy", "y": "healthy"}  # what receivers were last told (healthy: no open problem)
    flapping: set[str] = set()
    t = 0.0
    kinds = []
    for gap, sx, sy in steps:
        t += gap
        clock.advance(gap)
        baseline = {"x", "y"} - confirmed.keys()
        for cid, status in (("x", sx), ("y", sy)):
            observed[cid].append((t, status))
            confirmed.setdefault(cid, status)  # the first sight is the baseline, taken as it is
        outcome = eng.observe(snap(clock, {"x": sx, "y": sy}))
        stopped = {e.component_ids[0] for e in outcome.events if e.event_type == "flapping_stopped"}
        for event in outcome.events:
            if event.event_type in ("threshold_breach", "threshold_resolved"):
                kinds.append(event.event_type)
            if event.event_type != "component_health_change":
                continue
            cid = event.component_ids[0]
            if cid in baseline:  # a problem already present: reported at once, from unknown
                assert (event.previous_status, event.status) == ("unknown", observed[cid][-1][1])
                continue
            if event.status == confirmed[cid]:
                # a release: only when the hold ends, and only to tell receivers something new
                assert cid in stopped, f"{cid} released {event.status} with no hold ending"
                assert event.previous_status != event.status
                assert event in outcome.notify
                continue
            # a confirmation: from the status it leaves, after observations all equal to the new status
            # spanning >= flap, the latest of them included
            assert event.previous_status == confirmed[cid]
            history = observed[cid]
            run_start = t
            for when, status in reversed(history):
                if status != event.status:
                    break
                run_start = when
            assert t - run_start >= flap - 1e-6
            assert history[-1][1] == event.status
            confirmed[cid] = event.status
        flapping |= {e.component_ids[0] for e in outcome.events if e.event_type == "flapping_started"}
        flapping -= stopped
        for event in outcome.notify:
            if event.event_type == "component_health_change":
                cid = event.component_ids[0]
                assert cid not in flapping, f"{cid}'s alert went out while it was flapping"
                told[cid] = event.status if event.status in ("degraded", "down") else "healthy"
        for cid in ("x", "y"):  # nothing lost: unless held, receivers know the confirmed state
            if cid not in flapping:
                assert told[cid] == (confirmed[cid] if confirmed[cid] in ("degraded", "down") else "healthy")
    assert kinds == ["threshold_breach", "threshold_resolved"] * (len(kinds) // 2) + (
        ["threshold_breach"] if len(kinds) % 2 else []
    )


def test_a_wall_clock_stepped_either_way_never_delays_or_hastens_a_confirmation():
    """Durations run on the monotonic clock: stepping the wall clock back an hour (or forward) mid-change
    changes no confirmation, flapping hold or reminder; only the times shown move with it."""
    for step in (-3600.0, +3600.0):
        clock = FakeClock()
        eng = engine(clock, flap_interval=30, repeat_interval=600)
        eng.observe(snap(clock, OK))
        clock.advance(5)
        eng.observe(snap(clock, {**OK, "a": "down"}))  # pending
        clock.step_wall(step)
        clock.advance(20)
        assert not events([eng.observe(snap(clock, {**OK, "a": "down"}))], "component_health_change")
        clock.advance(10)  # 30 s on the monotonic clock: confirmed now, whatever the wall clock did
        [change] = events([eng.observe(snap(clock, {**OK, "a": "down"}))], "component_health_change")
        assert change.status == "down"
        # the breach's reminder comes 600 s after it on the monotonic clock, not an hour off
        clock.step_wall(-step)
        clock.advance(599)
        assert not events([eng.observe(snap(clock, {**OK, "a": "down"}))], "threshold_reminder")
        clock.advance(1)
        assert events([eng.observe(snap(clock, {**OK, "a": "down"}))], "threshold_reminder")


def test_the_flapping_window_runs_on_the_monotonic_clock():
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, flapping_window=600, flapping_changes=4)
    statuses = ["healthy", "down", "healthy", "down", "healthy"]  # a baseline, then four changes
    outcomes = []
    for status in statuses:
        clock.advance(10)
        clock.step_wall(+900)  # each a jump past the window: a window on the wall clock would forget them
        outcomes.append(eng.observe(snap(clock, {**OK, "a": status})))
    assert len(events(outcomes, "flapping_started")) == 1


def test_saved_moments_survive_a_restart_as_durations():
    """A restart restores the flapping history and the reminder's clock from the wall times saved, on a
    new monotonic clock (a new process starts it anywhere)."""
    clock = FakeClock()
    eng = engine(clock, flap_interval=0, repeat_interval=600)
    eng.observe(snap(clock, {**OK, "a": "down"}))  # breach notified at t=0
    clock.advance(100)
    saved = eng.export()
    later = FakeClock(clock.now())
    later._mono = 5.0  # another process's monotonic clock
    again = engine(later, flap_interval=0, repeat_interval=600)
    again.restore(saved)
    later.advance(499)
    assert not events([again.observe(snap(later, {**OK, "a": "down"}))], "threshold_reminder")
    later.advance(1)  # 600 s after the breach was notified, across the restart
    assert events([again.observe(snap(later, {**OK, "a": "down"}))], "threshold_reminder")
