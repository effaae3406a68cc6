"""Reload without a restart: each setting a reloaded config changes really takes effect on the running monitor (at
its next poll or attempt); a target whose new settings cannot be built keeps its old ones and says so; a target
gone from the config is reported. Driven as SIGHUP drives it (``reload_all``), against the simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import sim_settings
from tui_health.model.domain import EventType
from tui_health.monitor.runtime import open_monitor, reload_all
from tui_health.settings.config import MaintenanceSettings, Settings
from tui_health.support.clock import FakeClock
from tui_health.support.timespec import duration_text

QUIET = {"alerts.enabled": False}


def reload(monitor, settings: Settings) -> list[str]:
    """What SIGHUP does, with ``settings`` as the config read again."""
    return reload_all([monitor], lambda: settings, ())


def said(monitor, kind: str) -> list[str]:
    return [e.message for e in monitor.recent if e.event_type == kind]


def health_pages(sim) -> int:
    return sum(1 for _, path, _ in sim.state.log if path.startswith("/api/v2/health/details"))


def hooks(sim, *names: str) -> list[dict[str, Any]]:
    return [{"type": "webhook", "name": name, "url": f"{sim.url}/hooks/{name}"} for name in names]


async def test_a_reloaded_maintenance_window_holds_at_the_next_poll(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **QUIET)
    window = {"name": "db upgrade", "start": "2026-12-06T02:00", "duration": "1h", "ids": ["chat"]}
    windowed = settings.model_copy(update={"maintenance": [MaintenanceSettings.model_validate(window)]})
    clock = FakeClock(datetime(2026, 12, 6, 2, 30, tzinfo=UTC))
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        await monitor.poll()
        assert reload(monitor, windowed) == []
        state = await monitor.poll()
        await monitor.close()
    assert next(c.maintenance for c in state.components if c.id == "chat") == "db upgrade"


async def test_a_reloaded_poll_deadline_bounds_the_next_poll(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady", faults=[{"kind": "hang", "on": [2]}])  # the second poll's page never comes
    async with open_monitor(
        sim_settings(sim, tmp_path, **QUIET), config_path=tmp_path / "none.toml"
    ) as monitor:
        await monitor.poll()  # within the configured deadline of 60 s
        assert reload(monitor, sim_settings(sim, tmp_path, **QUIET, **{"poll.deadline": 0.5})) == []
        async with asyncio.timeout(30):
            state = await monitor.poll()
        await monitor.close()
    [source] = state.sources
    assert not source.ok and "the poll deadline of 0.5 s passed" in (source.error or "")


async def test_reloaded_source_settings_are_used_by_the_next_poll(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady")  # 40 components
    async with open_monitor(
        sim_settings(sim, tmp_path, **QUIET), config_path=tmp_path / "none.toml"
    ) as monitor:
        await monitor.poll()
        assert health_pages(sim) == 1
        assert reload(monitor, sim_settings(sim, tmp_path, **QUIET, **{"poll.page_size": 10})) == []
        state = await monitor.poll()
        await monitor.close()
    assert health_pages(sim) == 1 + 4 and len(state.components) == 40


async def test_a_reloaded_interval_is_the_next_wait(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady")
    clock = FakeClock()
    async with open_monitor(
        sim_settings(sim, tmp_path, **QUIET), config_path=tmp_path / "none.toml", clock=clock
    ) as monitor:
        await monitor.poll()
        assert reload(monitor, sim_settings(sim, tmp_path, **QUIET, **{"poll.interval": 120})) == []
        state = await monitor.poll()
        await monitor.close()
    assert monitor.interval == 120 and state.interval == 120  # what run() waits, and the views count down
    assert state.next_poll_at is not None and (state.next_poll_at - clock.now()).total_seconds() == 120
    assert (
        f"interval {duration_text(15)} → {duration_text(120)}" in said(monitor, EventType.CONFIG_RELOADED)[0]
    )


async def test_reloaded_sinks_are_added_and_removed(start_sim, tmp_path: Path) -> None:
    sim = start_sim("outage")

    def with_sinks(*names: str) -> Settings:
        return sim_settings(
            sim, tmp_path, **{"thresholds.flap_interval": 0, "alerts.sinks": hooks(sim, *names)}
        )

    async with open_monitor(with_sinks("kept", "gone"), config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        assert reload(monitor, with_sinks("kept", "new")) == []
        await monitor.poll()  # the outage: one alert for every sink there is now
        assert monitor.dispatcher is not None and await monitor.dispatcher.drain(10)
        await monitor.close()
    assert sorted(w["path"] for w in sim.state.webhooks) == ["/hooks/kept", "/hooks/new"]
    [message] = said(monitor, EventType.CONFIG_RELOADED)
    assert "sink gone removed" in message and "sink new added" in message


async def test_a_target_whose_new_settings_cannot_be_built_keeps_its_old_ones(
    start_sim, tmp_path: Path
) -> None:
    """The queues source needs queue names or ids: a reload that drops them (and changes the interval) is
    rejected whole — audited, said, and the monitor goes on with its sources and interval as they were."""
    sim = start_sim("steady")
    sources = {"poll.sources": ["health-api", "queues"]}
    settings = sim_settings(sim, tmp_path, **QUIET, **sources, **{"queues.names": ["Support*"]})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        before = monitor.poller.sources
        broken = sim_settings(sim, tmp_path, **QUIET, **sources, **{"poll.interval": 120})
        [problem] = reload(monitor, broken)
        await monitor.close()
    assert "not reloaded" in problem and "queues.ids or queues.names" in problem
    assert said(monitor, EventType.CONFIG_REJECTED) == [problem]
    assert monitor.poller.sources is before and monitor.interval == 15
    assert not said(monitor, EventType.CONFIG_RELOADED)


async def test_a_target_dropped_from_the_config_is_reported(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady")
    async with open_monitor(
        sim_settings(sim, tmp_path, **QUIET), config_path=tmp_path / "none.toml"
    ) as monitor:
        other = sim_settings(sim, tmp_path, **QUIET, **{"poll.ids": ["chat"]})  # another target: other ids
        [problem] = reload(monitor, other)
        await monitor.close()
    assert problem == f"{monitor.region}: no longer in the config; it keeps running until a restart"
    assert said(monitor, EventType.CONFIG_REJECTED) == [problem]
