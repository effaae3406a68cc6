"""Shared fixtures: a simulator on 127.0.0.1 per test, settings pointing at it, a recording sleep."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from tui_health.settings.config import Settings, load_settings
from tui_health.simulator import Scenario, SimulatorServer, load_scenario

# Read before _isolate() removes every TUI_HEALTH_* variable: CI (.ci/run sets TUI_HEALTH_REQUIRE_TOOLS=1; hosted
# runners set CI) runs the property tests derandomised, so a red build is the same red on every rerun, with the
# blob to reproduce it. xdist's workers start after the variables are gone: pytest_configure_node hands them the
# answer.
_CI = bool(os.environ.get("CI") or os.environ.get("TUI_HEALTH_REQUIRE_TOOLS"))
REQUIRE_TOOLS = [bool(os.environ.get("TUI_HEALTH_REQUIRE_TOOLS"))]
"""Whether a missing outside tool (promtool, systemd-analyze, openssl) fails instead of skipping (CI sets it)."""
hypothesis_settings.register_profile(
    "tui-health-ci", derandomize=True, print_blob=True, deadline=None, database=None
)


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        REQUIRE_TOOLS[0] = bool(worker.get("tui_health_require_tools"))
    if config.getoption("hypothesis_profile", None):
        return  # a profile asked for on the command line wins
    if worker.get("tui_health_ci") if worker is not None else _CI:
        hypothesis_settings.load_profile("tui-health-ci")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:  # xdist's, in the controller, once per worker before it starts
    node.workerinput["tui_health_ci"] = _CI
    node.workerinput["tui_health_require_tools"] = REQUIRE_TOOLS[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core. Many tests wait on another process (a simulator, the CLI, a receiver)
    more than they compute, so a core has room for a second worker: on 2 cores, 4 workers end the suite in about
    two thirds of the time 2 take. At most 16: on a large machine each worker's start-up (imports, collection)
    would cost more than its share of the tests saves."""
    return min(16, 2 * (os.cpu_count() or 1))


def _isolate() -> None:
    """The suite never reads the caller's settings, credentials or home, and leaves no directory behind: every
    temporary directory (ours, pytest's, and those of the processes the tests start) lives under one base that
    is removed when this process ends."""
    for name in list(os.environ):
        if name.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_")):
            del os.environ[name]
    base = tempfile.mkdtemp(prefix="tui-health-tests-")
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    os.environ["TMPDIR"] = tempfile.tempdir = base
    home = os.path.join(base, "home")
    os.mkdir(home)
    os.environ["HOME"] = home


_isolate()

SECRET = "s3cr3t-client-secret-do-not-leak"
CLIENT_ID = "test-client"


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimulatorServer]]:
    """Start a simulator with a named scenario (plus overrides); stopped at teardown."""
    servers: list[SimulatorServer] = []

    def start(scenario: str | Scenario = "steady", **overrides: Any) -> SimulatorServer:
        base = load_scenario(scenario) if isinstance(scenario, str) else scenario
        if overrides:
            base = Scenario.model_validate({**base.model_dump(), **overrides})
        server = SimulatorServer(base).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def sim_settings(sim: SimulatorServer, tmp_path: Path, **flags: Any) -> Settings:
    """Settings that talk to ``sim`` with test credentials and keep files under ``tmp_path``."""
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    base = {
        "genesys.api_url": sim.url,
        "genesys.login_url": sim.url,
        "audit.path": str(tmp_path / "audit.jsonl"),
        "alerts.outbox": str(tmp_path / "outbox.sqlite3"),
    }
    return load_settings(path=tmp_path / "none.toml", env=env, flags={**base, **flags})


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """Wait for a condition (never for a fixed time): ``timeout`` only bounds a test that would hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        time.sleep(0.02)


def delivered(sim: SimulatorServer, component: str, status: str, path: str | None = None) -> bool:
    """Whether the simulator's receiver accepted an alert saying ``component`` is now ``status``."""
    for hook in list(sim.state.webhooks):
        if path is not None and hook["path"] != path:
            continue
        body = hook["body"]
        for log in body.get("logs", []) if isinstance(body, dict) else []:
            if component in log.get("component_ids", []) and log.get("status") == status:
                return True
    return False


class RecordingSleep:
    """Stands in for asyncio.sleep: records every wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with openssl (skipped where it is missing)."""
    from tests.promtool import tool

    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [tool("openssl", "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
    extra_config: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tui_health`` as a whole process, with a clean environment plus ``env``.

    ``extra_config`` is written to a config file the process is pointed at.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    base["HOME"] = tempfile.mkdtemp(prefix="tui-health-home-")  # audit log, outbox and config land here
    base["COLUMNS"] = "160"
    full = {**base, **(env or {})}
    if extra_config is not None:
        config = Path(base["HOME"]) / "config.toml"
        config.write_text(extra_config)
        full["TUI_HEALTH_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "tui_health", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        cwd=cwd,
    )


# Screens show local times: pin the zone so snapshots and assertions read the same everywhere.
os.environ["TZ"] = "UTC"
time.tzset()
