"""Maintenance windows and silences: a window holds its own target only, a reload that removes every window
releases what they held, and a monitor takes a silence request once, only its own, and never a bad one — a
request file is untrusted like anything else (written by hand, or by another version)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CLIENT_ID, SECRET, run_cli, sim_settings
from tests.history_helpers import scripted_monitor
from tui_health.engine.maintenance import Window
from tui_health.model.domain import EventType
from tui_health.monitor.requests import requests_dir
from tui_health.monitor.runtime import open_monitor, reload_all
from tui_health.settings.config import MaintenanceSettings
from tui_health.support.clock import FakeClock

T = datetime(2026, 12, 6, 2, 30, tzinfo=UTC)  # inside the windows below (02:00 to 03:00 UTC)
KEY = "scripted-key"  # the scripted monitor's target key


def kinds(monitor) -> list[str]:
    return [e.event_type for e in monitor.recent]


def maintenance_of(state, cid: str) -> str | None:
    return next(c.maintenance for c in state.components if c.id == cid)


# -- maintenance windows ----------------------------------------------------------------------------------------
async def test_another_targets_window_does_not_touch_this_one(tmp_path: Path) -> None:
    theirs = Window(
        "their upgrade", datetime(2026, 12, 6, 2), timedelta(hours=1), ZoneInfo("UTC"), targets=("lab",)
    )
    monitor, source, writer = scripted_monitor(tmp_path, FakeClock(T), maintenance=(theirs,))
    source.statuses = {"chat": "down"}
    state = await monitor.poll()
    writer.close()
    assert monitor.engine.maintenance == {} and maintenance_of(state, "chat") is None
    assert EventType.MAINTENANCE_STARTED not in kinds(monitor)  # nor is it said to have started here


async def test_removing_every_window_by_reload_releases_the_holds(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    window = {"name": "db upgrade", "start": "2026-12-06T02:00", "duration": "1h", "ids": ["chat"]}
    windowed = settings.model_copy(update={"maintenance": [MaintenanceSettings.model_validate(window)]})
    async with open_monitor(windowed, config_path=tmp_path / "none.toml", clock=FakeClock(T)) as monitor:
        assert maintenance_of(await monitor.poll(), "chat") == "db upgrade"
        assert reload_all([monitor], lambda: settings, ()) == []  # the config has no window now
        state = await monitor.poll()
        await monitor.close()
    assert monitor.engine.maintenance == {} and maintenance_of(state, "chat") is None
    ended = [e.message for e in state.events if e.event_type == EventType.MAINTENANCE_ENDED]
    assert len(ended) == 1 and "db upgrade" in ended[0]


# -- silence requests -----------------------------------------------------------------------------------------
def request_file(state: Path, key: str = KEY, **fields: object) -> Path:
    """A request as a person (or another version) might write it by hand."""
    folder = requests_dir(state)
    folder.mkdir(parents=True, exist_ok=True)
    data = {"op": "add", "at": T.isoformat(), "by": "mallory", "component": "chat", "seconds": 3600, **fields}
    path = folder / f"{key}-{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"seconds": 0}, "its duration is not between 0 and 30 days"),
        ({"seconds": 30 * 86_400 + 1}, "its duration is not between 0 and 30 days"),
        ({"at": "2026-12-06T02:30:00"}, "its time has no zone"),
        ({"at": (T - timedelta(hours=2)).isoformat()}, "it ended at 2026-12-06T01:30:00+00:00"),
    ],
    ids=["zero-length", "over-30-days", "zone-less", "expired"],
)
async def test_a_bad_silence_request_is_refused_and_audited(tmp_path: Path, fields: dict, why: str) -> None:
    state = tmp_path / "state"
    monitor, source, writer = scripted_monitor(tmp_path, FakeClock(T), requests_from=state)
    source.statuses = {"chat": "down"}
    path = request_file(state, **fields)
    await monitor.poll()
    writer.close()
    assert monitor.engine.silences == {} and not path.exists()
    [refused] = [e.message for e in monitor.recent if e.event_type == EventType.SILENCE_REFUSED]
    assert why in refused


async def test_a_silence_request_of_exactly_30_days_is_taken(tmp_path: Path) -> None:
    state = tmp_path / "state"
    monitor, source, writer = scripted_monitor(tmp_path, FakeClock(T), requests_from=state)
    source.statuses = {"chat": "down"}
    request_file(state, seconds=30 * 86_400)
    await monitor.poll()
    writer.close()
    assert monitor.engine.silences == {"chat": T + timedelta(days=30)}


async def test_a_request_is_taken_once_and_only_by_its_own_target(tmp_path: Path) -> None:
    state = tmp_path / "state"
    monitor, source, writer = scripted_monitor(tmp_path, FakeClock(T), requests_from=state)
    source.statuses = {"chat": "down"}
    mine, theirs = request_file(state), request_file(state, key="0123456789abcdef")
    await monitor.poll()
    assert "chat" in monitor.engine.silences and not mine.exists() and theirs.exists()
    monitor.unsilence("chat")  # lifted from the console: the request is not taken a second time
    await monitor.poll()
    writer.close()
    assert monitor.engine.silences == {} and theirs.exists()
    assert kinds(monitor).count(EventType.SILENCE_ADDED) == 1


def test_silence_add_takes_a_duration_of_30_days_at_most(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    config = f'[state]\ndir = "{state}"\n[genesys]\nregion = "eu-central-1"\n'
    add = ("silence", "add", "--component", "chat", "--reason", "carrier work", "--duration")
    assert run_cli(*add, "30d", env=env, extra_config=config).returncode == 0
    over = run_cli(*add, "30d1s", env=env, extra_config=config)
    assert over.returncode == 3 and "up to 30 days" in over.stderr
    [written] = requests_dir(state).glob("*.json")
    assert json.loads(written.read_text())["seconds"] == 30 * 86_400
