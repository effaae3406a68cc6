"""Many targets in one monitor: [[targets]] each with its own credentials, token, state, outbox and history."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import run_cli
from tui_health.monitor.runtime import open_monitors
from tui_health.serve.http import CollectorServer
from tui_health.settings.config import load_settings
from tui_health.settings.target import targets_from
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ConfigError

CREDS = {
    "EMEA_ID": "emea-client",
    "EMEA_SECRET": "emea-secret-never-shown",
    "US_ID": "us-client",
    "US_SECRET": "us-s3cret",
}


def two_targets(a_url: str, b_url: str, tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[state]\ndir = "{tmp_path}"\n[audit]\npath = "{tmp_path / "audit.jsonl"}"\n'
        "[thresholds]\nflap_interval = 0\n[poll]\nmin_gap = 0\ninterval = 0.2\ndeadline = 1.5\nmax_attempts = 20\n"
        f"{extra}"
        f'[[targets]]\nname = "emea-prod"\napi_url = "{a_url}"\nlogin_url = "{a_url}"\nsources = ["health-api"]\n'
        'client_id_env = "EMEA_ID"\nclient_secret_env = "EMEA_SECRET"\n'
        f'[[targets]]\nname = "us-prod"\napi_url = "{b_url}"\nlogin_url = "{b_url}"\nsources = ["health-api"]\n'
        'client_id_env = "US_ID"\nclient_secret_env = "US_SECRET"\n'
    )
    return config


def test_each_target_has_its_own_settings_credentials_and_files(tmp_path: Path) -> None:
    config = two_targets("http://127.0.0.1:1", "http://127.0.0.1:2", tmp_path)
    settings = load_settings(path=config, env=CREDS)
    emea, us = targets_from(settings, CREDS)
    assert (emea.name, us.name) == ("emea-prod", "us-prod") and emea.key != us.key
    assert emea.settings and us.settings
    assert emea.settings.auth.client_id == "emea-client" and us.settings.auth.client_id == "us-client"
    assert emea.settings.outbox_path != us.settings.outbox_path  # each delivers its own alerts
    assert emea.settings.history_path(emea.key) != us.settings.history_path(us.key)
    assert emea.settings.state_dir == us.settings.state_dir == tmp_path  # one lock, one saved-state file
    assert [t.name for t in targets_from(settings, CREDS, ["US-PROD"])] == ["us-prod"]
    with pytest.raises(ConfigError, match="'asia' is not a configured target"):
        targets_from(settings, CREDS, ["asia"])
    with pytest.raises(ConfigError, match="target 'us-prod': US_SECRET is not set"):
        targets_from(settings, {k: v for k, v in CREDS.items() if k != "US_SECRET"})
    twice = tmp_path / "twice.toml"
    twice.write_text('[[targets]]\nname = "a"\n[[targets]]\nname = "A"\n')
    with pytest.raises(ConfigError, match="two targets are named"):
        load_settings(path=twice, env={})
    bad = tmp_path / "bad.toml"
    bad.write_text('[[targets]]\nname = "x"\nregion = "mars-north-1"\n')
    with pytest.raises(ConfigError, match="target 'x'"):
        targets_from(load_settings(path=bad, env={}), {})


def test_once_reports_every_target_and_exits_with_the_worst(start_sim, tmp_path: Path) -> None:
    healthy, broken = start_sim("steady"), start_sim("outage")
    config = two_targets(healthy.url, broken.url, tmp_path, "[alerts]\nenabled = false\n")
    env = {**CREDS, "TUI_HEALTH_CONFIG": str(config)}
    proc = run_cli("--once", "--format", "json", env=env)
    assert proc.returncode == 2, proc.stderr  # CRITICAL: us-prod's outage
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == 2 and [t["exit_code"] for t in doc["targets"]] == [0, 2]
    assert all(len(t["components"]) == 40 for t in doc["targets"])
    only = run_cli("--once", "--format", "json", "--target", "emea-prod", env=env)
    assert only.returncode == 0 and "targets" not in json.loads(only.stdout)  # one target: the usual document
    for document, url in zip(doc["targets"], (healthy.url, broken.url), strict=True):
        host = url.split("://", 1)[1]
        assert document["target"]["host"] == host and len(document["target"]["key"]) == 16
    assert [t["target"]["name"] for t in doc["targets"]] == ["emea-prod", "us-prod"]
    table = run_cli("--once", env=env)
    for name, url in (("emea-prod", healthy.url), ("us-prod", broken.url)):
        assert f"== {name} ({url.split('://', 1)[1]}) ==" in table.stdout
    nagios = run_cli("--once", "--format", "nagios", env=env)
    first = nagios.stdout.splitlines()[0]
    assert (
        first.startswith("HEALTH CRITICAL - emea-prod: ")
        and "us-prod: 1 down" in first
        and "us-prod.down=1" in first
    )
    for out in (proc, table, nagios):
        assert (
            CREDS["EMEA_SECRET"] not in out.stdout + out.stderr
            and CREDS["US_SECRET"] not in out.stdout + out.stderr
        )
    history = run_cli("history", env=env)
    assert history.returncode == 3 and "pick one with --target" in history.stderr


async def test_two_targets_on_the_same_hosts_keep_their_own_state_history_and_outbox(
    start_sim, tmp_path: Path, monkeypatch
) -> None:
    sim = start_sim("outage")
    config = two_targets(
        sim.url, sim.url, tmp_path, f'[[alerts.sinks]]\ntype = "webhook"\nurl = "{sim.url}/hooks/x"\n'
    )
    for name, value in CREDS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(path=config, env=CREDS)
    async with open_monitors(settings, config_path=config) as (emea, us):
        assert emea.target is not None and us.target is not None
        assert emea.target.key != us.target.key
        assert emea.outbox is not None and us.outbox is not None and emea.outbox.path != us.outbox.path
        assert emea.history is not None and us.history is not None and emea.history.path != us.history.path
        for monitor in (emea, us):
            await monitor.poll()
        emea.silence("chat", 3600)
        assert "chat" in emea.engine.silences and "chat" not in us.engine.silences
        for monitor in (emea, us):
            await monitor.close()  # never started: its alerts are stored for the next start, not sent
    async with open_monitors(settings, config_path=config) as (emea, us):  # restored, each its own
        assert "chat" in emea.engine.silences and "chat" not in us.engine.silences
        assert emea.outbox is not None and us.outbox is not None
        assert emea.outbox.pending_count() > 0 and us.outbox.pending_count() > 0  # each queued its own alerts
        assert {r.sink for r in emea.outbox.pending()} == {r.sink for r in us.outbox.pending()}
        assert all(r.key not in {u.key for u in us.outbox.pending()} for r in emea.outbox.pending())


def test_an_outage_beside_an_unreachable_target_is_critical_and_names_are_made_safe(
    start_sim, tmp_path: Path
) -> None:
    """CRITICAL outranks UNKNOWN; names with ``|``, ``=``, quotes or spaces cannot break the Nagios line."""
    import socket

    broken = start_sim("outage", entity_overrides={"voice-telephony": {"name": "Voice|Tel = 'a'\nb"}})
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{free.getsockname()[1]}"  # nothing listens here once it is closed
    config = two_targets(broken.url, nowhere, tmp_path, "[alerts]\nenabled = false\n")
    config.write_text(config.read_text().replace('name = "emea-prod"', 'name = "EU Prod"'))
    env = {**CREDS, "TUI_HEALTH_CONFIG": str(config)}
    nagios = run_cli("--once", "--format", "nagios", env=env)
    assert nagios.returncode == 2, nagios.stderr
    first, *details = nagios.stdout.splitlines()
    assert first.startswith("HEALTH CRITICAL - EU Prod: ") and "us-prod: " in first
    _, perf = first.split(" | ")  # exactly one separator: no name added another
    assert " 'EU Prod.down'=1;0;0;0;40 " in f" {perf} "  # quoted, as the guidelines want a label with spaces
    assert (
        " us-prod.down=" not in f" {perf}" and " us-prod.poll_time=" in f" {perf}"
    )  # nothing measured: no zeros
    assert "|" not in "".join(details) and any("Voice/Tel = 'a' b" in line for line in details)
    assert all(line.startswith(("EU Prod: ", "us-prod: ")) for line in details)
    document = json.loads(run_cli("--once", "--format", "json", env=env).stdout)
    assert document["exit_code"] == 2 and [t["exit_code"] for t in document["targets"]] == [2, 3]


async def test_a_hanging_target_never_delays_another(start_sim, tmp_path: Path, monkeypatch) -> None:
    calm = start_sim("steady")
    stuck = start_sim("steady", faults=[{"kind": "hang"}])  # takes the request, never answers
    config = two_targets(calm.url, stuck.url, tmp_path, "[alerts]\nenabled = false\n")
    config.write_text(config.read_text().replace("deadline = 1.5", "deadline = 300"))
    for name, value in CREDS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(path=config, env=CREDS)
    async with open_monitors(settings, config_path=config) as (emea, us):
        stop = asyncio.Event()
        running = asyncio.gather(*(m.run(stop) for m in (emea, us)))
        for _ in range(1200):  # until emea has polled five times (each 0.2 s apart), however busy the machine
            if emea.tracker.polls >= 5:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await running
    # us-prod's first poll is still waiting for its answer (its deadline is minutes away): had emea-prod waited
    # for it, emea-prod would have polled once at most
    assert emea.tracker.polls >= 5 and us.tracker.polls == 0, (emea.tracker.polls, us.tracker.polls)
    assert stuck.state.counts["health"] >= 1  # it was asked


async def test_alerts_and_metrics_name_their_target(start_sim, tmp_path: Path, monkeypatch) -> None:
    calm = start_sim("outage")
    stormy = start_sim("steady", faults=[{"kind": "error_json"}])  # every request a 503
    config = two_targets(
        calm.url,
        stormy.url,
        tmp_path,
        f'[alerts]\nretry_base = 0.05\n[[alerts.sinks]]\ntype = "webhook"\nurl = "{calm.url}/hooks/both"\n',
    )
    for name, value in CREDS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(path=config, env=CREDS)
    async with open_monitors(settings, config_path=config) as monitors:
        emea = monitors[0]
        server = CollectorServer(monitors).start()
        try:
            await asyncio.gather(*(m.start() for m in monitors))
            await asyncio.gather(*(m.poll() for m in monitors))  # us-prod's ends at its 1.5 s deadline
            assert emea.dispatcher is not None and await emea.dispatcher.drain(30)
            text = httpx.get(f"{server.url}/metrics").text
        finally:
            server.stop()
            await asyncio.gather(*(m.close() for m in monitors))
    logs = [log for hook in calm.state.webhooks for log in hook["body"]["logs"]]
    assert logs and {log["target"]["name"] for log in logs} == {"emea-prod"}  # us-prod's receiver got nothing
    series = {
        (s.labels.get("target"), s.labels.get("component"), s.value)
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "tui_health_component_status"
    }
    assert ("emea-prod", "voice-telephony", 4) in series
    assert not any(target == "us-prod" for target, _, _ in series)  # it never answered: no component series
    errors = [
        s
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "tui_health_poll_errors_total"
    ]
    assert errors and all(s.labels["target"] == "us-prod" for s in errors)


def test_a_status_page_watched_by_several_targets_is_fetched_once_per_poll(start_sim, tmp_path: Path) -> None:
    page = start_sim("outage")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[state]\ndir = "{tmp_path}"\n[alerts]\nenabled = false\n'
        f'[[targets]]\nname = "americas"\nregion = "us-east-1"\nstatuspage_url = "{page.url}"\nsources = ["statuspage"]\n'
        f'[[targets]]\nname = "emea"\nregion = "eu-central-1"\nstatuspage_url = "{page.url}"\nsources = ["statuspage"]\n'
    )
    proc = run_cli("--once", "--format", "json", env={"TUI_HEALTH_CONFIG": str(config)})
    assert proc.returncode in (0, 1, 2), proc.stderr
    doc = json.loads(proc.stdout)
    americas, emea = doc["targets"]
    assert page.state.counts["statuspage"] == 1  # one download for both targets
    # each target still sees its own region's part of the page
    assert {c.get("group") for c in americas["components"]} - {None} == {"Americas (US East)"}
    assert {c.get("group") for c in emea["components"]} - {None} == {"EMEA (Frankfurt)"}


async def test_shared_fetches_share_answers_and_failures_and_cancel_only_the_waiter(monkeypatch) -> None:
    """Driven step by step: each download waits for a gate the test opens, and the age of an answer is read
    from a FakeClock (no timeline of sleeps)."""
    from tui_health.sources import shared as shared_module

    clock = FakeClock()
    monkeypatch.setattr(shared_module, "time", SimpleNamespace(monotonic=clock.monotonic))
    shared = shared_module.SharedFetches(max_age=2.0)
    calls = 0
    gate = asyncio.Event()

    async def download() -> str:
        nonlocal calls
        calls += 1
        await gate.wait()
        return f"page {calls}"

    async def until(condition: Callable[[], bool], what: str) -> None:
        for _ in range(1000):  # a bound on turns of the loop, not on time
            if condition():
                return
            await asyncio.sleep(0)
        raise AssertionError(f"{what}: not reached in 1000 turns of the loop")

    # a download still in flight is awaited, not repeated
    first, second = (asyncio.ensure_future(shared.get("u", download)) for _ in range(2))
    await until(lambda: calls == 1, "the download started")
    assert not first.done() and not second.done()
    gate.set()
    assert await asyncio.gather(first, second) == [("page 1", False), ("page 1", True)] and calls == 1
    clock.advance(2.0)  # max_age old: still shared
    assert await shared.get("u", download) == ("page 1", True)
    clock.advance(0.5)  # older than max_age: fetched again
    assert await shared.get("u", download) == ("page 2", False)

    async def broken() -> str:
        raise ConfigError("the page is down")

    with pytest.raises(ConfigError):
        await shared.get("v", broken)
    with pytest.raises(ConfigError):  # the same failure, shared (not fetched again)
        await shared.get("v", download)
    assert calls == 2
    # a waiter cancelled by its own deadline leaves the download to the others
    gate.clear()
    first, second = (asyncio.ensure_future(shared.get("w", download)) for _ in range(2))
    await until(lambda: calls == 3, "the download started")
    second.cancel()
    await until(second.done, "the waiter cancelled")
    assert second.cancelled() and not first.done()
    gate.set()
    assert await first == ("page 3", False) and calls == 3
    # the poll that started a download cancelled: its download goes with it, and a waiter is not cancelled
    # but downloads for itself
    gate.clear()
    first, second = (asyncio.ensure_future(shared.get("x", download)) for _ in range(2))
    await until(lambda: calls == 4, "the download started")
    first.cancel()
    await until(lambda: calls == 5, "the waiter downloads for itself")
    assert first.cancelled() and not second.done()
    gate.set()
    assert await second == ("page 5", False)
