"""Snapshot tests of the console (pytest-textual-snapshot), on an offline, fixed-clock monitor.

Update after an intended change with: python -m pytest tests/unit/tui/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.console_fixture import fixed_app, go_stale, replay_app, warm_up

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}


def app_after(keys: tuple[str, ...]):
    app, clock = fixed_app(Path(tempfile.mkdtemp(prefix="tui-health-snap-")))

    async def run_before(pilot) -> None:
        await warm_up(app, clock, pilot)
        if keys:
            await pilot.press(*keys)
            await pilot.pause()

    return app, run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("view", "keys"),
    [("main", ()), ("problems-filter", ("f",)), ("details", ("enter",)), ("help", ("question_mark",))],
)
def test_console_snapshots(snap_compare, view, keys, size):
    app, run_before = app_after(keys)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


def test_stale_console_snapshot(snap_compare):
    """The API stopped answering a minute ago: STALE first, rows dimmed, gaps in the problems sparkline."""
    app, clock = fixed_app(Path(tempfile.mkdtemp(prefix="tui-health-snap-")))

    async def run_before(pilot) -> None:
        await warm_up(app, clock, pilot)
        await go_stale(app, clock, pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_details_timeline_snapshot(snap_compare):
    """Voice after a recorded week: its 24 h and 7 d strips, its transitions with durations, no alerts."""
    app, clock = fixed_app(Path(tempfile.mkdtemp(prefix="tui-health-snap-")), history=True)

    async def run_before(pilot) -> None:
        await warm_up(app, clock, pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 44), run_before=run_before)


def test_replay_header_snapshot(snap_compare):
    """Replay two polls back from the end of a recorded stretch: REPLAY and the moment first in the header."""
    app = replay_app(Path(tempfile.mkdtemp(prefix="tui-health-snap-")))

    async def run_before(pilot) -> None:
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
