"""``--demo`` says in one line what its scenario will do, made from the scenario itself, its faults marked."""

from __future__ import annotations

from tests.tui_helpers import make_app, poll
from tui_health.modes.demo import demo, plan, playing
from tui_health.simulator.scenario import load_scenario, with_faults


def test_the_demo_line_says_what_the_scenario_will_do_with_its_scripted_faults_marked() -> None:
    line = plan(load_scenario("demo"))
    assert "\n" not in line and line.startswith("demo: ")
    # what is scripted, in time order, from the scenario's timeline, flaps and org changes
    expected = [
        "Voice (Telephony) down",  # as it starts
        "at 12 s SMS is degraded for 6 s",
        "at 20 s a trunk (trunk-1-1) drops, back at 1m25s",
        "at 25 s Voice (Telephony) recovers",
        "at 30 s a site (site-2) loses its phones, back at 1m35s",
        "at 40 s an integration (integration-2) fails (ERROR), back at 2m10s",
        "at 45 s a queue (queue-2) fills (up to 14 waiting; 2 from 1m16s)",
        "at 55 s a data action (custom_-_action-2) fails 80% of its calls (TIMEOUT), back at 2m20s",
        "at 1m an Edge (edge-1) updates its software, done at 1m30s",
        "at 1m10s a phone (phone-1-2) is degraded, back at 1m50s",
        "at 1m40s an Edge (edge-2) goes offline, back at 2m30s",
        "at 2m a trunk (trunk-2-1) loses a SIP proxy, back at 2m50s",
        "a random change every 20 s to 1m",
    ]
    places = [line.index(part) for part in expected]
    assert places == sorted(places), line
    # the faults are the scripted misbehaviour, said as such and counted as the simulator counts them
    before, _, faults = line.partition(" (scripted faults: ")
    assert faults.endswith(")") and "429" not in before
    assert "429 on 2 in every 90 health API requests (from the 30th)" in faults
    assert "429 on 1 in every 40 API probe requests (from the 4th)" in faults


def test_the_demo_line_is_made_from_the_scenario_played_not_written_once() -> None:
    base = load_scenario("demo")
    moved = base.model_copy(
        update={"timeline": [base.timeline[0].model_copy(update={"at": 33})], "faults": []}
    )
    line = plan(with_faults(moved, ["drip:2@statuspage"]))
    assert "at 33 s Voice (Telephony) recovers" in line and "at 25 s" not in line
    assert line.endswith("(scripted faults: drip (2) on every status page request)"), line
    assert "scripted faults" not in plan(load_scenario("steady"))


def test_every_kind_of_the_orgs_entities_is_worded() -> None:
    """A scenario may change any kind of entity the simulator serves: the line names each (an unknown one would
    have stopped --demo from starting at all)."""
    from typing import get_args

    from tui_health.simulator.scenario import OrgChange, Scenario

    kinds = get_args(OrgChange.model_fields["kind"].annotation)
    changes = [
        {"at": 10 * i, "kind": kind, "id": f"{kind}-1", "online": False} for i, kind in enumerate(kinds)
    ]
    line = plan(Scenario.model_validate({"name": "demo", "org_changes": changes}))
    assert all(f"({kind}-1)" in line for kind in kinds) and " a " + "None" not in line


async def test_the_demo_console_says_it_on_start_in_a_notice_and_its_audit_pane(tmp_path) -> None:
    from tui_health.modes.console import announce
    from tui_health.tui.screens.audit_viewer import AuditViewer
    from tui_health.tui.widgets.audit_pane import AuditPane

    flags: dict = {}
    env: dict = {}
    with demo(flags, env, scenario=None, faults=["drip:1"], replay=False):
        line = playing()
        assert line is not None and line == plan(with_faults(load_scenario("demo"), ["drip:1"]))
    assert playing() is None  # only while the demo runs
    app, clock = make_app()
    app.notice = line  # run_tui hands it over, with the audit line below
    async with app.run_test(size=(80, 24)) as pilot:
        # a notice at the start: at 80x24 its first clauses, and where the rest is
        [notice] = [str(n.message) for n in app._notifications]
        assert notice.endswith("; … (all of it in the audit log: a)") and line.startswith(notice[:100])
        announce([app.monitor], line)
        await poll(app, pilot, clock)
        [said] = [e for e in app.query_one(AuditPane).events if e.event_type == "demo_scenario"]
        assert said.message == line and said.source == "simulator"
        await pilot.press("a")  # the whole line, wrapped, in the audit viewer
        assert isinstance(app.screen, AuditViewer) and said.id in {e.id for e in app.screen._shown}
