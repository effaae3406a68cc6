"""What an operator installs: the systemd unit is one systemd accepts, and the command it runs is one tui-health
accepts."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from tests.promtool import tool
from tui_health.cli import build_parser, check_modes

UNIT = Path(__file__).parent.parent / "packaging" / "systemd" / "tui-health.service"


def exec_start() -> list[str]:
    [line] = [line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` (with the program path pointed at this checkout's, which it checks exists)."""
    analyze = tool("systemd-analyze", "systemd")
    program = Path(sys.executable).with_name("tui-health")
    unit = tmp_path / "tui-health.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/tui-health", str(program)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "tui-health.service" not in done.stderr, done.stderr


def test_the_unit_runs_headless_with_a_command_line_tui_health_accepts() -> None:
    program, *args = exec_start()
    assert program == "/usr/local/bin/tui-health"
    parsed = build_parser().parse_args(args)
    check_modes(parsed)  # raises on a mode flag without its mode
    assert parsed.headless and parsed.metrics_listen.startswith("127.0.0.1:")
    text = UNIT.read_text()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text  # SIGHUP: a clean stop, restarted by systemd
    assert "Restart=on-failure" in text and "NoNewPrivileges=yes" in text
