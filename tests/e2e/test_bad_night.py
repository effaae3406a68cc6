"""Nothing said that wasn't checked, state that belongs to its target, and storage, locks and receivers that
misbehave (issue: trustworthy on a bad night)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from tests.conftest import CLIENT_ID, SECRET, run_cli, sim_settings
from tests.tui_helpers import make_app, poll
from tui_health.monitor.runtime import open_monitor
from tui_health.settings.target import target_key
from tui_health.sources.statuspage import resolve_groups
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ConfigError
from tui_health.support.lock import InstanceLock

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
GROUPS = ["Americas (US East)", "Americas (US West)", "EMEA (Frankfurt)"]


# -- 8. zero matches is not OK -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "got"),
    [
        (["EMEA (Frankfurt)"], ["EMEA (Frankfurt)"]),
        (["emea (frankfurt)"], ["EMEA (Frankfurt)"]),
        (["EMEA"], ["EMEA (Frankfurt)"]),
        (["americas (us w"], ["Americas (US West)"]),
    ],
)
def test_groups_match_exactly_else_by_unique_prefix(asked, got):
    assert resolve_groups(asked, GROUPS) == got


@pytest.mark.parametrize(
    ("asked", "needle"),
    [
        (
            "APAC",
            "no status page group matches 'APAC'; the groups are: Americas (US East), Americas (US West)",
        ),
        ("Americas", "'Americas' is ambiguous: it matches Americas (US East), Americas (US West)"),
    ],
)
def test_a_group_that_matches_nothing_or_several_lists_the_candidates(asked, needle):
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        resolve_groups([asked], GROUPS)


def test_a_group_that_matches_nothing_is_unknown_not_ok(start_sim):
    sim = start_sim("steady")
    proc = run_cli("--once", "--source", "statuspage", "--statuspage-url", sim.url, "--group", "APAC")
    assert proc.returncode == 3, proc.stdout
    assert proc.stderr.count("\n") == 1
    assert (
        "no status page group matches 'APAC'; the groups are: Americas (US East), EMEA (Frankfurt)"
        in proc.stderr
    )
    ok = run_cli(
        "--once", "--source", "statuspage", "--statuspage-url", sim.url, "--group", "emea", "--format", "json"
    )
    assert {c["group"] for c in json.loads(ok.stdout)["components"]} == {"EMEA (Frankfurt)"}


def against(sim, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "--once", "--api-url", sim.url, "--login-url", sim.url, "--format", "json", *args, env=CREDS
    )


def test_ids_that_match_nothing_are_unknown_and_missing_ids_are_shown(start_sim):
    sim = start_sim("steady")
    none = against(sim, "--ids", "nope,nada,zilch")
    assert none.returncode == 3
    assert "none of the 3 id(s) asked for (--ids) is in the API's answer" in none.stderr
    some = against(sim, "--ids", "chat,nope")
    assert some.returncode == 1  # chat is healthy, nope is unknown: never OK
    doc = json.loads(some.stdout)
    assert {c["id"]: c["status"] for c in doc["components"]} == {"chat": "healthy", "nope": "unknown"}
    assert any(
        "nope was asked for (--ids) but is not in the API's answer" in e["message"] for e in doc["events"]
    )


def test_an_api_that_lists_nothing_is_unknown(start_sim):
    sim = start_sim("steady")
    proc = against(sim, "--status", "down")  # a status filter may rightly match nothing: that is good news
    assert proc.returncode == 0 and json.loads(proc.stdout)["components"] == []
    empty = start_sim(
        "steady", entity_overrides={}, components=1, faults=[{"kind": "page-count-lie", "arg": "1"}]
    )
    empty.state.components = []
    proc = against(empty)
    assert proc.returncode == 3 and "the API listed no component" in proc.stderr


# -- 9. state belongs to what was watched --------------------------------------------------------------------


async def test_switching_targets_never_shows_another_targets_breach(start_sim, tmp_path):
    outage, steady = start_sim("outage"), start_sim("steady", components=5)
    first = sim_settings(outage, tmp_path, **{"thresholds.flap_interval": 0, "alerts.sinks+": []})
    async with open_monitor(first, config_path=tmp_path / "none.toml") as monitor:
        state = await monitor.poll()
        await monitor.close()
    assert state.breached
    second = sim_settings(steady, tmp_path)
    assert target_key(first) != target_key(second)
    async with open_monitor(second, config_path=tmp_path / "none.toml") as monitor:
        assert not monitor.build_state().breached  # nothing of the other target was restored
        state = await monitor.poll()
        await monitor.close()
    assert not state.breached and len(state.components) == 5
    async with open_monitor(first, config_path=tmp_path / "none.toml") as monitor:
        assert monitor.build_state().breached  # the first target's own state is still there for it


def test_the_target_key_follows_what_is_watched(start_sim, tmp_path):
    sim = start_sim("steady")
    base = target_key(sim_settings(sim, tmp_path))
    assert target_key(sim_settings(sim, tmp_path, **{"thresholds.min_down": 3})) == base  # how, not what
    for flags in (
        {"poll.ids": "chat"},
        {"poll.sources": ["statuspage"]},
        {"genesys.api_url": "http://x.test"},
    ):
        assert target_key(sim_settings(sim, tmp_path, **flags)) != base


# -- 16. a full or read-only disk does not stop monitoring -----------------------------------------------------


def test_a_full_disk_for_the_audit_log_is_one_event_and_monitoring_goes_on(start_sim, tmp_path):
    sim = start_sim("outage")
    proc = run_cli(
        "--headless", "--api-url", sim.url, "--login-url", sim.url, "--max-polls", "3", "--interval", "0.05",
        "--audit-log", "/dev/full", "--no-alerts", env=CREDS, extra_config="[poll]\nmin_gap = 0\n",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    kinds = [json.loads(line)["event_type"] for line in proc.stdout.splitlines()]
    assert kinds.count("storage_failed") == 1  # once, not once per poll
    assert kinds.count("component_health_change") == 3 and kinds[-1] == "monitor_stopped"
    failed = next(json.loads(line) for line in proc.stdout.splitlines() if "storage_failed" in line)
    assert "cannot write the audit log: no space left on the device" in failed["message"]
    assert "Traceback" not in proc.stderr


class FlakyDisk:
    """Wraps the outbox's sqlite connection: writes fail with the error a full disk gives while ``full``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db, self.full = db, True

    def execute(self, sql: str, *args):
        if self.full and sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.db, name)


