"""The console driven with Textual's Pilot: every binding, and what the table shows after it."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from rich.text import Text

from tests.console_fixture import fixed_app, warm_up
from tests.tui_helpers import make_app, poll, table_ids, table_statuses
from tui_health.model.domain import Status
from tui_health.simulator import load_scenario
from tui_health.tui.screens.details import DetailsScreen, details_renderable
from tui_health.tui.screens.help import HelpScreen, help_table
from tui_health.tui.screens.silence import SilenceScreen, SilencesScreen, parse_duration
from tui_health.tui.widgets.components_table import ComponentsTable
from tui_health.tui.widgets.header import StatusHeader

SIZE = (140, 45)


def plain(renderable) -> str:
    console = Console(width=140, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def header(app) -> str:
    return str(app.query_one(StatusHeader).render())


def filter_bar(app) -> str:
    return f"{app.query_one('#filter-desc').render()} {app.query_one('#filter-count').render()}"


async def test_first_poll_fills_the_table_worst_first():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        statuses = table_statuses(app)
        assert len(statuses) == 40
        assert statuses[:4] == ["▼ DOWN", "◆ DEGRADED", "◆ DEGRADED", "◇ MAINT"]
        assert set(statuses[4:]) == {"● healthy"}
        assert table_ids(app)[0] == "voice-telephony"
        assert "BREACHED" in header(app) and "1 down" in header(app)


async def test_status_keys_toggle_and_zero_brings_everything_back():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("3")
        assert table_statuses(app) == ["▼ DOWN"]
        assert "down only" in filter_bar(app) and "1 of 40" in filter_bar(app)
        await pilot.press("2")
        assert table_statuses(app) == ["▼ DOWN", "◆ DEGRADED", "◆ DEGRADED"]
        await pilot.press("3")
        assert table_statuses(app) == ["◆ DEGRADED", "◆ DEGRADED"]
        await pilot.press("4")
        assert table_statuses(app) == ["◆ DEGRADED", "◆ DEGRADED", "◇ MAINT"]
        await pilot.press("0")
        assert len(table_statuses(app)) == 40
        await pilot.press("1")
        assert set(table_statuses(app)) == {"● healthy"} and len(table_statuses(app)) == 36


async def test_f_cycles_presets():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("f")
        assert table_statuses(app) == ["▼ DOWN", "◆ DEGRADED", "◆ DEGRADED"] and "problems" in filter_bar(app)
        await pilot.press("f")
        assert table_statuses(app) == ["▼ DOWN"] and "down only" in filter_bar(app)
        await pilot.press("f")
        assert len(table_statuses(app)) == 40 and "status: all" in filter_bar(app)


async def test_the_problems_filter_keeps_a_change_still_waiting_to_be_confirmed():
    """A component observed down or degraded but not confirmed yet (``→down?``) is a problem coming: the
    problems preset keeps it, and so do the status keys of the status it is heading to."""
    app, clock = make_app(
        timeline=[{"at": 5, "id": "chat", "status": "down"}, {"at": 5, "id": "sms", "status": "degraded"}],
        random_changes=None,
        flaps=[],
    )
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock, times=2)  # seen at 15 s, confirmed only after the 30 s flap interval
        pending = {c.id: c.observed.value for c in app.state.components if c.observed is not c.status}
        assert pending == {"chat": "down", "sms": "degraded"}
        await pilot.press("f")
        assert "problems" in filter_bar(app)
        assert {"chat", "sms", "voice-telephony"} <= set(table_ids(app))
        assert f"{len(table_ids(app))} of 40" in filter_bar(app)
        await pilot.press("f")  # down only: the one heading down stays, the one heading to degraded goes
        assert "chat" in table_ids(app) and "sms" not in table_ids(app)
        await pilot.press("0", "2")
        assert "sms" in table_ids(app) and "chat" not in table_ids(app)


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_at_80_columns_the_filter_bar_keeps_its_count():
    """However long the filter's description grows, the count of rows shown stays on screen: it is what says
    that the table is narrowed, and by how much."""
    app, clock = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await poll(app, pilot, clock)
        await pilot.press(
            "f", "c", "greater_than_sign", "v"
        )  # problems, critical only, sorted by name, reversed
        await pilot.press("slash", *"voice", "enter")
        await pilot.pause()
        assert len(filter_bar(app)) > 80  # the description alone is wider than the terminal
        [bar] = [line for line in screen_lines(app) if line.lstrip().startswith("filter")]
        assert bar.rstrip().endswith("(1 of 40 shown)"), bar
        await pilot.press("slash")  # while typing a search the count stays too
        await pilot.pause()
        [bar] = [line for line in screen_lines(app) if "filter" in line]
        assert "(1 of 40 shown)" in bar, bar


async def test_slash_searches_as_you_type_and_escape_clears():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("slash", "r", "o", "u", "t")
        assert table_ids(app) == ["acd-routing", "email-routing", "predictive-routing"]
        assert "search: 'rout'" in filter_bar(app)
        await pilot.press("enter")  # keeps the search, back to the table
        assert isinstance(app.focused, ComponentsTable)
        await pilot.press("3")  # keys work again, and combine with the search
        assert table_ids(app) == []
        await pilot.press("0", "escape")
        assert len(table_ids(app)) == 40 and "search" not in filter_bar(app)


async def test_c_shows_critical_components_only():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("c")
        assert table_ids(app) == ["voice-telephony"] and "critical only" in filter_bar(app)
        await pilot.press("c")
        assert len(table_ids(app)) == 40


async def test_enter_opens_the_details_of_the_selected_component():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, DetailsScreen)
        assert app.screen.component.id == "acd-routing"
        text = plain(details_renderable(app.screen.component, app.screen.events, app.screen.now))
        assert "shards: 5" in text and "ACD Routing is degraded" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailsScreen)


async def test_s_silences_and_capital_s_lifts():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("s")
        assert isinstance(app.screen, SilenceScreen)
        await pilot.press("enter")  # the default: 1h
        await pilot.pause()
        until = app.monitor.engine.silences["voice-telephony"]
        assert (until - clock.now()).total_seconds() == 3600
        assert "muted" in app.query_one(ComponentsTable).get_row_at(0)[6].plain
        assert [e.event_type for e in app.state.events][-1] == "silence_added"
        await pilot.press("S")
        assert isinstance(app.screen, SilencesScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.monitor.engine.silences == {}
        assert [e.event_type for e in app.state.events][-1] == "silence_removed"


async def test_silence_duration_can_be_typed():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("s", "3", "0", "m", "enter")  # the default is selected: typing replaces it
        await pilot.pause()
        assert (app.monitor.engine.silences["voice-telephony"] - clock.now()).total_seconds() == 1800
    assert parse_duration("2h30m") == 9000 and parse_duration("45") == 2700 and parse_duration("soon") is None


async def test_a_silence_lasts_30_days_at_most_here_too():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("s", "3", "1", "d", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SilenceScreen)  # still asking
        error = str(app.screen.query_one("#silence-error").render())
        assert "longer than 30 days: '31d'" in error
        assert "voice-telephony" not in app.monitor.engine.silences
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press("3", "0", "d", "enter")
        await pilot.pause()
        assert (app.monitor.engine.silences["voice-telephony"] - clock.now()).total_seconds() == 30 * 86_400


async def test_p_pauses_and_r_polls_now():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.monitor.tracker.polls == 1 and len(table_ids(app)) == 40
        await pilot.press("p")
        assert app.monitor.paused and "PAUSED" in header(app)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        assert app.monitor.tracker.polls == 1  # paused: r does nothing
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.monitor.paused and app.monitor.tracker.polls == 2  # resuming polls at once


async def test_question_mark_opens_help_and_q_quits():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = plain(help_table())
        for key in ("toggle degraded", "Enter", "Ctrl+P", "Ctrl+C", "pause / resume", "Home / End"):
            assert key in text
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_value == 0


async def test_cursor_stays_on_its_component_across_updates():
    demo = load_scenario("demo").model_dump()["timeline"]
    # a healthy component below the cursor goes down: it sorts above it, so the cursor's component moves
    # (the demo's own changes happen to leave it on the same row)
    app, clock = make_app(timeline=[*demo, {"at": 30, "id": "workforce-management", "status": "down"}])
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        await pilot.press("down", "down", "down", "down", "down")  # onto a healthy component
        table = app.query_one(ComponentsTable)
        chosen, order = table.selected_id, table_ids(app)
        await poll(app, pilot, clock, times=8)  # changes reorder the table
        assert table_ids(app).index(chosen) != order.index(chosen)  # it moved: the cursor had to follow
        assert table.selected_id == chosen


async def test_a_tick_while_the_console_closes_does_nothing():
    """The one-second tick (and a resize's redraw) can fire once more while the console is taken down; the
    widgets are gone by then, and it raised NoMatches out of ``run_test`` (seen under load in test_attach)."""
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
    assert not app.query(StatusHeader)  # the console is closed: its widgets are gone
    app._on_tick()  # as the interval would, late


async def test_component_names_are_shown_as_written_not_as_markup():
    app, clock = make_app(
        "steady", entity_overrides={"chat": {"name": "[bold red]Chat[/] & [link=x]co[/link]"}}
    )
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        table = app.query_one(ComponentsTable)
        names = [table.get_row_at(row)[1] for row in range(table.row_count)]
        assert Text("[bold red]Chat[/] & [link=x]co[/link]") in names


async def test_only_changed_rows_count_and_rows_keep_the_order_given():
    app, clock = make_app("steady", components=200)
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        table = app.query_one(ComponentsTable)
        state = app.state
        changed = table.show(app.filter.apply(state.components), clock.now())
        assert changed == 0
        views = list(state.components)
        views[5] = replace(views[5], status=Status.DOWN, observed=Status.DOWN)
        changed = table.show(views, clock.now())
        assert changed == 1
        assert table_statuses(app)[5] == "▼ DOWN"  # sorting is the state's job: the table keeps the order


async def test_the_table_draws_only_the_rows_on_screen(monkeypatch):
    """10,000 rows: showing them, filtering them and ticking draw the visible lines, never the whole table."""
    app, clock = make_app("steady", components=40)
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        table = app.query_one(ComponentsTable)
        drawn: list[int] = []
        original = ComponentsTable._row

        def counting(self: ComponentsTable, row: int):  # type: ignore[no-untyped-def]
            drawn.append(row)
            return original(self, row)

        monkeypatch.setattr(ComponentsTable, "_row", counting)
        template = app.state.components[0]
        many = [replace(template, id=f"c{i:05d}", name=f"Component {i:05d}") for i in range(10_000)]
        table.show(many, clock.now())
        await pilot.pause()
        assert table.row_count == 10_000
        assert 0 < len(drawn) <= SIZE[1]
        drawn.clear()
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_id == "c09999"
        assert 0 < len(drawn) <= SIZE[1] and max(drawn) == 9_999
        drawn.clear()
        table.show(many, clock.now())  # the tick: nothing changed, nothing drawn
        await pilot.pause()
        assert drawn == []
        # filtering: a search that keeps 1,000 of them draws what fits on screen, not the 1,000
        searched = replace(app.filter, search="component 05")
        table.show(searched.apply(tuple(many)), clock.now())
        await pilot.pause()
        assert table.row_count == 1_000 and table.row_id(0) == "c05000"
        assert 0 < len(drawn) <= SIZE[1]
        drawn.clear()
        table.show(many, clock.now())  # back to all 10,000: again only the screen's lines
        await pilot.pause()
        assert table.row_count == 10_000 and 0 < len(drawn) <= SIZE[1]


async def test_a_failing_poll_keeps_the_last_data_and_says_so():
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll(app, pilot, clock)
        source = app.monitor.poller.sources[0]

        async def broken(deadline):
            from tui_health.sources.base import failed
            from tui_health.support.errors import ApiError

            return failed("health-api", ApiError("the API answered HTTP 503", correlation_id="cid-9"), [])

        source.fetch = broken  # type: ignore[method-assign]
        clock.advance(45)
        await app.monitor.poll()
        await pilot.pause()
        assert len(table_ids(app)) == 40  # the last good data stays
        text = header(app)
        assert text.startswith(" STALE 45s ")  # the first thing said, before any error text
        assert "poll failed" in text and "HTTP 503" in text
        assert app.state.events[-1].event_type == "poll_failed"
        assert app.is_running
        table = app.query_one(ComponentsTable)
        row = table.get_row_at(0)
        assert all(any("dim" in str(span.style) for span in cell.spans) for cell in row[:2])  # dimmed
        frozen = [table.get_row_at(n)[3].plain for n in range(table.row_count)]
        clock.advance(600)
        app._on_tick()
        await pilot.pause()
        assert [table.get_row_at(n)[3].plain for n in range(table.row_count)] == frozen  # "For" stopped
        assert header(app).startswith(" STALE 10m ")
        assert app.state.latency is not None and app.state.latency.problem_series[-1] is None  # a gap


async def test_a_long_error_never_pushes_staleness_off_an_80_column_header():
    app, clock = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await poll(app, pilot, clock)

        async def broken(deadline):
            from tui_health.sources.base import failed
            from tui_health.support.errors import NetworkError

            return failed("health-api", NetworkError("x" * 300, hint="y" * 100), [])

        app.monitor.poller.sources[0].fetch = broken  # type: ignore[method-assign]
        clock.advance(60)
        await app.monitor.poll()
        await pilot.pause()
        first, second = header(app).splitlines()
        assert first.startswith(" STALE 1m ")  # on the first line, first: never pushed off by an error
        assert second.endswith("x…") and "x" * 64 not in second  # the error is shortened


async def test_a_resort_keeps_the_worst_rows_in_view():
    """The person moved the cursor to a healthy row near the bottom, then that row went down elsewhere."""
    app, clock = make_app("steady", components=60)
    async with app.run_test(size=(100, 24)) as pilot:
        await poll(app, pilot, clock)
        table = app.query_one(ComponentsTable)
        await pilot.press("down", "down")  # the person moved: the cursor follows its component from now on
        selected = table.selected_id
        await pilot.press("end")
        assert table.cursor_row == 59
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("down", "down")
        assert table.selected_id == selected
        # a dozen others go down: the selected row is pushed below the fold by the re-sort
        ids = table_ids(app)[3:15]
        app.monitor.poller.sources[0].state.overrides.update(dict.fromkeys(ids, "down"))
        app.monitor.engine.config = replace(app.monitor.engine.config, flap_interval=0)
        clock.advance(15)
        await app.monitor.poll()
        await pilot.pause()
        assert table.scroll_y == 0  # the new problems at the top stay in view
        assert table.selected_id == selected  # and the selection still is what the person chose
        assert table_statuses(app)[0].endswith("DOWN")


async def test_narrow_terminals_collapse_the_latency_panel():
    app, clock = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await poll(app, pilot, clock)
        assert not app.query_one("#latency").display or app.query_one("#latency").styles.display == "none"
        assert app.query_one("#audit").region.width > 60
    app, clock = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await poll(app, pilot, clock)
        assert app.query_one("#latency").region.width > 40


async def test_the_console_polls_the_simulator_over_http(start_sim, tmp_path):
    from tests.conftest import sim_settings
    from tui_health.monitor.runtime import open_monitor
    from tui_health.tui.app import HealthApp

    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"poll.interval": 0.2})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        app = HealthApp(monitor, tick=0)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if monitor.tracker.polls >= 3:
                    break
            assert monitor.tracker.polls >= 3  # the next poll is scheduled after each one finishes
            assert table_statuses(app)[:3] == ["▼ DOWN", "◆ DEGRADED", "◆ DEGRADED"]
            assert "connected" in header(app)
            await pilot.press("q")
        await monitor.close()
    assert sim.state.counts["token"] == 1


def test_every_action_in_the_table_is_bound_shown_and_implemented():
    from tui_health.tui.actions import ACTIONS
    from tui_health.tui.app import HealthApp

    bound = {b.action for b in HealthApp.BINDINGS}  # type: ignore[union-attr]
    text = plain(help_table())
    for item in ACTIONS:
        name = item.action.split("(")[0]
        assert callable(getattr(HealthApp, f"action_{name}", None)), item.action
        assert item.action in bound and item.help in text


async def test_the_console_shows_several_targets_and_acts_on_the_right_one(tmp_path):

    from tui_health.simulator import load_scenario
    from tui_health.simulator.offline import offline_monitor
    from tui_health.support.clock import FakeClock
    from tui_health.tui.app import HealthApp

    clock = FakeClock()
    monitors = []
    for name in ("emea-prod", "us-prod"):
        (tmp_path / name).mkdir()
        monitor, _ = offline_monitor(load_scenario("outage"), clock, tmp_path / name, target=name)
        monitors.append(monitor)
    app = HealthApp(monitors, autopoll=False, tick=0)
    async with app.run_test(size=SIZE) as pilot:
        app.start_poll()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert all(m.tracker.polls == 1 for m in monitors)  # each target polled by its own worker
        ids = table_ids(app)
        assert len(ids) == 80 and "us-prod/voice-telephony" in ids and "emea-prod/voice-telephony" in ids
        assert "emea-prod · us-prod" in header(app)
        table = app.query_one(ComponentsTable)
        table.move_cursor(row=ids.index("us-prod/voice-telephony"))
        await pilot.press("s")
        await pilot.press("enter")
        await pilot.pause()
        assert set(monitors[1].engine.silences) == {"voice-telephony"} and monitors[0].engine.silences == {}
        # the Target column is there with several targets, the header has a line per target, t filters by one
        first = table.get_row_at(0)
        assert first[1].plain in ("emea-prod", "us-prod")
        lines = header(app).splitlines()
        assert (
            len(lines) == 4
            and lines[2].strip().startswith("emea-prod")
            and lines[3].strip().startswith("us-prod")
        )
        assert "1 down" in lines[2] and "connected" in lines[3]
        await pilot.press("t")
        assert set(table_ids(app)) == {i for i in ids if i.startswith("emea-prod/")}
        assert "target: emea-prod" in str(app.query_one("#filter-desc").render())
        await pilot.press("t")
        assert {i.split("/")[0] for i in table_ids(app)} == {"us-prod"}
        await pilot.press("t")
        assert len(table_ids(app)) == 80
        # sorting by target keeps each target's rows together
        await pilot.press("greater_than_sign")
        assert app.sort.column == "target"
        targets = [i.split("/")[0] for i in table_ids(app)]
        assert targets == sorted(targets)


async def test_one_target_has_no_target_column_and_no_t(tmp_path):
    app, clock = fixed_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await warm_up(app, clock, pilot)
        table = app.query_one(ComponentsTable)
        assert "Target" not in table._header().text
        assert app.check_action("target", ()) is False
        await pilot.press("greater_than_sign")
        assert app.sort.column == "name"  # the hidden column is skipped
