"""The machine's own trouble over the real process: a locked store, a full or sick disk, a deleted state
directory, signals. None of it loses or delays an alert, and none of it ends in a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import CLIENT_ID, SECRET, wait_until

LOCKER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(600)
"""


def config(tmp_path: Path, sim, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[state]\ndir = "{tmp_path}"\n[audit]\npath = "{tmp_path / "audit.jsonl"}"\n'
        "[thresholds]\nflap_interval = 0\n[poll]\nmin_gap = 0\ninterval = 0.1\n"
        "[alerts]\nretry_base = 0.05\nretry_cap = 0.2\n"
        f'[[alerts.sinks]]\ntype = "webhook"\nurl = "{sim.url}/hooks/faults"\n{extra}'
    )
    return path


def headless(sim, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    full.update(
        GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
        TUI_HEALTH_CONFIG=str(tmp_path / "config.toml"),
        HOME=str(tmp_path),
        **(env or {}),
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_health",
            "--headless",
            "--api-url",
            sim.url,
            "--login-url",
            sim.url,
            *extra,
        ],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, list[dict], str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=90)
    return proc.returncode, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_sigterm_while_the_history_store_is_locked_ends_cleanly_and_says_what_was_not_written(
    start_sim, tmp_path: Path
) -> None:
    sim = start_sim("steady")
    config(tmp_path, sim)
    proc = headless(sim, tmp_path)
    locker = None
    try:
        wait_until(lambda: sim.state.counts["health"] >= 3, what="the first polls")
        store = next((tmp_path / "history").glob("*.sqlite3"))
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(store)], stdout=subprocess.PIPE, text=True
        )
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        polls = sim.state.counts["health"]
        wait_until(lambda: sim.state.counts["health"] >= polls + 5, what="polls while the store is locked")
        code, events, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        if locker is not None:
            locker.kill()
            locker.wait()
    assert code == 0, (code, err)  # not -11: no connection was closed under the writer's thread
    kinds = [e["event_type"] for e in events]
    assert kinds[-1] in ("monitor_stopped", "storage_failed") and "monitor_stopped" in kinds
    lost = [e for e in events if e["event_type"] == "storage_failed" and e.get("source") == "history store"]
    assert any("history record(s) were not written at stop" in e["message"] for e in lost), lost
    assert "Traceback" not in err and "Segmentation" not in err
