"""Terminal output is inert and secrets are masked everywhere: --once (every format), stderr, --headless, the
audit log, receivers and the console."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import CLIENT_ID, SECRET, run_cli, sim_settings
from tests.tui_helpers import console_after_first_poll
from tui_health.genesys.transport import error_detail
from tui_health.support.text import clean, clean_data

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
UNSAFE = ("\x1b", "\r", "\b", "\u202e")


def assert_inert(*texts: str) -> None:
    for text in texts:
        for char in UNSAFE:
            assert char not in text, (char, text[:300])


def test_clean_strips_controls_and_reordering_and_bounds_length():
    assert clean("Voice\x1b[2J\x1b[31mX\r\bY\u202eZ\u2066\n") == "Voice[2J[31mX YZ "
    assert clean("x" * 600).endswith("…") and len(clean("x" * 600)) == 500
    assert clean_data({"a": ["\x1bq", float("nan")], "b": {"c": 1.5}}) == {"a": ["q", None], "b": {"c": 1.5}}


def test_server_error_messages_are_cleaned():
    response = httpx.Response(503, json={"message": "down\x1b]0;owned\x07 now\r\nreally", "code": "x\x1b"})
    assert error_detail(response) == "down]0;owned now  really [x]"


@pytest.mark.parametrize("fmt", ["table", "json", "nagios"])
@pytest.mark.parametrize("target", ["health", "statuspage"])
def test_escape_sequences_in_names_never_reach_the_terminal(start_sim, fmt, target):
    sim = start_sim("outage", faults=[{"kind": "escape-names", "target": target, "arg": "1"}])  # every name
    source = "health-api" if target == "health" else "statuspage"
    proc = run_cli(
        "--once", "--source", source, "--api-url", sim.url, "--login-url", sim.url,
        "--statuspage-url", sim.url, "--format", fmt, env=CREDS,
    )  # fmt: skip
    assert proc.returncode in (1, 2), proc.stderr
    assert_inert(proc.stdout, proc.stderr)
    assert "PWNED" in proc.stdout  # the text is kept, only made inert (Nagios: in the problem lines)
    if fmt == "nagios":  # a status line with perfdata, then one line per problem component: no injected lines
        first, *problems = proc.stdout.splitlines()
        assert " | components=" in first
        assert all(line.startswith(("DOWN: ", "DEGRADED: ", "UNKNOWN: ")) for line in problems)
    if fmt == "json":
        assert "\\u001b" not in proc.stdout and "\\u202e" not in proc.stdout.lower()


def test_escape_sequences_never_reach_the_console(start_sim, tmp_path):
    sim = start_sim("outage", faults=[{"kind": "escape-names"}])
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    names = console_after_first_poll(
        settings, tmp_path / "none.toml", lambda app: [c.name for c in app.state.components]
    )
    assert any("PWNED" in name for name in names)
    assert_inert(*names)


def test_a_login_host_that_echoes_the_secret_is_masked_everywhere(start_sim, tmp_path):
    sim = start_sim("steady", faults=[{"kind": "echo-secret", "target": "token"}])
    outputs = []
    for fmt in ("table", "json", "nagios"):
        proc = run_cli("--once", "--api-url", sim.url, "--login-url", sim.url, "--format", fmt, env=CREDS)
        assert proc.returncode == 3
        assert "***" in proc.stdout + proc.stderr  # the error is shown, the secret is not
        outputs += [proc.stdout, proc.stderr]
    audit = tmp_path / "audit.jsonl"
    headless = run_cli(
        "--headless", "--max-polls", "1", "--api-url", sim.url, "--login-url", sim.url,
        "--audit-log", str(audit), env=CREDS,
    )  # fmt: skip
    outputs += [headless.stdout, headless.stderr, audit.read_text()]
    assert "with secret ***" in headless.stdout
    for text in outputs:
        assert SECRET not in text


def test_a_token_echoed_in_a_component_name_is_masked_in_alerts_and_outputs(start_sim, tmp_path):
    sim = start_sim("steady", faults=[{"kind": "echo-secret", "target": "health"}])
    audit = tmp_path / "audit.jsonl"
    proc = run_cli(
        "--headless", "--max-polls", "1", "--api-url", sim.url, "--login-url", sim.url,
        "--audit-log", str(audit), "--webhook", f"{sim.url}/hooks/ops", env=CREDS,
        extra_config="[alerts]\nonce_wait = 5\n",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    [token] = list(sim.state.tokens)
    bodies = json.dumps([w["body"] for w in sim.state.webhooks])
    assert "seen with token ***" in bodies
    for text in (bodies, proc.stdout, proc.stderr, audit.read_text()):
        assert token not in text


def test_a_token_with_a_newline_is_refused_without_echoing_it(start_sim):
    sim = start_sim("steady", faults=[{"kind": "token-newline", "target": "token"}])
    proc = run_cli("--once", "--api-url", sim.url, "--login-url", sim.url, "--format", "json", env=CREDS)
    assert proc.returncode == 3
    assert "without a usable access_token" in proc.stderr
    assert "tok-a1b2c3d4" not in proc.stdout + proc.stderr and "X-Injected" not in proc.stdout + proc.stderr


def test_a_hostile_audit_file_is_read_at_start_without_harm(start_sim, tmp_path: Path):
    audit = tmp_path / "audit.jsonl"
    lines = [
        {"timestamp": "0001-01-01T00:00:00+14:00", "event_type": "poll_failed", "message": "overflow"},
        {"timestamp": "9999-12-31T23:59:59-14:00", "event_type": "poll_failed", "message": "overflow"},
        {
            "timestamp": "2026-01-01T00:00:00Z",
            "event_type": "poll_failed",
            "message": "bad\x1b[31m\r\u202eline",
        },
        {"timestamp": "2026-01-01T00:00:01Z", "event_type": "x", "latency_ms": "NaN", "message": "ok"},
    ]
    audit.write_text("\n".join(json.dumps(line) for line in lines) + '\n{"torn": \n' + "[" * 5_000 + "\n")
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "audit.path": str(audit)})
    messages = console_after_first_poll(
        settings, tmp_path / "none.toml", lambda app: [e.message for e in app.monitor.audit.tail(60)]
    )
    assert "bad[31m line" in messages and "ok" in messages and "overflow" not in messages


def test_the_fast_path_never_lets_an_unsafe_character_through():
    """clean() skips the regex for printable text: every character it strips must be non-printable."""
    from tui_health.support.text import _UNSAFE

    assert [hex(c) for c in range(0x110000) if _UNSAFE.match(chr(c)) and chr(c).isprintable()] == []
