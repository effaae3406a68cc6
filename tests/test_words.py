"""Words that match the program (issue #33, item 7): what the man page, the README, `--help`, completions and
the template say is made from, or checked against, what the program does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import run_cli, sim_settings
from tui_health.model.domain import EventType
from tui_health.monitor.runtime import open_monitor
from tui_health.support.clock import FakeClock
from tui_health.support.timespec import duration_text, parse_duration


# -- durations as people read them ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [(7200, "2h"), (5400, "1h30m"), (90, "1m30s"), (60, "1m"), (604_800, "7d"), (90_061, "1d1h1m1s"),
     (15, "15 s"), (2.5, "2.5 s"), (7200.4, "2h")],
)  # fmt: skip
def test_a_duration_reads_as_it_is_typed(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


@given(st.integers(min_value=1, max_value=400 * 86_400))
def test_a_duration_shown_reads_back_as_the_same_duration(seconds: int) -> None:
    assert parse_duration(duration_text(seconds)) == seconds


def test_a_silence_asked_from_the_shell_says_its_duration_as_a_duration(tmp_path) -> None:
    """`--duration 120` (bare minutes) is said as 2h, not as the digits typed nor as 7200 s."""
    config = f'[state]\ndir = "{tmp_path / "state"}"\n'
    asked = run_cli(
        "silence", "add", "--component", "x", "--duration", "120", "--reason", "r",
        env={"GENESYSCLOUD_REGION": "eu-central-1"}, extra_config=config,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "asked to silence x for 2h on eu-central-1" in asked.stdout


async def test_a_reload_and_a_maintenance_window_say_their_durations_as_durations(
    start_sim, tmp_path
) -> None:
    from tui_health.settings.config import MaintenanceSettings

    sim = start_sim("steady")
    clock = FakeClock(datetime(2026, 12, 6, 2, 5, tzinfo=UTC))
    window = MaintenanceSettings.model_validate({"name": "db", "start": "2026-12-06T02:00", "duration": 5400})
    settings = sim_settings(sim, tmp_path).model_copy(update={"maintenance": [window]})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        await monitor.start()
        await monitor.poll()
        started = [e.message for e in monitor.recent if e.event_type == EventType.MAINTENANCE_STARTED]
        assert started and "for 1h30m" in started[-1], started
        monitor.reconfigure(sim_settings(sim, tmp_path, **{"poll.interval": 7200}))
        [reloaded] = [e.message for e in monitor.recent if e.event_type == EventType.CONFIG_RELOADED]
        assert "interval 15 s → 2h" in reloaded, reloaded
        await monitor.close()
