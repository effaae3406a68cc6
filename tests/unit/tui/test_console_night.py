"""The console on a bad night (issue 20): one clock, pending changes you cannot miss, narrow terminals, the keys
on-call people reach for. Driven with Pilot on the offline demo timeline and a fake clock."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.console_fixture import START, fixed_app, warm_up
from tests.paths import ROOT
from tui_health.model.domain import AuditEvent, EventType, Severity, Status
from tui_health.model.state import ComponentView, MonitorState, sort_key
from tui_health.support import zone
from tui_health.tui.screens.audit_viewer import AuditViewer
from tui_health.tui.screens.help import HelpScreen
from tui_health.tui.widgets.audit_pane import AuditPane
from tui_health.tui.widgets.components_table import ComponentsTable
from tui_health.tui.widgets.header import StatusHeader, header_text


@pytest.fixture
def berlin() -> Iterator[None]:
    """Local time is Europe/Berlin (UTC+1 in March) for one test; the suite's UTC comes back after it."""
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    zone.set_zone("local")
    try:
        yield
    finally:
        os.environ["TZ"] = "UTC"
        time.tzset()
        zone.set_zone("local")


def view(cid: str, status: Status, observed: Status | None = None) -> ComponentView:
    return ComponentView(
        id=cid,
        name=cid.title(),
        status=status,
        observed=observed or status,
        since=START,
        last_modified=START,
        source="health-api",
    )


def header_of(app) -> str:
    return str(app.query_one(StatusHeader).render())


# -- one clock --------------------------------------------------------------------------------------------
def test_every_time_follows_the_one_zone_and_says_which(berlin) -> None:
    moment = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    assert zone.clock_time(moment, named=True) == "10:00:05 CET"
    assert zone.date_time(moment) == "2026-03-02 10:00 CET"
    zone.toggle()
    assert zone.clock_time(moment, named=True) == "09:00:05 UTC"
    assert zone.date_time(moment, seconds=True, named=False) == "2026-03-02 09:00:05"


async def test_z_switches_every_time_on_screen_between_local_and_utc(tmp_path: Path, berlin) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot, polls=2)
        assert re.search(r"polled 10:00:1\d CET", header_of(app))  # the demo's second poll, ~09:00:15 UTC
        pane = app.query_one(AuditPane)
        assert any("10:00:" in strip.text for strip in pane.lines)
        await pilot.press("z")
        await pilot.pause()
        assert re.search(r"polled 09:00:1\d UTC", header_of(app))
        assert not any("10:00:" in strip.text for strip in pane.lines)  # drawn again in the new zone
        assert any("09:00:" in strip.text for strip in pane.lines)


# -- changes you cannot miss ------------------------------------------------------------------------------
async def test_the_silences_screen_says_who_why_and_until_when_in_the_one_clock(
    tmp_path: Path, berlin
) -> None:
    from textual.widgets import Input, OptionList

    from tui_health.support.users import local_user
    from tui_health.tui.screens.silence import SilencesScreen

    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await warm_up(app, clock, pilot, polls=1)
        await pilot.press("s")
        app.screen.query_one(Input).value = "2h carrier maintenance"
        await pilot.press("enter")
        await pilot.pause()

        async def listed() -> str:
            await pilot.press("S")
            await pilot.pause()
            assert isinstance(app.screen, SilencesScreen)
            [option] = app.screen.query_one(OptionList).options
            await pilot.press("escape")
            await pilot.pause()
            return str(option.prompt)

        shown = await listed()
        assert f"by {local_user()}: carrier maintenance" in shown
        assert "until 2026-03-02 12:00 CET" in shown and "2h left" in shown  # 11:00 UTC, in local time
        await pilot.press("z")
        assert "until 2026-03-02 11:00 UTC" in await listed()


