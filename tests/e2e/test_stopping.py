"""Stopping is prompt in every mode, readers that go away end things quietly, and bad flags are one line."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import CLIENT_ID, SECRET, run_cli, sim_settings

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


def spawn(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    env.update(CREDS, HOME=tempfile.mkdtemp(prefix="tui-health-home-"))
    return subprocess.Popen(
        [sys.executable, "-m", "tui_health", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_until(check, timeout: float = 20.0) -> None:
    ends = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < ends, "timed out waiting"
        time.sleep(0.05)


def hanging(sim) -> bool:
    return any(status == 0 for _, _, status in sim.state.log)  # the hang fault records status 0


def test_sigterm_stops_headless_in_the_middle_of_a_hanging_poll(start_sim):
    sim = start_sim("steady", faults=[{"kind": "hang"}])
    proc = spawn("--headless", "--api-url", sim.url, "--login-url", sim.url, "--no-alerts")
    wait_until(lambda: hanging(sim))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)  # the poll would hang for an hour
    assert proc.returncode == 0, err
    events = [json.loads(line)["event_type"] for line in out.splitlines()]
    assert events[0] == "monitor_started" and events[-1] == "monitor_stopped"
    assert err == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_once_with_unknown_and_one_line(start_sim, sig):
    sim = start_sim("steady", faults=[{"kind": "hang"}])
    proc = spawn("--once", "--api-url", sim.url, "--login-url", sim.url, "--no-alerts")
    wait_until(lambda: hanging(sim))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 3
    assert err.strip().splitlines() == [
        f"tui-health: interrupted ({sig.name}) before the poll finished; nothing was checked"
    ]


def test_headless_ends_quietly_when_its_reader_goes_away(start_sim):
    sim = start_sim("steady")
    proc = spawn("--headless", "--api-url", sim.url, "--login-url", sim.url, "--no-alerts")
    assert proc.stdout is not None
    proc.stdout.close()  # like `| head -0`: nobody reads
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.wait(timeout=15) == 0
    assert err == ""


def test_outbox_list_ends_quietly_when_its_reader_goes_away(tmp_path):
    from tui_health.alerts.outbox import Outbox

    box = Outbox(tmp_path / "outbox.sqlite3")
    for n in range(50):
        box.add("hook", f"k{n}", {"n": n}, f"alert {n}", 0.0)
    box.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[alerts]\noutbox = "{tmp_path / "outbox.sqlite3"}"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "outbox", "list", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    assert proc.wait(timeout=15) == 0
    assert proc.stderr.read() == b""


async def test_ctrl_c_quits_the_console_like_q(start_sim, tmp_path):
    from tui_health.monitor.runtime import open_monitor
    from tui_health.tui.app import HealthApp

    settings = sim_settings(start_sim("steady"), tmp_path)
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        app = HealthApp(monitor, tick=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+c")
            await pilot.pause()
    assert app.return_value == 0


def test_sigterm_quits_the_console_and_restores_the_terminal(start_sim):
    """Through a real pseudo-terminal: the driver leaves the alternate screen and turns mouse tracking off."""
    sim = start_sim("steady")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    env.update(CREDS, HOME=tempfile.mkdtemp(prefix="tui-health-home-"), TERM="xterm-256color")
    env.update(COLUMNS="100", LINES="30")
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "--api-url", sim.url, "--login-url", sim.url, "--no-alerts"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    screen = b""

    def read_some(wait: float) -> bool:
        nonlocal screen
        ready, _, _ = select.select([controller], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            return False
        screen += chunk
        return bool(chunk)

    ends = time.monotonic() + 30
    while b"healthy" not in screen and time.monotonic() < ends and read_some(0.2):
        pass
    assert b"\x1b[?1049h" in screen, screen[-500:]
    proc.send_signal(signal.SIGTERM)
    ends = time.monotonic() + 15
    while proc.poll() is None and time.monotonic() < ends:
        read_some(0.1)
    while read_some(0.1):
        pass
    os.close(controller)
    assert proc.wait(timeout=5) == 0
    tail = screen[screen.rindex(b"\x1b[?1049h") :]
    assert b"\x1b[?1049l" in tail and b"\x1b[?1000l" in tail


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--format", "json"), "--format goes with --once"),
        (("--max-polls", "3"), "--max-polls goes with --headless"),
        (("--duration", "5"), "--duration goes with --headless"),
        (("--scenario", "steady"), "--scenario goes with --demo"),
        (("--headless", "--max-polls", "0"), "--max-polls must be at least 1"),
        (("--headless", "--max-polls", "-2"), "--max-polls must be at least 1"),
        (("--headless", "--duration", "-1"), "--duration must be a positive number"),
        (("--headless", "--duration", "inf"), "--duration must be a positive number"),
        (("simulate", "--port", "70000"), "--port must be 0-65535"),
        (("simulate", "--components", "0"), "--components must be 1-100000"),
        (("--once", "--interval", "inf"), "poll.interval"),
        (("--once", "--interval", "nan"), "poll.interval"),
        (("--once", "--page-size", "0"), "poll.page_size"),
        (("--once", "--interval", "soon"), "argument --interval: 'soon' is not a number of seconds"),
        (("--once", "--format", "xml"), "invalid choice"),
        (("--demo", "--fault", "meteor"), "--fault 'meteor'"),
    ],
)
def test_bad_flags_are_one_clear_line_and_exit_3(args, needle):
    proc = run_cli(*args, timeout=20)  # a console opened by surprise would hang here
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tui-health: ") and needle in lines[0], proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_bytes(b'[genesys]\nregion = "eu-central-1\xff"\n')
    proc = run_cli("--once", "--config", str(config))
    assert proc.returncode == 3
    assert (
        proc.stderr.strip()
        == f"tui-health: {config}: not UTF-8 text (byte 32 is 0xff): save the file as UTF-8"
    )


def test_the_demo_removes_its_scratch_directory_when_stopped_in_a_hanging_poll(tmp_path: Path) -> None:
    """--demo keeps its files in a scratch directory; a stop in the middle of a poll that hangs still ends the
    run cleanly and leaves nothing behind. (SIGHUP reloads a --headless run's config: SIGTERM is its stop.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "--demo", "--headless", "--fault", "hang@health"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_until(lambda: bool(list(tmp_path.glob("tui-health-demo-*/audit.jsonl"))))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)  # the hanging poll would take the whole deadline
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["event_type"] == "monitor_stopped"
    assert list(tmp_path.glob("tui-health-demo-*")) == []
