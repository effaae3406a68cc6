"""``--headless`` as a whole process against the simulator: delivery through failures, SIGTERM and restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.conftest import CLIENT_ID, SECRET, delivered, run_cli, wait_until
from tui_health.history.reader import HistoryReader

WEBHOOK_TOKEN = "whk-token-never-print-me"


def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[thresholds]\nflap_interval = 0\n"
        "[poll]\nmin_gap = 0\n"
        "[alerts]\nretry_base = 0.05\nretry_cap = 0.2\nonce_wait = 5\npermanent_after = 0\n"
        f'outbox = "{tmp_path / "outbox.sqlite3"}"\n'
        f'[audit]\npath = "{tmp_path / "audit.jsonl"}"\n'
    )
    return path


def env_for(tmp_path: Path) -> dict[str, str]:
    return {
        "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        "TUI_HEALTH_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "TUI_HEALTH_CONFIG": str(config(tmp_path)),
    }


def args(sim, *extra: str) -> list[str]:
    return [
        "--headless",
        "--api-url",
        sim.url,
        "--login-url",
        sim.url,
        "--interval",
        "0.1",
        "--webhook",
        f"{sim.url}/hooks/ops",
        *extra,
    ]


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_no_secrets(sim, tmp_path: Path, *texts: str) -> None:
    blob = "".join(texts) + (tmp_path / "audit.jsonl").read_text()
    for secret in (SECRET, WEBHOOK_TOKEN, *sim.state.tokens):
        assert secret not in blob


def headless(sim, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``--headless`` as a whole process against ``sim`` (stopped by the test with SIGTERM); ``env``: one made
    by :func:`env_for` whose config the test extended."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    full.update(env or env_for(tmp_path), HOME=str(tmp_path))
    env = full
    return subprocess.Popen(
        [sys.executable, "-m", "tui_health", *args(sim, *extra)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stopped(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_every_alert_arrives_exactly_once_per_idempotency_key(start_sim, tmp_path):
    """The receiver refuses the first six posts; chat goes down and up and voice recovers, each step taken
    once the previous alert arrived: every alert arrives once, in order, with every attempt audited."""
    sim = start_sim("outage", webhook_failures=6)
    running = headless(sim, tmp_path)
    try:
        wait_until(lambda: delivered(sim, "voice-telephony", "down"), what="the outage's alert")
        for component, status in (("chat", "down"), ("chat", "healthy"), ("voice-telephony", "healthy")):
            sim.state.overrides[component] = status
            wait_until(lambda c=component, s=status: delivered(sim, c, s), what=f"{component} {status}")

        def audited_deliveries() -> (
            int
        ):  # the receiver took it; the monitor has heard so too (before we stop)
            text = (tmp_path / "audit.jsonl").read_text() if (tmp_path / "audit.jsonl").exists() else ""
            return text.count('"event_type":"alert_delivered"')

        wait_until(lambda: audited_deliveries() >= len(sim.state.webhooks), what="every delivery audited")
    finally:
        proc = stopped(running)
    assert proc.returncode == 0, proc.stderr
    out = lines(proc.stdout)
    kinds = Counter(e["event_type"] for e in out)
    assert kinds["monitor_started"] == 1 and kinds["monitor_stopped"] == 1
    assert kinds["alert_retrying"] == 6
    keys = Counter(w["headers"]["Idempotency-Key"] for w in sim.state.webhooks)
    assert keys and set(keys.values()) == {1}
    assert kinds["alert_delivered"] == len(keys)
    sent = [log["id"] for w in sim.state.webhooks for log in w["body"]["logs"]]
    changes = [
        e["id"]
        for e in out
        if e["event_type"] in ("component_health_change", "threshold_breach", "threshold_resolved")
    ]
    assert sorted(sent) == sorted(changes)
    assert all(w["headers"]["Authorization"] == f"Bearer {WEBHOOK_TOKEN}" for w in sim.state.webhooks)
    assert out == lines((tmp_path / "audit.jsonl").read_text())  # stdout mirrors the audit log
    assert_no_secrets(sim, tmp_path, proc.stdout, proc.stderr)
    # the history links every alert to its components, its receiver and each attempt, by idempotency key
    reader = HistoryReader(next((tmp_path / "history").glob("*.sqlite3")))
    try:
        alerts = reader.alerts(0, time.time() + 60)
        assert sorted(a.key for a in alerts) == sorted(keys)
        assert all(a.outcome == "delivered" and a.sink for a in alerts)
        attempts = Counter(d.outcome for a in alerts for d in a.deliveries)
        assert attempts == {"retrying": 6, "delivered": len(keys)}
        about_chat = reader.alerts(0, time.time() + 60, "chat")
        assert about_chat and all("chat" in a.components for a in about_chat)
        went = [t.to_status for t in reader.transitions(0, time.time() + 60, ["chat"])]
        assert went[-2:] == ["down", "healthy"]
        assert len(reader.polls()) >= 2 and all(p.ok for p in reader.polls())
    finally:
        reader.close()


def test_sigterm_while_the_receiver_is_down_then_restart_delivers_and_does_not_page_again(
    start_sim, tmp_path
):
    sim = start_sim("outage")
    sim.state.receiver_down = True
    first = headless(sim, tmp_path)
    wait_until(lambda: sim.state.receiver_attempts >= 2 and sim.state.counts["health"] >= 3)
    first.send_signal(signal.SIGTERM)
    out1, err1 = first.communicate(timeout=15)
    assert first.returncode == 0, err1
    events1 = lines(out1)
    assert events1[-1]["event_type"] == "monitor_stopped"
    assert "left in the outbox" in events1[-1]["message"]
    assert sim.state.webhooks == []

    sim.state.receiver_down = False
    proc = run_cli(*args(sim, "--max-polls", "5"), env=env_for(tmp_path))
    assert proc.returncode == 0, proc.stderr
    events2 = lines(proc.stdout)
    assert [
        e["event_type"] for e in events2 if e["event_type"] == "component_health_change"
    ] == []  # no re-page
    batches = [[log["event_type"] for log in w["body"]["logs"]] for w in sim.state.webhooks]
    assert batches == [["component_health_change"] * 3 + ["threshold_breach"]]  # the outage, paged once
    assert "alert_delivered" in [e["event_type"] for e in events2]
    assert_no_secrets(sim, tmp_path, out1, err1, proc.stdout, proc.stderr)


def test_a_restart_sends_the_resolve_of_an_outage_that_ended_while_it_was_down(start_sim, tmp_path):
    sim = start_sim("outage")
    proc = run_cli(*args(sim, "--max-polls", "2"), env=env_for(tmp_path))
    assert proc.returncode == 0, proc.stderr
    sim.state.overrides.update(
        {"voice-telephony": "healthy", "acd-routing": "healthy", "web-messaging": "healthy"}
    )
    proc = run_cli(*args(sim, "--max-polls", "2"), env=env_for(tmp_path))
    assert proc.returncode == 0, proc.stderr
    second = sim.state.webhooks[-1]["body"]["logs"]
    assert sorted((e["component_ids"][0] if e["component_ids"] else "", e["status"]) for e in second) == [
        ("", "resolved"),
        ("acd-routing", "healthy"),
        ("voice-telephony", "healthy"),
        ("web-messaging", "healthy"),
    ]


def test_alertmanager_gets_firing_alerts_resends_and_a_resolve_with_one_start(start_sim, tmp_path):
    """Alertmanager's client rules: re-send while firing with the same labels, startsAt the moment the condition
    began in the first post, every re-send and the resolve; a generatorURL back-link; a resolve that says so."""
    sim = start_sim("outage")
    env = env_for(tmp_path)  # writes the config file, which this test then extends
    cfg = Path(env["TUI_HEALTH_CONFIG"])
    cfg.write_text(
        cfg.read_text().replace("[alerts]\n", "[alerts]\nresend_interval = 0.2\n")
        + f'[[alerts.sinks]]\ntype = "alertmanager"\nurl = "{sim.url}/hooks/am"\n'
    )

    def posts() -> list[list[dict]]:
        return [w["body"] for w in list(sim.state.webhooks) if w["path"] == "/hooks/am/api/v2/alerts"]

    running = headless(sim, tmp_path, "--interval", "0.15", env=env)
    try:
        wait_until(lambda: len(posts()) >= 3, what="the alerts and two re-sends")
        sim.state.overrides["voice-telephony"] = "healthy"
        wait_until(
            lambda: any(
                a["labels"]["component"] == "voice-telephony" and "endsAt" in a for p in posts() for a in p
            ),
            what="voice's resolve",
        )
    finally:
        proc = stopped(running)
    assert proc.returncode == 0, proc.stderr
    sent = posts()
    first = {a["labels"]["component"]: a for a in sent[0]}
    assert set(first) == {"voice-telephony", "acd-routing", "web-messaging", "threshold"}
    assert all("endsAt" not in a and a["labels"]["source"] == "tui-health" for a in first.values())
    assert all(a["generatorURL"] == sim.url for p in sent for a in p)  # back to the watched API
    assert first["voice-telephony"]["annotations"]["description"].startswith(
        "Voice (Telephony) (voice-telephony)"
    )
    resend = {a["labels"]["component"]: a for a in sent[1]}
    assert {k: a["labels"] for k, a in resend.items()} == {k: a["labels"] for k, a in first.items()}
    for post in sent:  # one start per alert, whatever the post
        for alert in post:
            assert alert["startsAt"] == first[alert["labels"]["component"]]["startsAt"], alert
    [resolve] = [
        a for p in sent for a in p if a["labels"]["component"] == "voice-telephony" and "endsAt" in a
    ]
    assert resolve["labels"] == first["voice-telephony"]["labels"]
    assert (
        resolve["annotations"]["status"] == "resolved"
        and "again, was down" in resolve["annotations"]["description"]
    )
    # the outage began before the simulator started (its lastModified), long before it was first seen
    assert resolve["startsAt"] < resolve["endsAt"]


def test_refused_alerts_can_be_inspected_requeued_and_purged(start_sim, tmp_path):
    sim = start_sim("outage")
    env = env_for(tmp_path)
    one_poll = [
        "--headless",
        "--api-url",
        sim.url,
        "--login-url",
        sim.url,
        "--max-polls",
        "1",
        "--webhook",
        f"{sim.url}/refuses",
    ]
    proc = run_cli(*one_poll, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "alert_failed" in proc.stdout
    sink = ("--webhook", f"{sim.url}/refuses")  # the same sink configured: its messages are not orphans
    listed = run_cli("outbox", "list", *sink, env=env)
    assert listed.returncode == 0, listed.stderr
    assert (
        "0 pending, 1 failed" in listed.stdout and "[failed]" in listed.stdout and "HTTP 404" in listed.stdout
    )
    assert "/refuses" not in listed.stdout  # sinks are named, their URLs never printed in full
    assert "1 failed alert(s) queued again" in run_cli("outbox", "requeue-failed", *sink, env=env).stdout
    assert "1 pending, 0 failed" in run_cli("outbox", "list", *sink, env=env).stdout
    proc = run_cli(*one_poll, env=env)
    assert "outbox" not in proc.stderr
    # the requeued alert was tried again on start and refused again; the outage itself is not paged twice
    assert "0 pending, 1 failed" in run_cli("outbox", "list", *sink, env=env).stdout
    assert "1 failed alert(s) removed" in run_cli("outbox", "purge-failed", *sink, env=env).stdout
    assert "0 pending, 0 failed" in run_cli("outbox", "list", *sink, env=env).stdout


def test_orphaned_alerts_are_counted_listed_and_purged_and_never_waited_for(start_sim, tmp_path):
    sim = start_sim("outage")
    env = env_for(tmp_path)
    sim.state.receiver_down = True
    first = run_cli(*args(sim, "--max-polls", "1"), env=env)  # the alert stays in the outbox
    assert first.returncode == 0, first.stderr
    sim.state.receiver_down = False
    # --once with another sink: the old message is an orphan; --once waits for its own alerts only
    once = run_cli(
        "--once", "--api-url", sim.url, "--login-url", sim.url, "--format", "json",
        "--webhook", f"{sim.url}/hooks/other", env=env, timeout=30,
    )  # fmt: skip
    assert once.returncode == 2, once.stderr
    assert once.stderr == ""  # its own alert arrived; nothing to say
    listed = run_cli("outbox", "list", "--webhook", f"{sim.url}/hooks/other", env=env)
    assert "1 for sinks no longer configured" in listed.stdout and "orphaned]" in listed.stdout
    purged = run_cli("outbox", "purge-orphaned", "--webhook", f"{sim.url}/hooks/other", env=env)
    assert "1 alert(s) for sinks no longer configured removed" in purged.stdout


def test_once_prints_one_line_per_alert_that_did_not_arrive(start_sim, tmp_path):
    sim = start_sim("outage")
    proc = run_cli(
        "--once", "--api-url", sim.url, "--login-url", sim.url,
        "--webhook", f"{sim.url}/no-such-hook", "--webhook", "http://127.0.0.1:9/refused",
        env=env_for(tmp_path), timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line]
    assert len(lines) == 2, proc.stderr
    assert any("not delivered (HTTP 404)" in line and "refused for good" in line for line in lines)
    assert any("connection refused" in line and "kept in the outbox" in line for line in lines)


def budget_config(tmp_path: Path) -> Path:
    path = config(tmp_path)
    path.write_text(
        path.read_text().replace(
            "[poll]\nmin_gap = 0\n", "[poll]\nmin_gap = 0\nrequest_budget = 80\ndeadline = 600\n"
        )
    )
    return path


def test_duration_ends_the_run_even_while_a_poll_waits_on_the_request_budget(start_sim, tmp_path):
    """1,000 components in pages of 10 are 102 requests a poll against a budget of 80 a minute: the first poll
    waits a minute for slots (its deadline allows it). ``--duration 2`` still ends the process two seconds in."""
    sim = start_sim("steady", components=1000)
    env = env_for(tmp_path)
    started = time.monotonic()
    proc = run_cli(
        "--headless", "--api-url", sim.url, "--login-url", sim.url, "--page-size", "10", "--no-alerts",
        "--duration", "2", env={**env, "TUI_HEALTH_CONFIG": str(budget_config(tmp_path))}, timeout=120,
    )  # fmt: skip
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    kinds = [e["event_type"] for e in lines(proc.stdout)]
    assert kinds[0] == "monitor_started" and kinds[-1] == "monitor_stopped"
    assert sim.state.counts["health"] < 101  # the poll was cut short, not finished
    assert took < 30, took  # about 2 s and start-up; waiting for the budget would take a minute more