async def test_alerts_survive_a_full_outbox_and_are_delivered_when_space_returns(start_sim, tmp_path):
    sim = start_sim("outage")
    settings = sim_settings(
        sim,
        tmp_path,
        **{
            "thresholds.flap_interval": 0,
            "alerts.sinks+": [{"type": "webhook", "url": f"{sim.url}/hooks/x"}],
        },
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=FakeClock()) as monitor:
        assert monitor.outbox is not None
        disk = FlakyDisk(monitor.outbox.db)
        monitor.outbox.db = disk  # type: ignore[assignment]
        await monitor.start()
        await monitor.poll()
        await until(lambda: "alert outbox" in monitor.storage.problems)  # the storing task tried, and failed
        state = await monitor.poll()
        assert "cannot write the alert outbox: database or disk is full" in state.storage_problem
        assert state.alerts_held >= 1 and state.outbox_pending == 0  # held in memory, counted apart, not lost
        kinds = [e.event_type for e in monitor.recent]
        assert kinds.count("storage_failed") >= 1
        await monitor.poll()
        assert [e.event_type for e in monitor.recent].count("storage_failed") == kinds.count("storage_failed")
        disk.full = False
        await monitor.poll()  # wakes the storing task
        await until(lambda: monitor.dispatcher is not None and monitor.dispatcher.held == 0)
        state = await monitor.poll()
        assert state.storage_problem == "" and "storage_recovered" in [e.event_type for e in monitor.recent]
        assert await monitor.dispatcher.drain(10)  # type: ignore[union-attr]
        await monitor.close()
    batches = [[log["event_type"] for log in w["body"]["logs"]] for w in sim.state.webhooks]
    assert batches == [["component_health_change"] * 3 + ["threshold_breach"]]


