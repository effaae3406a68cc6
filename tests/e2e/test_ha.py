"""HA pairs page once: two instances watching one target derive every receiver's key from the event itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import CLIENT_ID, SECRET, wait_until


def instance(sim, directory: Path) -> subprocess.Popen[str]:
    directory.mkdir()
    config = directory / "config.toml"
    config.write_text(
        "[thresholds]\nflap_interval = 0\n[poll]\nmin_gap = 0\ninterval = 0.25\n"
        f'[state]\ndir = "{directory}"\n[audit]\npath = "{directory / "audit.jsonl"}"\n'
        "[alerts]\nretry_base = 0.05\nretry_cap = 0.2\nonce_wait = 5\n"
        f'[[alerts.sinks]]\ntype = "webhook"\nurl = "{sim.url}/hooks/web"\none_per_event = true\n'
        f'[[alerts.sinks]]\ntype = "pagerduty"\nrouting_key = "hakey0123456789hakey0123456789ab"\nurl = "{sim.url}/hooks/pd"\n'
        f'[[alerts.sinks]]\ntype = "alertmanager"\nurl = "{sim.url}/hooks/am"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    env.update(
        GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
        TUI_HEALTH_CONFIG=str(config),
        HOME=str(directory),
    )
    args = ["--headless", "--api-url", sim.url, "--login-url", sim.url]
    return subprocess.Popen(
        [sys.executable, "-m", "tui_health", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_instances_send_the_same_keys_to_one_receiver(start_sim, tmp_path: Path) -> None:
    sim = start_sim("outage")
    pair = [instance(sim, tmp_path / "a"), instance(sim, tmp_path / "b")]  # separate state, outbox, history

    def sent(component: str, status: str) -> int:
        """How many instances told the webhook that ``component`` is ``status``."""
        return sum(
            1
            for hook in list(sim.state.webhooks)
            if hook["path"] == "/hooks/web"
            for log in hook["body"]["logs"]
            if log["component_ids"] == [component] and log["status"] == status
        )

    try:
        wait_until(lambda: sent("voice-telephony", "down") == 2, what="both instances' first alerts")
        for status in ("down", "healthy"):  # chat goes down, then up: each step once both have told it
            sim.state.overrides["chat"] = status
            wait_until(lambda s=status: sent("chat", s) == 2, what=f"chat {status} from both")
        # PagerDuty has had the same from both (each sink delivers in its own order): per instance three
        # triggers of the outage, the threshold's, and chat's trigger and resolve
        wait_until(lambda: len([h for h in list(sim.state.webhooks) if h["path"] == "/hooks/pd"]) == 12)
    finally:
        for proc in pair:
            proc.send_signal(signal.SIGTERM)
        for proc in pair:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
    by_path: dict[str, list[dict]] = {}
    for hook in sim.state.webhooks:
        by_path.setdefault(hook["path"].split("/")[2], []).append(hook)
    # webhook: every Idempotency-Key arrives exactly twice, once from each instance (a receiver keeps one)
    keys = Counter(h["headers"]["Idempotency-Key"] for h in by_path["web"])
    assert keys and set(keys.values()) == {2}, keys
    kinds = Counter(log["event_type"] for h in by_path["web"] for log in h["body"]["logs"])
    assert kinds["component_health_change"] == 2 * (3 + 2)  # the outage's three, chat down and up; from each
    # every log entry carries its key: the same for both instances' copies of an event
    assert all(log["key"] for h in by_path["web"] for log in h["body"]["logs"])
    # PagerDuty: the same dedup_key for the same component from both, each action sent by both
    actions = Counter((h["body"]["dedup_key"], h["body"]["event_action"]) for h in by_path["pd"])
    assert actions and all(count == 2 for count in actions.values()), actions
    keys = {key for key, _ in actions}
    assert all(re.fullmatch(r"tui-health/[0-9a-f]{16}/[a-z-]+", key) for key in keys), keys
    assert {key.rsplit("/", 1)[1] for key in keys} == {
        "voice-telephony",
        "acd-routing",
        "web-messaging",
        "chat",
        "threshold",
    }
    assert {action for key, action in actions if key.endswith("/chat")} == {"trigger", "resolve"}
    # Alertmanager: labels hold nothing of the instance, so both instances' alerts are the same alerts
    labels = {tuple(sorted(a["labels"].items())) for h in by_path["am"] for a in h["body"]}
    assert len(labels) == len(
        {(dict(ls)["alertname"], dict(ls)["component"], dict(ls)["severity"]) for ls in labels}
    )


def test_an_event_key_follows_the_event_not_the_instance() -> None:
    from datetime import UTC, datetime, timedelta

    from tui_health.model.domain import AuditEvent, Component, Status
    from tui_health.monitor.snapshot_events import with_key

    changed = datetime(2026, 5, 4, 9, 58, tzinfo=UTC)
    comps = {"voice": Component("voice", "Voice", Status.DOWN, last_modified=changed)}

    def seen_by_an_instance(at: datetime, ident: str) -> AuditEvent:
        return AuditEvent(
            at, "component_health_change", ("voice",), "down", message="Voice is down", id=ident
        )

    a = with_key(seen_by_an_instance(changed + timedelta(seconds=3), "uuid-a"), comps, "target-1")
    b = with_key(seen_by_an_instance(changed + timedelta(seconds=11), "uuid-b"), comps, "target-1")
    assert a.key and a.key == b.key  # polled at other moments, other ids: the same event
    assert with_key(seen_by_an_instance(changed, "x"), comps, "target-2").key != a.key  # another target
    later = {"voice": Component("voice", "Voice", Status.DOWN, last_modified=changed + timedelta(hours=1))}
    assert with_key(seen_by_an_instance(changed, "x"), later, "target-1").key != a.key  # a new outage
    # without a source transition time the instance's own time is all there is
    probe = {"voice": Component("voice", "Voice", Status.DOWN)}
    c = with_key(seen_by_an_instance(changed, "c"), probe, "target-1")
    d = with_key(seen_by_an_instance(changed + timedelta(seconds=5), "d"), probe, "target-1")
    assert c.key != d.key
    # a threshold resolved names no component: it follows the latest source change of all of them
    resolved = [
        with_key(
            AuditEvent(changed + timedelta(seconds=s), "threshold_resolved", (), "resolved", id=i), comps, "t"
        )
        for s, i in ((2, "a"), (9, "b"))
    ]
    assert resolved[0].key == resolved[1].key
    # events receivers are not told about get no key
    started = AuditEvent(changed, "monitor_started", message="monitoring")
    assert with_key(started, comps, "target-1").key is None