async def test_times_inside_audit_messages_follow_the_one_clock_too(tmp_path: Path, berlin) -> None:
    """A silence's end, a window's end, a Retry-After moment: written in UTC in the audit log, shown in the zone
    the header names in the audit pane, the viewer and the details."""
    from tui_health.tui.screens.audit_viewer import event_text
    from tui_health.tui.widgets.audit_pane import event_line

    at = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    silenced = AuditEvent(
        timestamp=at,
        event_type=EventType.SILENCE_ADDED,
        message="Chat silenced until 2026-03-03T01:00:00.060000+00:00 by alice: carrier work",
    )
    limited = AuditEvent(
        timestamp=at, event_type=EventType.POLL_FAILED, message="the API asked us to wait until 23:59:30 UTC"
    )
    assert "silenced until 2026-03-03 02:00 CET by alice" in event_line(silenced, at).plain
    assert "wait until 00:59:30 CET" in event_line(limited, at).plain  # past midnight in Berlin
    assert "2026-03-03 02:00 CET" in event_text(silenced).plain
    zone.toggle()
    assert "silenced until 2026-03-03 01:00 UTC by alice" in event_line(silenced, at).plain
    assert "wait until 23:59:30 UTC" in event_line(limited, at).plain
    # the console's pane, as drawn
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(200, 40)) as pilot:
        await warm_up(app, clock, pilot, polls=1)
        app.monitor.silence("chat", 3600, reason="carrier work", by="alice")
        await pilot.pause()
        zone.set_zone("local")
        await pilot.press("z", "z")  # drawn again in local time
        await pilot.pause()
        lines = [strip.text for strip in app.query_one(AuditPane).lines]
        assert any(re.search(r"silenced until 2026-03-02 11:00:0\d CET by alice", line) for line in lines), (
            lines
        )


def test_a_pending_change_to_worse_sorts_with_the_problems_and_is_counted_in_the_header() -> None:
    calm = view("aaa", Status.HEALTHY)
    coming = view("zzz", Status.HEALTHY, observed=Status.DOWN)
    degraded = view("mmm", Status.DEGRADED)
    assert sorted([calm, degraded, coming], key=sort_key) == [coming, degraded, calm]
    state = MonitorState(region="x", components=(coming, degraded, calm), last_poll_at=START)
    assert "→ 1 pending" in header_text(state, START).plain
    quiet = replace(state, components=(calm, degraded))
    assert "pending" not in header_text(quiet, START).plain


async def test_a_new_down_is_announced_with_the_bell_when_asked(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    app.ring_bell = True
    rung: list[bool] = []
    app.bell = lambda: rung.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot, polls=1)  # the baseline: voice is already down — not news
        assert rung == [] and not any("▼ DOWN" in str(n.message) for n in app._notifications)
        state = app.state
        chat = next(c for c in state.components if c.id == "chat")
        app.render_state(
            replace(
                state,
                components=tuple(
                    replace(c, status=Status.DOWN) if c is chat else c for c in state.components
                ),
            )
        )
        await pilot.pause()
        assert rung == [True]
        assert any(f"▼ DOWN: {chat.name}" in str(n.message) for n in app._notifications)


# -- narrow terminals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [80, 100])
async def test_narrow_terminals_keep_status_name_for_and_the_counts(tmp_path: Path, width: int) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(width, 24)) as pilot:
        await warm_up(app, clock, pilot, polls=2)
        table = app.query_one(ComponentsTable)
        shown = table.shown_columns
        assert {"status", "name", "since"} <= set(shown) and "cause" not in shown
        header = header_of(app).splitlines()[0]
        assert "degr" in header and "ok" in header  # the counts, not cut off by the target's name
        footer = " ".join(str(b) for b in app.screen.active_bindings)
        assert "enter" in footer


async def test_flags_fold_into_the_status_cell_when_their_column_goes(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(60, 24)) as pilot:
        await warm_up(app, clock, pilot, polls=2)
        table = app.query_one(ComponentsTable)
        assert table.folded and "flags" not in table.shown_columns
        row = next(r for r in range(table.row_count) if table.row_id(r) == "voice-telephony")
        assert "★" in table.get_row_at(row)[0].plain  # critical, in the Status cell
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert not table.folded and "flags" in table.shown_columns


