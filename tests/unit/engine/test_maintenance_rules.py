"""Maintenance windows as rules (no monitor): when a window is open, when it opens next, what it covers, and which
window a component is in. Every moment is written out by hand, in UTC."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tui_health.engine.maintenance import Window, in_maintenance, moment
from tui_health.model.domain import Component, Status

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")  # clocks forward on 2026-03-29 02:00, back on 2026-10-25 03:00


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


UPGRADE = Window("upgrade", datetime(2026, 12, 6, 2), timedelta(hours=1), UTC_ZONE)
NIGHTLY = Window("nightly", datetime(2026, 12, 1, 2), timedelta(hours=1), UTC_ZONE, every="day")
SUNDAYS = Window("sundays", datetime(2026, 3, 1, 22), timedelta(hours=2), UTC_ZONE, every="week")


# -- when a window is open --------------------------------------------------------------------------------
def test_a_one_off_window_is_open_from_its_start_to_just_before_its_end():
    assert UPGRADE.current(at(2026, 12, 6, 1, 59, 59)) is None
    assert UPGRADE.current(at(2026, 12, 6, 2)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))
    assert UPGRADE.current(at(2026, 12, 6, 2, 59, 59)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))
    assert UPGRADE.current(at(2026, 12, 6, 3)) is None


def test_a_recurring_window_is_open_at_the_very_moment_it_first_starts():
    assert NIGHTLY.current(at(2026, 12, 1, 2)) == (at(2026, 12, 1, 2), at(2026, 12, 1, 3))
    assert NIGHTLY.current(at(2026, 11, 30, 2, 30)) is None  # the same wall time the day before it begins


def test_a_weekly_window_is_not_open_on_the_other_days_at_its_time():
    assert SUNDAYS.current(at(2026, 3, 8, 23)) == (at(2026, 3, 8, 22), at(2026, 3, 9, 0))
    assert SUNDAYS.current(at(2026, 3, 9, 22, 30)) is None  # a Monday
    assert SUNDAYS.current(at(2026, 3, 14, 22, 30)) is None  # a Saturday


def test_a_window_spanning_the_spring_forward_lasts_its_duration_of_real_time():
    # 01:30 CET is 00:30 UTC; two real hours later it is 02:30 UTC (04:30 CEST), not 03:30 on the wall (01:30 UTC)
    window = Window("w", datetime(2026, 3, 29, 1, 30), timedelta(hours=2), BERLIN)
    assert window.current(at(2026, 3, 29, 2, 0)) == (at(2026, 3, 29, 0, 30), at(2026, 3, 29, 2, 30))
    assert window.current(at(2026, 3, 29, 2, 30)) is None


def test_both_ends_of_an_occurrence_are_given_in_the_windows_zone():
    window = Window("w", datetime(2026, 3, 29, 1, 30), timedelta(hours=2), BERLIN)
    for start, end in (window.current(at(2026, 3, 29, 1)), window.next(at(2026, 3, 28))):  # type: ignore[misc]
        assert (start.tzinfo, end.tzinfo) == (BERLIN, BERLIN)


@pytest.fixture
def machine_in_los_angeles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("machine_in_los_angeles")
def test_a_window_is_read_in_its_own_zone_whatever_the_machines():
    # 02:30 UTC on the 6th is still the 5th in Los Angeles: the nightly UTC window is open all the same
    assert NIGHTLY.current(at(2026, 12, 6, 2, 30)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))
    # 03:30 UTC on the 6th, the 5th in Los Angeles: the next is on the 7th, not the one that has just ended
    assert NIGHTLY.next(at(2026, 12, 6, 3, 30)) == (at(2026, 12, 7, 2), at(2026, 12, 7, 3))


# -- when it opens next -------------------------------------------------------------------------------------
def test_a_one_off_window_comes_next_until_it_is_over():
    assert UPGRADE.next(at(2026, 12, 5, 10)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))
    assert UPGRADE.next(at(2026, 12, 6, 2, 30)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))  # open now
    assert UPGRADE.next(at(2026, 12, 6, 3)) is None
    assert UPGRADE.next(at(2027, 1, 1)) is None


def test_a_daily_window_comes_next_at_its_first_start_then_the_day_after_the_last():
    assert NIGHTLY.next(at(2026, 11, 20, 10)) == (at(2026, 12, 1, 2), at(2026, 12, 1, 3))
    assert NIGHTLY.next(at(2026, 12, 5, 10)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))
    assert NIGHTLY.next(at(2026, 12, 5, 3)) == (at(2026, 12, 6, 2), at(2026, 12, 6, 3))  # as it just ended
    assert NIGHTLY.next(at(2026, 12, 5, 1, 59)) == (at(2026, 12, 5, 2), at(2026, 12, 5, 3))  # later that day


def test_a_weekly_window_comes_next_on_its_weekday():
    assert SUNDAYS.next(at(2026, 3, 10, 12)) == (at(2026, 3, 15, 22), at(2026, 3, 16, 0))


def test_the_next_occurrence_across_the_spring_forward_lasts_its_duration_of_real_time():
    window = Window("w", datetime(2026, 3, 27, 1, 30), timedelta(hours=2), BERLIN, every="day")
    assert window.next(at(2026, 3, 28, 12)) == (at(2026, 3, 29, 0, 30), at(2026, 3, 29, 2, 30))


# -- a wall time as a moment ---------------------------------------------------------------------------------
def test_a_wall_time_that_exists_once_is_that_moment():
    assert moment(datetime(2026, 7, 1, 12), BERLIN) == at(2026, 7, 1, 10)


def test_a_wall_time_the_clocks_skip_is_the_first_moment_after_the_jump():
    opened = moment(datetime(2026, 3, 29, 2, 30), BERLIN)
    assert opened == at(2026, 3, 29, 1) and opened.microsecond == 0
    for minute in range(0, 60, 5):  # 03:00 CEST to the second, whichever minute of the skipped hour
        assert moment(datetime(2026, 3, 29, 2, minute), BERLIN) == at(2026, 3, 29, 1), minute
    assert opened.utcoffset() == timedelta(hours=2)  # shown as 03:00 CEST, the time it is in Berlin then


def test_a_wall_time_that_happens_twice_is_its_first_occurrence():
    # (compared in UTC: Python never calls an ambiguous wall time equal to a moment in another zone)
    assert moment(datetime(2026, 10, 25, 2, 30), BERLIN).astimezone(UTC) == at(2026, 10, 25, 0, 30)


# -- what a window covers -------------------------------------------------------------------------------------
def test_a_window_with_no_selector_covers_every_component_of_its_targets_only():
    everything = Window("all", datetime(2026, 1, 1), timedelta(days=1), UTC_ZONE, targets=("prod",))
    chat = Component("chat", "Web chat", Status.DOWN)
    assert everything.covers("prod", chat)
    assert not everything.covers("lab", chat)


def test_a_window_covers_by_exact_id_not_by_a_part_of_one():
    window = Window("w", datetime(2026, 1, 1), timedelta(days=1), UTC_ZONE, ids=("chat",))
    assert window.covers("prod", Component("chat", "Web chat", Status.DOWN))
    assert not window.covers("prod", Component("chat-2", "Web chat 2", Status.DOWN))


def test_a_component_without_a_kind_is_a_platform_one():
    window = Window("w", datetime(2026, 1, 1), timedelta(days=1), UTC_ZONE, kinds=("platform",))
    assert window.covers("prod", Component("chat", "Web chat", Status.DOWN))
    assert not window.covers("prod", Component("edge:1", "Edge 1", Status.DOWN, kind="edge"))


def test_a_pattern_matches_the_whole_name_or_the_whole_id_case_sensitively():
    window = Window("w", datetime(2026, 1, 1), timedelta(days=1), UTC_ZONE, match=("Web*",))
    assert window.covers("prod", Component("chat", "Web chat", Status.DOWN))
    assert window.covers("prod", Component("Webhooks", "Hooks", Status.DOWN))
    assert not window.covers("prod", Component("chat", "web chat", Status.DOWN))
    assert not window.covers("prod", Component("chat", "The Web chat", Status.DOWN))


# -- which window a component is in -----------------------------------------------------------------------------
def test_a_component_is_in_the_first_open_window_that_covers_it():
    chat = Component("chat", "Web chat", Status.DOWN)
    voice = Component("voice", "Voice", Status.DOWN)
    closed = Window("closed", datetime(2026, 12, 7), timedelta(hours=1), UTC_ZONE)
    first = Window("first", datetime(2026, 12, 6), timedelta(days=1), UTC_ZONE, ids=("chat",))
    second = Window("second", datetime(2026, 12, 6), timedelta(days=1), UTC_ZONE, targets=("prod",))
    found = in_maintenance(
        [closed, first, second], "prod", {"chat": chat, "voice": voice}, at(2026, 12, 6, 12)
    )
    assert found == {"chat": "first", "voice": "second"}
    assert in_maintenance([closed], "prod", {"chat": chat}, at(2026, 12, 6, 12)) == {}
