"""The operator's kit: doctor, planned maintenance, silences from the shell, reload without a restart, TLS."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import CLIENT_ID, SECRET, delivered, run_cli, self_signed, sim_settings, wait_until
from tui_health.engine.maintenance import Window
from tui_health.model.domain import Component, EventType, Status
from tui_health.monitor.runtime import open_monitor
from tui_health.serve.http import CollectorServer
from tui_health.settings.config import MaintenanceSettings
from tui_health.simulator import Scenario
from tui_health.support import zone
from tui_health.support.clock import FakeClock, rfc3339
from tui_health.support.lock import InstanceLock

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
HOOK_TOKEN = "hook-token-never-shown-0123456789"


def doctor(
    sim, *args: str, config: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "doctor", "--api-url", sim.url, "--login-url", sim.url, *args,
        env={**CREDS, **(env or {})},
        extra_config=config,
    )  # fmt: skip


# -- doctor ---------------------------------------------------------------------------------------------------
def test_doctor_proves_the_paging_path_and_audits_the_test_alert(start_sim, tmp_path):
    sim = start_sim("steady")
    audit = tmp_path / "audit.jsonl"
    config = (
        f'[audit]\npath = "{audit}"\n'
        f'[alerts]\nwebhook_token = "{HOOK_TOKEN}"\nsinks = [{{type = "webhook", url = "{sim.url}/hooks/doc"}}]\n'
    )
    proc = doctor(sim, "--send-test-alert", "--format", "json", config=config)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = json.loads(proc.stdout)
    verdicts = {c["check"]: c["verdict"] for c in document["checks"]}
    assert document["verdict"] == "ok"
    assert verdicts["credentials"] == verdicts["organizations/me"] == verdicts["source health-api"] == "ok"
    assert [k for k in verdicts if k.startswith("test alert via")] and HOOK_TOKEN not in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr
    assert delivered(sim, "tui-health-doctor-test", "down") and delivered(
        sim, "tui-health-doctor-test", "healthy"
    )
    [line] = [json.loads(x) for x in audit.read_text().splitlines() if '"test_alert"' in x]
    assert line["status"] == "delivered" and HOOK_TOKEN not in audit.read_text()


def test_doctor_names_the_missing_permission_and_fails(start_sim):
    sim = start_sim(
        Scenario.model_validate({"org": {"edges": 1}, "faults": [{"kind": "forbidden", "target": "edges"}]})
    )
    proc = doctor(sim, "--source", "edges")
    assert proc.returncode == 2, proc.stdout
    assert "✗" in proc.stdout and "telephony:plugin:all" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "something will not work"


def test_doctor_fails_on_a_receiver_nobody_answers_and_on_bad_config(start_sim):
    sim = start_sim("steady")
    unreachable = '[alerts]\nsinks = [{type = "webhook", url = "http://127.0.0.1:9/hook"}]\n'
    proc = doctor(sim, config=unreachable)
    assert proc.returncode == 2 and "not reachable" in proc.stdout
    broken = doctor(sim, config="[poll]\ninterval = -5\n")
    assert broken.returncode == 2 and broken.stdout.startswith("✗ config:")


def test_doctor_says_which_pid_holds_the_state_directory(start_sim):
    sim = start_sim("steady")
    with tempfile.TemporaryDirectory() as state:
        lock = InstanceLock(Path(state)).acquire()
        try:
            proc = doctor(sim, config=f'[state]\ndir = "{state}"\n')
        finally:
            lock.release()
    assert proc.returncode == 0, proc.stdout
    assert f"in use by the running tui-health (pid {os.getpid()})" in proc.stdout
    assert "stop it" not in proc.stdout  # the service runs: nothing to stop


def test_doctor_lists_each_window_when_it_is_and_what_it_covers_now(start_sim):
    sim = start_sim("steady")
    config = (
        '[display]\ntz = "utc"\n'
        '[[maintenance]]\nname = "voice work"\nstart = "2030-01-06T02:00"\nduration = "2h"\nmatch = ["Voice*"]\n'
        '[[maintenance]]\nname = "typo"\nstart = "2020-01-01T00:00"\nduration = "1h"\nevery = "week"\n'
        'ids = ["no-such-component"]\n'
    )
    proc = doctor(sim, config=config)
    voice = next(line for line in proc.stdout.splitlines() if "maintenance voice work" in line)
    assert "next 2030-01-06 02:00 UTC to 2030-01-06 04:00 UTC" in voice
    assert voice.startswith("✓") and "covers 1 of 40 component(s) now (Voice (Telephony))" in voice
    typo = next(line for line in proc.stdout.splitlines() if "maintenance typo" in line)
    assert typo.startswith("!") and "covers none of the 40 component(s)" in typo and "next " in typo
    assert proc.returncode == 1  # a window that holds nothing is a warning


# -- maintenance windows ----------------------------------------------------------------------------------------
def test_a_daily_window_keeps_its_wall_time_across_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    window = Window("nightly", datetime(2026, 3, 27, 2, 30), timedelta(hours=1), berlin, every="day")
    # the clocks go forward on 2026-03-29: 02:30 Berlin is 01:30 UTC before, 00:30 UTC after
    assert window.current(datetime(2026, 3, 28, 1, 45, tzinfo=UTC)) is not None
    assert window.current(datetime(2026, 3, 30, 0, 45, tzinfo=UTC)) is not None
    assert window.current(datetime(2026, 3, 30, 1, 45, tzinfo=UTC)) is None
    once = Window("once", datetime(2026, 3, 27, 2, 30), timedelta(hours=1), berlin)
    assert once.current(datetime(2026, 3, 28, 1, 45, tzinfo=UTC)) is None
    weekly = Window("weekly", datetime(2026, 3, 1, 22, 0), timedelta(hours=2), ZoneInfo("UTC"), every="week")
    assert weekly.current(datetime(2026, 3, 15, 23, 0, tzinfo=UTC)) is not None
    assert weekly.current(datetime(2026, 3, 16, 23, 0, tzinfo=UTC)) is None


def test_a_window_that_starts_in_the_skipped_hour_opens_at_the_first_moment_that_exists():
    berlin = ZoneInfo("Europe/Berlin")
    window = Window(
        "w", datetime(2026, 3, 29, 2, 30), timedelta(hours=1), berlin
    )  # 02:00-03:00 does not exist
    assert window.current(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) is None
    opened = window.current(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST, that day
    assert opened is not None and opened[0].astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert opened[1] - opened[0] == timedelta(hours=1)  # an hour of real time
    assert window.current(datetime(2026, 3, 29, 1, 59, tzinfo=UTC)) is not None
    assert window.current(datetime(2026, 3, 29, 2, 0, tzinfo=UTC)) is None  # the end is exclusive
    daily = Window("d", datetime(2026, 3, 28, 2, 30), timedelta(hours=1), berlin, every="day")
    assert daily.current(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) is not None  # the day is not skipped
    assert daily.current(datetime(2026, 3, 27, 1, 45, tzinfo=UTC)) is None  # before its first occurrence
    twice = Window("t", datetime(2026, 10, 25, 2, 30), timedelta(minutes=20), berlin)  # 02:30 happens twice
    assert twice.current(datetime(2026, 10, 25, 0, 35, tzinfo=UTC)) is not None  # the first one
    assert twice.current(datetime(2026, 10, 25, 1, 35, tzinfo=UTC)) is None


def test_a_windows_ids_match_and_kinds_add_up():
    utc, start = ZoneInfo("UTC"), datetime(2026, 1, 1)
    window = Window("w", start, timedelta(days=1), utc, ids=("chat",), match=("Carrier*",), kinds=("edge",))
    # (ANDed, as they were, no component would be in it)
    named = [
        Component("chat", "Web chat", Status.DOWN),  # by id
        Component("trunk:1", "Carrier a", Status.DOWN, kind="trunk"),  # by name pattern
        Component("trunk:2", "Other", Status.DOWN, kind="trunk"),  # by none
        Component("edge:1", "Edge 1", Status.DOWN, kind="edge"),  # by kind
        Component("queue:Carrier-x", "Sales", Status.DOWN, kind="queue"),  # the pattern on the id
    ]
    assert [window.covers("prod", c) for c in named] == [True, True, False, True, False]
    by_id_pattern = Window("i", start, timedelta(days=1), utc, match=("queue:Carrier*",))
    assert by_id_pattern.covers("prod", named[4])


def test_a_window_naming_no_configured_target_is_a_config_error(tmp_path):
    config = (
        '[[targets]]\nname = "EU"\nregion = "eu-central-1"\n'
        '[[maintenance]]\nstart = "2026-12-06T02:00"\nduration = "2h"\ntargets = ["US"]\n'
    )
    proc = run_cli("config", "show", extra_config=config)
    assert proc.returncode == 3 and "US" in proc.stderr and "EU" in proc.stderr
    ok = run_cli("config", "show", extra_config=config.replace('["US"]', '["EU"]'))
    assert ok.returncode == 0, ok.stderr


def test_a_window_covers_by_id_pattern_kind_and_target():
    trunk = Component("trunk:1", "Carrier a", Status.DOWN, kind="trunk")
    api = Component("analytics-api", "Analytics API", Status.DOWN)
    utc = ZoneInfo("UTC")
    start = datetime(2026, 1, 1)
    by_kind = Window("k", start, timedelta(days=1), utc, kinds=("trunk",))
    assert by_kind.covers("prod", trunk) and not by_kind.covers("prod", api)
    by_match = Window("m", start, timedelta(days=1), utc, match=("Analytics*",), targets=("prod",))
    assert (
        by_match.covers("prod", api)
        and not by_match.covers("lab", api)
        and not by_match.covers("prod", trunk)
    )
    platform = Window("p", start, timedelta(days=1), utc, kinds=("platform",))
    assert platform.covers("x", api) and not platform.covers("x", trunk)


async def test_in_a_window_changes_are_kept_but_page_nobody_until_it_ends(start_sim, tmp_path):
    sim = start_sim("steady")
    clock = FakeClock(datetime(2026, 12, 6, 1, 50, tzinfo=UTC))
    window = {"name": "db upgrade", "start": "2026-12-06T02:00", "duration": "1h", "ids": ["chat"]}
    settings = sim_settings(
        sim,
        tmp_path,
        **{
            "thresholds.flap_interval": 0,
            "alerts.sinks": [{"type": "webhook", "url": f"{sim.url}/hooks/maint"}],
        },
    )
    settings = settings.model_copy(update={"maintenance": [MaintenanceSettings.model_validate(window)]})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        await monitor.start()
        await monitor.poll()
        clock.advance(15 * 60)  # 02:05: in the window
        sim.state.overrides["chat"] = "down"
        state = await monitor.poll()
        chat = next(c for c in state.components if c.id == "chat")
        assert chat.status is Status.DOWN and chat.maintenance == "db upgrade"
        kinds = [e.event_type for e in monitor.recent]
        assert EventType.MAINTENANCE_STARTED in kinds and EventType.COMPONENT_HEALTH_CHANGE in kinds
        assert monitor.dispatcher is not None and await monitor.dispatcher.drain(10)
        assert not delivered(sim, "chat", "down")  # kept, audited, but nobody paged
        assert not state.breached
        clock.advance(3600)  # 03:05: the window is over and chat is still down: now it pages
        state = await monitor.poll()
        assert EventType.MAINTENANCE_ENDED in [e.event_type for e in monitor.recent]
        assert await monitor.dispatcher.drain(10)
        assert delivered(sim, "chat", "down") and state.breached
        await monitor.close()


def test_a_bad_window_is_a_config_error_naming_it(tmp_path):
    config = '[[maintenance]]\nstart = "2026-12-06T02:00"\nduration = "2h"\ntimezone = "Europe/Berln"\n'
    proc = run_cli("config", "show", extra_config=config)
    assert proc.returncode == 3 and "maintenance.0.timezone" in proc.stderr
    assert "europe/berln" not in proc.stderr.replace("Europe/Berln", "")  # quoted as written, every time
    assert proc.stderr.count("Europe/Berln") >= 1


# -- silences from the shell --------------------------------------------------------------------------------------
async def test_a_silence_left_in_the_state_dir_is_taken_at_the_next_poll(start_sim, tmp_path):
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"state.dir": str(tmp_path / "state")})
    config = tmp_path / "config.toml"
    config.write_text(
        f'[state]\ndir = "{tmp_path / "state"}"\n[genesys]\napi_url = "{sim.url}"\nlogin_url = "{sim.url}"\n'
    )
    env = {**CREDS, "TUI_HEALTH_CONFIG": str(config)}
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        await monitor.poll()
        asked = await asyncio.to_thread(
            run_cli, "silence", "add", "--component", "voice-telephony", "--duration", "2h",
            "--reason", "carrier ticket 4711", "--by", "alice", env=env,
        )  # fmt: skip
        assert asked.returncode == 0, asked.stderr
        assert f"on {monitor.region}" in asked.stdout  # the target is named
        assert f"the running tui-health (pid {os.getpid()}) takes it for {monitor.region}" in asked.stdout
        assert "voice-telephony" not in monitor.engine.silences  # taken at the next poll, not before
        await monitor.poll()
        assert "voice-telephony" in monitor.engine.silences
        added = [e.message for e in monitor.recent if e.event_type == EventType.SILENCE_ADDED]
        assert added and "alice (tui-health silence)" in added[-1] and "carrier ticket 4711" in added[-1]
        listed = await asyncio.to_thread(run_cli, "silence", "list", env=env)
        assert "voice-telephony until" in listed.stdout and "carrier ticket 4711" in listed.stdout
        lifted = await asyncio.to_thread(run_cli, "silence", "rm", "voice-telephony", env=env)
        assert lifted.returncode == 0
        await monitor.poll()
        assert "voice-telephony" not in monitor.engine.silences
        unknown = await asyncio.to_thread(
            run_cli, "silence", "add", "--component", "nope", "--duration", "1h", "--reason", "x", env=env
        )
        assert unknown.returncode == 0
        await monitor.poll()
        assert any("found no component nope" in e.message for e in monitor.recent)
        await monitor.close()


def test_a_silence_for_a_target_nobody_runs_is_said_never_taken_for_done(tmp_path):
    state = tmp_path / "state"
    env = {**CREDS, "GENESYSCLOUD_REGION": "eu-central-1"}
    config = f'[state]\ndir = "{state}"\n'
    add = ("silence", "add", "--component", "x", "--duration", "1h", "--reason", "r")
    nobody = run_cli(*add, env=env, extra_config=config)
    assert nobody.returncode == 0 and "on eu-central-1" in nobody.stdout
    assert "no tui-health runs on this state directory now" in nobody.stdout
    lock = InstanceLock(state).acquire()
    try:
        lock.announce({"0123abcd": "US prod"})  # another config's target runs here
        other = run_cli(*add, env=env, extra_config=config)
    finally:
        lock.release()
    assert other.returncode == 0
    assert (
        f"warning: the running tui-health (pid {os.getpid()}) watches US prod, not eu-central-1"
        in other.stdout
    )


def test_a_silence_needs_a_reason_and_a_duration():
    proc = run_cli("silence", "add", "--component", "x", "--duration", "2h")
    assert proc.returncode == 3 and "--reason" in proc.stderr
    proc = run_cli("silence", "add", "--component", "x", "--duration", "forever", "--reason", "r")
    assert proc.returncode == 3 and "--duration" in proc.stderr


async def test_a_silence_through_a_collectors_api(start_sim, tmp_path, monkeypatch):
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path)
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        await monitor.poll()
        server = CollectorServer([monitor], serve=True, token="serve-token-123").start()
        try:
            env = {"TUI_HEALTH_SERVE_TOKEN": "serve-token-123"}
            refused = await asyncio.to_thread(run_cli, "silence", "list", "--attach", server.url)
            assert refused.returncode == 3 and "TUI_HEALTH_SERVE_TOKEN" in refused.stderr
            added = await asyncio.to_thread(
                run_cli, "silence", "add", "--match", "Web*", "--duration", "30m", "--reason", "vendor ticket 88",
                "--by", "carol", "--attach", server.url, env=env,
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
            assert "web-messaging" in monitor.engine.silences
            listed = await asyncio.to_thread(run_cli, "silence", "list", "--attach", server.url, env=env)
            until = monitor.engine.silences["web-messaging"]
            [line] = [line for line in listed.stdout.splitlines() if "web-messaging" in line]
            # who, why and until when (in the one clock), as the local list says them
            assert f"web-messaging until {zone.date_time(until)}" in line
            assert line.endswith("by carol (attached console): vendor ticket 88"), line
            shown = await asyncio.to_thread(
                run_cli, "silence", "list", "--attach", server.url, "--format", "json", env=env
            )
            [row] = [r for r in json.loads(shown.stdout) if r["component"] == "web-messaging"]
            assert row["note"] == "by carol (attached console): vendor ticket 88"
            assert row["until"] == rfc3339(until)  # machine format: RFC 3339 UTC
        finally:
            server.stop()
        await monitor.close()


# -- reload ---------------------------------------------------------------------------------------------------
def test_sighup_reloads_the_config_and_a_bad_one_keeps_the_running_one(start_sim, tmp_path):
    """A reload that adds the first sink starts delivery (an alert made after it reaches the new receiver);
    a config that does not parse is refused and the running one goes on delivering to that receiver."""
    sim = start_sim("steady")
    config = tmp_path / "config.toml"
    base = (
        f'[genesys]\napi_url = "{sim.url}"\nlogin_url = "{sim.url}"\n[state]\ndir = "{tmp_path / "state"}"\n'
        "[poll]\nmin_gap = 0\n"
    )
    config.write_text(base + "[thresholds]\nflap_interval = 0\nmin_degraded = 2\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_"))},
        **CREDS,
        "TUI_HEALTH_CONFIG": str(config),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "--headless", "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []

    def saw(kind: str) -> bool:
        assert proc.stdout is not None
        while not any(f'"{kind}"' in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                return False
            lines.append(line)
        return True

    try:
        assert saw("monitor_started")
        config.write_text(
            base
            + "[thresholds]\nflap_interval = 0\nmin_degraded = 5\n"
            + '[alerts]\nsinks = [{type = "webhook", url = "'
            + sim.url
            + '/hooks/r"}]\n'
        )
        proc.send_signal(signal.SIGHUP)
        assert saw("config_reloaded")
        reloaded = next(json.loads(line) for line in lines if '"config_reloaded"' in line)
        assert "thresholds" in reloaded["message"] and "sink webhook-" in reloaded["message"]
        sim.state.overrides["chat"] = "down"  # after the reload: only the new sink can tell it
        wait_until(lambda: delivered(sim, "chat", "down", "/hooks/r"), what="the first sink's first alert")
        config.write_text("[poll\ninterval = ")  # not even TOML
        proc.send_signal(signal.SIGHUP)
        assert saw("config_rejected")
        assert proc.poll() is None  # still running on the old config: its sink still delivers
        sim.state.overrides["chat"] = "healthy"
        wait_until(lambda: delivered(sim, "chat", "healthy", "/hooks/r"), what="the kept sink's next alert")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "the config was not reloaded" in err and proc.returncode == 0


def test_a_reload_sends_a_waiting_alert_to_the_sinks_new_url_with_its_new_token(start_sim, tmp_path):
    """A sink's URL and token changed by SIGHUP apply to its next attempt, the row already waiting included:
    tried at once (not after the hour the old receiver asked for), at the new URL, with the new token; the
    audit names what changed, never a value."""
    sim = start_sim("outage")
    sim.state.receivers_down.add("/hooks/old")
    sim.state.receiver_down_status = 503
    sim.state.receiver_retry_after = "3600"  # the old receiver holds the row back an hour
    old_token, new_token = "old-hook-token-0123456789", "new-hook-token-9876543210"
    config = tmp_path / "config.toml"
    base = (
        f'[genesys]\napi_url = "{sim.url}"\nlogin_url = "{sim.url}"\n[state]\ndir = "{tmp_path / "state"}"\n'
        f'[audit]\npath = "{tmp_path / "audit.jsonl"}"\n[thresholds]\nflap_interval = 0\n[alerts]\n'
    )

    def sink(path: str, token: str) -> str:
        return f'sinks = [{{type = "webhook", name = "pager", url = "{sim.url}{path}", token = "{token}"}}]\n'

    config.write_text(base + sink("/hooks/old", old_token))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_"))},
        **CREDS,
        "TUI_HEALTH_CONFIG": str(config),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "--headless", "--interval", "1h"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_until(lambda: any(p["path"] == "/hooks/old" for p in sim.state.posts), what="the old receiver")
        config.write_text(base + sink("/hooks/new", new_token))
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: delivered(sim, "voice-telephony", "down", "/hooks/new"), what="the row delivered")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (arrived,) = [w for w in sim.state.webhooks if w["path"] == "/hooks/new"]
    assert arrived["headers"]["Authorization"] == f"Bearer {new_token}"
    assert [p["path"] for p in sim.state.posts] == ["/hooks/old", "/hooks/new"]  # the row, moved over
    reloaded = [json.loads(line) for line in out.splitlines() if '"config_reloaded"' in line]
    assert len(reloaded) == 1 and "sink pager changed (token, url)" in reloaded[0]["message"]
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"config_reloaded"' in audit
    for secret in (old_token, new_token):
        assert secret not in out + err + audit


async def test_reload_over_http_needs_the_token(start_sim, tmp_path):
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path)
    calls: list[int] = []
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        server = CollectorServer(
            [monitor], serve=True, token="t0k", reload=lambda: calls.append(1) or []
        ).start()
        try:
            async with httpx.AsyncClient(base_url=server.url) as client:
                assert (await client.post("/-/reload")).status_code == 401
                ok = await client.post("/-/reload", headers={"Authorization": "Bearer t0k"})
                assert ok.status_code == 200 and calls == [1]
        finally:
            server.stop()


# -- TLS --------------------------------------------------------------------------------------------------------
async def test_the_collector_serves_https_with_the_configured_certificate(start_sim, tmp_path):
    cert, key = self_signed(tmp_path)
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **{"serve.tls_cert": str(cert), "serve.tls_key": str(key)})
    clock = FakeClock(datetime(2026, 5, 1, 9, 30, tzinfo=UTC))  # the poll is 0 s old when /healthz is asked
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        await monitor.poll()
        server = CollectorServer([monitor], tls=settings.serve.tls()).start()
        try:
            assert server.url.startswith("https://")
            # trusting only the configured certificate: the handshake succeeds only if it is the one served
            async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(cert))) as client:
                health = await client.get(f"{server.url}/healthz")
                assert health.status_code == 200 and health.json()["ok"] is True
                assert health.json()["targets"][0]["last_poll_at"] == "2026-05-01T09:30:00.000Z"
            async with httpx.AsyncClient() as plain:
                with pytest.raises(httpx.HTTPError):
                    await plain.get(server.url.replace("https://", "http://") + "/healthz")
        finally:
            server.stop()


def test_tls_cert_and_key_go_together(tmp_path):
    proc = run_cli("config", "show", extra_config=f'[serve]\ntls_cert = "{tmp_path}/c.pem"\n')
    assert proc.returncode == 3 and "go together" in proc.stderr