async def test_audit_lines_are_drawn_again_at_the_new_width(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await warm_up(app, clock, pilot, polls=3)
        pane = app.query_one(AuditPane)
        narrow = max(strip.cell_length for strip in pane.lines)
        await pilot.resize_terminal(200, 30)
        await pilot.pause()
        await pilot.pause()
        assert max(strip.cell_length for strip in pane.lines) > narrow


def test_the_audit_pane_keeps_time_order_whatever_order_events_arrive_in() -> None:
    def event(n: int) -> AuditEvent:
        return AuditEvent(
            id=f"e{n}",
            timestamp=datetime(2026, 3, 2, 9, n, tzinfo=UTC),
            event_type=EventType.COMPONENT_HEALTH_CHANGE,
            severity=Severity.INFO,
            message=f"event {n}",
        )

    pane = AuditPane()
    pane.add([event(5), event(6)])
    pane.add([event(1), event(7)])  # an older one arrives after the newer
    assert [e.id for e in pane.events] == ["e1", "e5", "e6", "e7"]


# -- keys -------------------------------------------------------------------------------------------------
async def test_vim_keys_move_and_y_copies_the_component_id(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot, polls=2)
        table = app.query_one(ComponentsTable)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("y")
        assert app.clipboard == table.row_id(0)


async def test_question_mark_in_the_audit_viewer_lists_its_own_keys(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await warm_up(app, clock, pilot, polls=1)
        await pilot.press("a")
        assert isinstance(app.screen, AuditViewer)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and app.screen.title_text == "Audit viewer keys"
        assert any(key == "l" for key, _ in app.screen.rows or ())


# -- words ------------------------------------------------------------------------------------------------
def test_a_mistyped_flag_is_named_with_a_suggestion() -> None:
    done = run_cli("--formt", "json", "--once")
    assert done.returncode == 3
    assert "unknown option --formt (did you mean --format?)" in done.stderr
    assert "invalid choice" not in done.stderr


def test_intervals_take_durations_like_the_other_times() -> None:
    done = run_cli("--once", "--demo", "--interval", "5s", "--format", "json")
    assert done.returncode in (0, 1, 2), done.stderr
    bad = run_cli("--once", "--demo", "--interval", "5 parsecs")
    assert bad.returncode == 3 and "not a number of seconds or a duration" in bad.stderr


def test_once_table_lists_the_problems_and_counts_the_rest_unless_all() -> None:
    short = run_cli("--once", "--demo", "--no-alerts", env={"COLUMNS": "200"})
    assert "more healthy" in short.stdout and "--all lists them" in short.stdout
    assert "Analytics API" not in short.stdout and "Voice (Telephony)" in short.stdout
    full = run_cli("--once", "--demo", "--no-alerts", "--all", env={"COLUMNS": "200"})
    assert "Analytics API" in full.stdout and "more healthy" not in full.stdout
    wrong = run_cli("--once", "--demo", "--all", "--format", "json")
    assert wrong.returncode == 3 and "--all goes with --once (table)" in wrong.stderr


def test_the_readme_lists_every_audit_event_type() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = readme[readme.index("Event types: ") :].split(". Lines", 1)[0]
    missing = [t.value for t in EventType if f"`{t.value}`" not in listed]
    assert missing == []


def test_a_target_that_never_answered_is_not_all_fine() -> None:
    from tui_health.tui.widgets.header import target_lines

    silent = MonitorState(region="emea", last_poll_at=START)
    fine = MonitorState(
        region="apac", components=(view("chat", Status.HEALTHY),), last_poll_at=START, last_ok_at=START
    )
    text = target_lines([silent, fine], START).plain
    assert "emea" in text and "no answer yet" in text and "all 0 fine" not in text
    assert "all 1 fine" in text


DEMO_PLAN = (
    "demo: at 20 s a trunk (trunk-1-1) drops, back at 1m25s; at 30 s a site (site-2) loses its phones, back at "
    "1m35s; at 40 s an integration (integration-2) fails (ERROR), back at 2m10s; a random change every 20 s to "
    "1m for 6h"
)


@pytest.mark.parametrize(
    ("size", "said"),
    [
        ((160, 50), DEMO_PLAN),
        (
            (160, 24),  # wide but short: cut too
            "demo: at 20 s a trunk (trunk-1-1) drops, back at 1m25s; at 30 s a site (site-2) loses its phones, back "
            "at 1m35s; … (all of it in the audit log: a)",
        ),
        (
            (80, 24),
            "demo: at 20 s a trunk (trunk-1-1) drops, back at 1m25s; at 30 s a site (site-2) loses its phones, back "
            "at 1m35s; … (all of it in the audit log: a)",
        ),
    ],
)
async def test_the_start_notice_is_whole_on_a_large_screen_and_cut_at_a_clause_on_a_small_one(
    tmp_path: Path, size: tuple[int, int], said: str
) -> None:
    app, _ = fixed_app(tmp_path)
    app.notice = DEMO_PLAN
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert [str(n.message) for n in app._notifications] == [said]
