"""Snapshot tests of the console (pytest-textual-snapshot), on an offline, fixed-clock monitor.

Update after an intended change with: python -m pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.tui_helpers import make_app

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}


def app_after(keys: tuple[str, ...]):
    app, clock = make_app()

    async def run_before(pilot) -> None:
        for index in range(14):
            if index:
                clock.advance(15 - 0.06)
            await app.monitor.poll()
            await pilot.pause()
        clock.advance(4)
        app.render_state(app.store.state)
        await pilot.pause()
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