async def until(predicate, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


# -- 17. one instance per state directory; private files ------------------------------------------------------


def test_a_second_instance_on_the_same_state_directory_exits_at_once(tmp_path):
    held = InstanceLock(tmp_path).acquire()
    code = (
        "import sys; from pathlib import Path; from tui_health.support.lock import InstanceLock\n"
        "from tui_health.support.errors import ConfigError\n"
        "try: InstanceLock(Path(sys.argv[1])).acquire()\n"
        "except ConfigError as e: print(e.one_line())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True).stdout
    assert f"another tui-health (pid {os.getpid()}) is already using the state directory {tmp_path}" in out
    assert "--read-only" in out
    held.release()
    again = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True).stdout
    assert again == ""


def test_headless_refuses_a_busy_state_directory_and_read_only_runs_beside_it(start_sim, tmp_path):
    sim = start_sim("steady")
    config = f'[alerts]\noutbox = "{tmp_path / "state" / "outbox.sqlite3"}"\n[poll]\nmin_gap = 0\n'
    held = InstanceLock(tmp_path / "state").acquire()
    try:
        args = ("--headless", "--api-url", sim.url, "--login-url", sim.url, "--max-polls", "1")
        busy = run_cli(*args, env=CREDS, extra_config=config)
        assert busy.returncode == 3 and "already using the state directory" in busy.stderr
        watcher = run_cli(
            *args, "--read-only", "--audit-log", str(tmp_path / "ro.jsonl"), env=CREDS, extra_config=config
        )
        assert watcher.returncode == 0, watcher.stderr
        assert "monitor_started" in watcher.stdout and not (tmp_path / "ro.jsonl").exists()  # wrote nothing
    finally:
        held.release()


async def test_files_holding_alerts_and_state_are_private(start_sim, tmp_path):
    sim = start_sim("steady")
    state_dir = tmp_path / "new" / "state"
    settings = sim_settings(
        sim,
        tmp_path,
        **{
            "alerts.outbox": str(state_dir / "outbox.sqlite3"),
            "audit.path": str(tmp_path / "logs" / "a.jsonl"),
        },
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        await monitor.poll()
        await monitor.close()
    # every file the run made: the outbox, the lock, the engine's state, the history, the audit log
    made = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()} - {"none.toml"}
    assert {"new/state/outbox.sqlite3", "new/state/tui-health.lock", "new/state/state.sqlite3"} <= made
    assert any(p.startswith("new/state/history/") for p in made) and "logs/a.jsonl" in made
    for name in made:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    for path in (state_dir, state_dir / "history", tmp_path / "logs"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


# -- 18. the console offers requeue ---------------------------------------------------------------------------


async def test_the_console_offers_to_requeue_refused_alerts(tmp_path):
    import httpx

    from tui_health.alerts.dispatcher import Dispatcher
    from tui_health.alerts.outbox import Outbox
    from tui_health.alerts.sinks.webhook import WebhookSink

    app, clock = make_app("outage")
    async with app.run_test(size=(140, 45)) as pilot:
        await poll(app, pilot, clock)
        outbox = app.monitor.outbox = Outbox(tmp_path / "outbox.sqlite3")
        sink = WebhookSink("hook", "http://127.0.0.1:9/never", None)
        app.monitor.dispatcher = Dispatcher([sink], outbox, httpx.AsyncClient(), clock, app.monitor.record)
        row = outbox.add("hook", "k1", {"x": 1}, "Voice is down", 0.0)
        assert row is not None
        outbox.fail(row, "HTTP 400")
        await app.monitor.dispatcher._count()  # the dispatcher counts on its own thread; here, at once
        await poll(app, pilot, clock)
        assert app.state.outbox_failed == 1
        assert app.check_action("requeue", ()) is True
        await pilot.press("A")
        await pilot.pause()
        assert outbox.failed() == [] and len(outbox.pending()) == 1
        assert app.check_action("requeue", ()) is False


async def test_state_is_kept_when_alerts_are_off(start_sim, tmp_path):
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "thresholds.flap_interval": 0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        assert (await monitor.poll()).breached
        await monitor.close()
    assert stat.S_IMODE((tmp_path / "state.sqlite3").stat().st_mode) == 0o600
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        assert monitor.build_state().breached  # restored without any outbox


async def test_read_only_monitors_need_no_lock(start_sim, tmp_path):
    from tui_health.monitor.runtime import open_monitors

    settings = sim_settings(start_sim("steady"), tmp_path)
    held = InstanceLock(settings.state_dir).acquire()
    try:
        with pytest.raises(ConfigError, match="already using the state directory"):
            async with open_monitors(settings, config_path=tmp_path / "none.toml"):
                pass
        async with open_monitors(settings, config_path=tmp_path / "none.toml", read_only=True) as monitors:
            assert len(monitors) == 1 and monitors[0].outbox is None and monitors[0].keeping.saved is None
    finally:
        held.release()
