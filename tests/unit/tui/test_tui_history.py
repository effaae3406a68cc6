"""The console with a history: timeline in the details, Avail 24h and sorting, the audit viewer, replay."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from tests.console_fixture import START, fixed_app, replay_app, warm_up
from tui_health.simulator.recorded_week import ordinary_week
from tui_health.tui.screens.audit_viewer import AuditViewer
from tui_health.tui.screens.details import DetailsScreen
from tui_health.tui.screens.goto import GotoScreen
from tui_health.tui.widgets.components_table import ComponentsTable


async def test_details_show_the_timeline_and_the_table_its_availability(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path, history=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot)
        # the recorded week: voice was down for 90 minutes two days ago, so its 7-day availability says so
        table = app.query_one(ComponentsTable)
        table_ids = [table.row_id(i) for i in range(table.row_count)]
        row = next(i for i in range(table.row_count) if table.row_id(i) == "voice-telephony")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailsScreen) and screen.timeline is not None
        week = screen.timeline.week
        assert "down" in week and None not in week[:-1]  # watched all week, an outage in it
        assert screen.timeline.availability_week is not None and screen.timeline.availability_week < 100
        assert any(s.status == "down" and abs(s.seconds - 5400) <= 600 for s in screen.timeline.stays)
        await pilot.press("escape")
        # the Avail 24h column is filled from the history (warm_up waited for the monitor to work it out): below
        # 100 % exactly for what was down in the last day (the recorded week's outages that reach into it, and
        # voice, down live now), 100 % for everything else (degraded counts as available)
        week = ordinary_week()
        day = {f.id for f in week.flaps if f.status == "down" and f.at + f.duration > 6 * 86400}
        down = day | {"voice-telephony"}
        availability = app.state.availability
        assert set(availability) == set(table_ids)
        assert all(availability[cid] is not None and availability[cid] < 100 for cid in down), down
        assert all(v == 100.0 for cid, v in availability.items() if cid not in down)


async def test_sorting_by_any_column_with_keys_and_header_clicks(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot)
        table = app.query_one(ComponentsTable)
        worst_first = [table.row_id(i) for i in range(table.row_count)]
        await pilot.press("greater_than_sign")  # by name
        names = [table.selected_view and table._views[i].name.casefold() for i in range(table.row_count)]
        assert app.sort.column == "name" and names == sorted(names)
        await pilot.press("v")  # reversed
        assert [table._views[i].name.casefold() for i in range(table.row_count)] == sorted(
            names, reverse=True
        )
        assert "sort: name ▼" in str(app.query_one("#filter-desc").render())
        await pilot.press("less_than_sign")  # back to status, the natural order
        assert [table.row_id(i) for i in range(table.row_count)] == worst_first
        # a click on the "ID" header sorts by id; a second click reverses it
        x = sum(table._widths[k] + 2 for k in ("status", "name")) + 1
        await pilot.click(ComponentsTable, offset=(x, 0))
        ids = [table.row_id(i) for i in range(table.row_count)]
        assert app.sort.column == "id" and ids == sorted(ids)
        await pilot.click(ComponentsTable, offset=(x, 0))
        assert [table.row_id(i) for i in range(table.row_count)] == sorted(ids, reverse=True)


async def test_audit_viewer_filters_and_opens_a_component(tmp_path: Path) -> None:
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot)
        await pilot.press("a")
        viewer = app.screen
        assert isinstance(viewer, AuditViewer) and viewer._shown
        total = len(viewer._shown)
        await pilot.press("l")  # warnings and worse
        assert 0 < len(viewer._shown) < total and all(e.severity != "info" for e in viewer._shown)
        await pilot.press("x", "t")  # the first event type present
        assert len({e.event_type for e in viewer._shown}) == 1
        await pilot.press("x", "slash", *"voice", "enter")
        assert viewer._shown and all(
            "voice" in (e.message + " ".join(e.component_ids)).lower() for e in viewer._shown
        )
        first = viewer._shown[0]
        assert first.component_ids
        await pilot.press("c")  # only that component's events
        assert all(first.component_ids[0] in e.component_ids for e in viewer._shown)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen) and app.screen.component.id == first.component_ids[0]


async def test_replay_steps_jumps_and_goes_to_a_time(tmp_path: Path) -> None:
    app = replay_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        last = len(app.replay.replay) - 1
        assert app.replay.index == last and app.state.replay.startswith("REPLAY ")
        header = str(app.query_one("#status-header").render())
        assert "REPLAY" in header and f"poll {last + 1} of {last + 1}" in header
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.replay.index == last - 2
        assert app.now() == app.state.last_poll_at  # "For" counts from the moment shown
        await pilot.press("right_square_bracket")
        assert app.replay.index == last - 1
        before = app.replay.index
        await pilot.press("left_curly_bracket")  # the previous confirmed change
        changed = app.replay.index
        assert changed < before
        previous = app.replay.replay.state(changed - 1)
        now = app.state
        assert {(c.id, c.status) for c in previous.components} != {(c.id, c.status) for c in now.components}
        await pilot.press("left_curly_bracket")
        assert app.replay.index < changed
        await pilot.press("right_curly_bracket")  # forward again: the same change
        assert app.replay.index == changed
        # g: a moment typed in
        await pilot.press("colon")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press(*"2026-03-01 09:00", "enter")
        await pilot.pause()
        shown = app.state.last_poll_at
        assert (
            shown is not None
            and shown <= START.replace(day=1)
            and (START.replace(day=1) - shown).total_seconds() < 600
        )
        # live-only actions are not offered: nothing in the past can be silenced or polled
        assert app.check_action("silence", ()) is False and app.check_action("poll_now", ()) is False
        # space plays: polls go by without a key (10-minute polls at x60 are 10 s apart: faster here)
        app.speed = 60_000
        index = app.replay.index
        await pilot.press("space")
        for _ in range(400):  # wait for the player to step (a timer), not for a fixed time
            if app.replay.index > index:
                break
            await pilot.pause(0.05)
        await pilot.press("space")
        assert app.replay.index > index and not app.playing


def _changed_at(app, index: int) -> list[tuple[str, str]]:
    """The components whose confirmed status the poll at ``index`` changed, with their new status."""
    before = {c.id: c.status for c in app.replay.replay.state(index - 1).components}
    return [
        (c.id, c.status.value)
        for c in app.replay.replay.state(index).components
        if c.id in before and before[c.id] is not c.status
    ]


async def test_replay_shows_a_confirmed_change_at_the_poll_that_confirmed_it(tmp_path: Path) -> None:
    """At poll N the audit pane and the details show what had happened up to and including poll N: the change
    confirmed by poll N is there (not one poll later), with the time it was confirmed."""
    from tui_health.tui.widgets.audit_pane import AuditPane

    app = replay_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("left_curly_bracket", "left_curly_bracket")  # a change in the middle of the stretch
        index = app.replay.index
        assert 0 < index < len(app.replay.replay) - 1
        [(cid, status)] = _changed_at(app, index)
        polled = app.state.last_poll_at
        assert polled is not None

        def the_change(events) -> list:
            return [
                e
                for e in events
                if e.event_type == "component_health_change" and cid in e.component_ids and e.status == status
                and e.timestamp >= polled
            ]  # fmt: skip

        [change] = the_change(app.state.events)
        assert the_change(app.query_one(AuditPane).events) == [change]
        # the details: the change among its recent events, and confirmed when it was (not "at the first poll")
        table = app.query_one(ComponentsTable)
        table.move_cursor(row=next(i for i in range(table.row_count) if table.row_id(i) == cid))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailsScreen) and screen.component.id == cid
        confirmed = screen.component.confirmed_at
        assert confirmed is not None and abs(confirmed - change.timestamp) < timedelta(milliseconds=1)
        assert the_change(screen.events) == [change]
        shown = str(screen.query_one("#details-box").query_one("Static").render())
        assert "first poll" not in shown
        await pilot.press("escape")
        # one poll earlier the change had not happened: nothing of it is shown early either
        await pilot.press("left_square_bracket")
        assert the_change(app.state.events) == [] and the_change(app.query_one(AuditPane).events) == []
        assert app.replay.timeline(cid) is not None


def _details_text(app) -> str:
    """The details screen as plain text, at the width it is drawn (every row, scrolled or not)."""
    import io

    from rich.console import Console
    from textual.widgets import Static

    static = app.screen.query_one("#details-box").query_one(Static)
    console = Console(width=static.size.width, file=io.StringIO(), color_system=None, record=True)
    console.print(static.content)
    return console.export_text()


async def test_the_details_and_the_table_show_the_same_avail_24h(tmp_path: Path) -> None:
    """One figure, one rounding, one source: the details say what the table's Avail 24h says, even when the
    clock has moved on since the figures were worked out."""
    app, clock = fixed_app(tmp_path, history=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await warm_up(app, clock, pilot)
        clock.advance(600)  # ten minutes on: the column still shows the figures worked out before
        app.render_state(app.monitor.store.state)
        await pilot.pause()
        table = app.query_one(ComponentsTable)
        avail = table.shown_columns.index("avail")
        for cid in ("voice-telephony", "acd-routing"):  # below 100 % and at 100 %
            row = next(i for i in range(table.row_count) if table.row_id(i) == cid)
            cell = table.get_row_at(row)[avail].plain
            assert cell.endswith("%") and cell == f"{app.state.availability[cid]:.2f}%".replace(
                "100.00%", "100%"
            )
            table.move_cursor(row=row)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailsScreen) and app.screen.timeline is not None
            lines = _details_text(app).splitlines()
            [line] = [line for line in lines if line.startswith("Avail 24h")]
            assert line.split()[2] == cell
            # the 24 h strip carries no second figure that could disagree
            [strip] = [line for line in lines if line.startswith("Last 24 h")]
            assert "%" not in strip
            await pilot.press("escape")


async def test_at_80x24_the_details_strips_end_at_now(tmp_path: Path) -> None:
    """On an 80-column terminal the strips are drawn coarser so that they fit: each ends at its "now", under
    which the axis says so; none is cut off or wrapped."""
    app, clock = fixed_app(tmp_path, history=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await warm_up(app, clock, pilot)
        table = app.query_one(ComponentsTable)
        table.move_cursor(row=next(i for i in range(table.row_count) if table.row_id(i) == "voice-telephony"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        lines = _details_text(app).splitlines()
        for label, ago in (("Last 24 h", "24 h ago"), ("Last 7 days", "7 d ago")):
            at = next(i for i, line in enumerate(lines) if line.startswith(label))
            strip, axis = lines[at].rstrip(), lines[at + 1].rstrip()
            cells = strip[len(label) :].strip()
            assert cells and set(cells) <= set("█▆·"), strip  # the whole strip on its line, nothing cut
            assert axis.strip().startswith(ago) and axis.endswith("now") and len(axis) == len(strip), (
                strip,
                axis,
            )
        # the outage two days ago is still in the week's strip, however coarse
        week = next(line for line in lines if line.startswith("Last 7 days"))
        assert week.count("█") >= 2


async def test_replay_dates_the_audit_pane_from_the_moment_shown(tmp_path: Path) -> None:
    """After a move in replay, an event of the day shown reads as a time of that day, one of another day with
    its date: judged from the moment shown, not from the one shown before the move."""
    from tui_health.support import zone
    from tui_health.tui.widgets.audit_pane import AuditPane

    app = replay_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("colon", *"2026-03-01 09:00", "enter")
        await pilot.pause()
        pane = app.query_one(AuditPane)
        shown = app.state.last_poll_at
        assert shown is not None and shown.date().isoformat() == "2026-03-01"
        same_day = [e for e in pane.events if zone.shown(e.timestamp).date() == zone.shown(shown).date()]
        assert same_day
        lines = [strip.text for strip in pane.lines]
        last = lines[-1].strip()
        assert re.match(r"\d\d:\d\d:\d\d ", last) and not last.startswith("03-01"), lines[-3:]
        assert not any(line.strip().startswith("03-01 ") for line in lines)
