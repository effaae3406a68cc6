"""What an operator installs: the systemd unit is one systemd accepts, and the command it runs is one tui-health
accepts."""

from __future__ import annotations

import fnmatch
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.paths import ROOT
from tests.promtool import tool
from tui_health.cli import build_parser, check_modes

UNIT = ROOT / "packaging" / "systemd" / "tui-health.service"
README = ROOT / "README.md"


def readme_service_steps() -> list[str]:
    """The shell lines of the README's section "As a systemd service" and the doctor command after it."""
    text = README.read_text()
    section = text[text.index("### As a systemd service") : text.index("### Planned maintenance")]
    blocks = [b.split("```", 1)[0] for b in section.split("```sh\n")[1:]]
    return [
        line.split("#", 1)[0].strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()
    ]


def exec_start() -> list[str]:
    [line] = [line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` (with the program path pointed at this checkout's, which it checks exists)."""
    analyze = tool("systemd-analyze", "systemd")
    program = Path(sys.executable).with_name("tui-health")
    unit = tmp_path / "tui-health.service"
    unit.write_text(UNIT.read_text().replace(exec_start()[0], str(program)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "tui-health.service" not in done.stderr, done.stderr


def test_the_unit_runs_the_program_where_the_readmes_install_step_puts_it() -> None:
    steps = readme_service_steps()
    [venv] = [shlex.split(s)[-1] for s in steps if "-m venv" in s]
    assert any(s.startswith(f"sudo {venv}/bin/pip install") for s in steps)  # installed into that venv
    assert exec_start()[0] == f"{venv}/bin/tui-health"
    assert not venv.startswith(("/root", "/home"))  # ProtectHome= and DynamicUser= hide those
    assert any("systemd-analyze verify /etc/systemd/system/tui-health.service" in s for s in steps)


def test_the_readmes_doctor_runs_as_the_service_runs() -> None:
    """The doctor command proves the paging path with the unit's own user, environment and directories."""
    [command] = [s for s in readme_service_steps() if "doctor --send-test-alert" in s]
    words = shlex.split(command)
    properties = {words[i + 1] for i, w in enumerate(words) if w == "-p"}
    unit = {line for line in UNIT.read_text().splitlines() if "=" in line and not line.startswith("#")}
    for key in (
        "DynamicUser",
        "EnvironmentFile",
        "StateDirectory",
        "ConfigurationDirectory",
        "LogsDirectory",
    ):
        [line] = [u for u in unit if u.startswith(f"{key}=")]
        assert line.replace("=-/", "=/") in properties, key  # the unit's "-" (optional file) aside
    assert words[:2] == ["sudo", "systemd-run"] and exec_start()[0] in words
    assert words[words.index(exec_start()[0]) + 1 :] == ["doctor", "--send-test-alert"]


def test_the_units_header_and_command_agree_on_what_it_serves() -> None:
    header = "".join(line for line in UNIT.read_text().splitlines() if line.startswith("#"))
    serves = "--serve" in exec_start()
    assert ("change --metrics-listen to --serve" in header) is not serves
    assert "TUI_HEALTH_SERVE_TOKEN" not in header or "--serve" in header


def test_the_unit_runs_headless_with_a_command_line_tui_health_accepts() -> None:
    program, *args = exec_start()
    assert program.endswith("/bin/tui-health")
    parsed = build_parser().parse_args(args)
    check_modes(parsed)  # raises on a mode flag without its mode
    assert parsed.headless and parsed.metrics_listen.startswith("127.0.0.1:")
    text = UNIT.read_text()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text  # SIGHUP: --headless reads its config again
    assert "Restart=on-failure" in text and "NoNewPrivileges=yes" in text


@contextmanager
def notify_socket(path: Path) -> Iterator[list[str]]:
    """A ``$NOTIFY_SOCKET`` at ``path``, read as systemd reads it — all the time, so nothing is dropped; the list
    holds every datagram, those that arrived after the reader's last look included, once the block ends."""
    import socket
    import threading

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(path))
    listener.settimeout(0.2)
    messages: list[str] = []
    running = True

    def read() -> None:
        while running:
            try:
                messages.append(listener.recv(4096).decode())
            except TimeoutError:
                continue

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield messages
    finally:
        running = False
        reader.join(timeout=5)
        listener.setblocking(False)
        while True:
            try:
                messages.append(listener.recv(4096).decode())
            except BlockingIOError:
                break
        listener.close()


def test_headless_under_systemd_says_ready_pings_the_watchdog_and_keeps_to_its_directories(
    start_sim, tmp_path: Path
) -> None:
    """With systemd's variables set (as StateDirectory= & co. and Type=notify set them): READY after the first
    poll, WATCHDOG pings, and every file in the directories systemd named — none in the home directory."""
    import os

    from tests.conftest import CLIENT_ID, SECRET

    sim = start_sim("steady")
    dirs = {name: tmp_path / name for name in ("state", "config", "logs", "home")}
    for path in dirs.values():
        path.mkdir()
    (dirs["config"] / "config.toml").write_text(
        f'[genesys]\napi_url = "{sim.url}"\nlogin_url = "{sim.url}"\n[poll]\ninterval = 0.2\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    env.update(
        GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
        HOME=str(dirs["home"]),
        STATE_DIRECTORY=str(dirs["state"]),
        CONFIGURATION_DIRECTORY=str(dirs["config"]),
        LOGS_DIRECTORY=str(dirs["logs"]),
        NOTIFY_SOCKET=str(tmp_path / "notify"),
        WATCHDOG_USEC="200000",
    )
    with notify_socket(tmp_path / "notify") as messages:
        done = subprocess.run(
            [sys.executable, "-m", "tui_health", "--headless", "--max-polls", "3"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert any(m.startswith("READY=1") for m in messages), messages
    assert "WATCHDOG=1" in messages and messages[-1] == "STOPPING=1"
    ready = messages.index(next(m for m in messages if m.startswith("READY=1")))
    assert "WATCHDOG=1" in messages[ready:]  # the loop keeps telling systemd it is alive after it is ready
    assert (dirs["logs"] / "audit.jsonl").is_file()
    assert (dirs["state"] / "state.sqlite3").is_file() and (dirs["state"] / "history").is_dir()
    assert [p for p in dirs["home"].rglob("*") if p.is_file()] == []


def test_headless_under_systemd_says_in_its_status_when_every_poll_fails(tmp_path: Path) -> None:
    """Genesys unreachable from the start: READY still comes (the service runs), but its STATUS line says every
    poll fails and why — ``systemctl status`` must not read as a healthy service."""
    import os
    import socket

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    env.update(
        GENESYSCLOUD_OAUTHCLIENT_ID="id",
        GENESYSCLOUD_OAUTHCLIENT_SECRET="secret",
        HOME=str(tmp_path),
        NOTIFY_SOCKET=str(tmp_path / "notify"),
        TUI_HEALTH_CONFIG=str(tmp_path / "config.toml"),
    )
    with socket.socket() as closed:  # bound, never listening: every connection is refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        (tmp_path / "config.toml").write_text(  # a failed poll fails at once: no retries, no gap
            f'[genesys]\napi_url = "{url}"\nlogin_url = "{url}"\n[poll]\ninterval = 0.1\nmin_gap = 0\n'
            "max_attempts = 1\n"
        )
        with notify_socket(tmp_path / "notify") as messages:
            done = subprocess.run(
                [sys.executable, "-m", "tui_health", "--headless", "--max-polls", "2"],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
    assert done.returncode == 0, done.stderr
    [ready] = [m for m in messages if m.startswith("READY=1")]
    assert ready.split("\n")[1].startswith("STATUS=every poll failing: health-api: cannot connect"), messages
    assert "watching" not in " ".join(messages)


def test_the_status_line_follows_the_polls_and_names_the_failing_target(tmp_path: Path) -> None:
    """Driven poll by poll: READY carries the first status; a STATUS line is sent whenever it changes (and only
    then); with two targets it names the failing one, and says 'every poll' only when both fail."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from tui_health.model.domain import Snapshot, SourceResult
    from tui_health.modes.headless import SystemdTold
    from tui_health.support.sd_notify import Notifier

    def poll(ok: bool) -> Snapshot:
        source = SourceResult("health-api", ok, error=None if ok else "401 invalid_client", error_kind="auth")
        return Snapshot("p", datetime(2026, 12, 6, tzinfo=UTC), (), (source,), 1.0)

    prod, lab = SimpleNamespace(region="prod"), SimpleNamespace(region="lab")
    with notify_socket(tmp_path / "one") as one:
        told = SystemdTold(Notifier({"NOTIFY_SOCKET": str(tmp_path / "one")}), 1)
        for ok in (False, False, True, True):
            told.polled(prod, poll(ok))
    said = [m for m in one if m != "WATCHDOG=1"]
    assert said == [
        "READY=1\nSTATUS=every poll failing: health-api: 401 invalid_client",
        "STATUS=watching 1 target(s)",
    ]
    assert one.count("WATCHDOG=1") == 4
    with notify_socket(tmp_path / "two") as two:
        told = SystemdTold(Notifier({"NOTIFY_SOCKET": str(tmp_path / "two")}), 2)
        told.polled(prod, poll(False))  # not READY before every target polled
        told.polled(lab, poll(True))
        told.polled(lab, poll(False))
    said = [m for m in two if m != "WATCHDOG=1"]
    assert said == [
        "READY=1\nSTATUS=watching 2 target(s); 1 failing: prod: health-api: 401 invalid_client",
        "STATUS=every poll failing (all 2 targets): prod: health-api: 401 invalid_client",
    ]


DOCKERFILE = ROOT / "Dockerfile"


def dockerfile_json(instruction: str) -> list[str]:
    import json

    [line] = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(f"{instruction} ")]
    return json.loads(line.removeprefix(f"{instruction} "))


def dockerfile_commands(instruction: str) -> list[str]:
    """Each shell command (``&&`` apart) of the Dockerfile's ``instruction`` lines, continuations joined."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ").splitlines()
    found = [line.removeprefix(f"{instruction} ") for line in joined if line.startswith(f"{instruction} ")]
    return [command.strip() for line in found for command in line.split("&&")]


def test_the_image_installs_the_versions_ci_tested() -> None:
    """The image's ``pip install`` takes CI's constraints, from the build context (not ignored by Docker)."""
    [install] = [c for c in dockerfile_commands("RUN") if c.startswith("pip install")]
    words = shlex.split(install)
    [flag] = [w for w in words if w in ("-c", "--constraint")]
    constraints = words[words.index(flag) + 1]
    [copied] = [line.split() for line in DOCKERFILE.read_text().splitlines() if line.startswith("COPY ")]
    assert copied[1:] == [".", "/src"] and constraints == "/src/.ci/constraints.txt"
    ci = (UNIT.parents[2] / ".ci" / "run").read_text()
    assert "-c .ci/constraints.txt" in ci  # the very file CI installs with
    ignored = (UNIT.parents[2] / ".dockerignore").read_text().split()
    assert not [p for p in ignored if fnmatch.fnmatch(".ci/constraints.txt", p) or fnmatch.fnmatch(".ci", p)]


def readme_docker_run_env() -> dict[str, str]:
    """The ``-e NAME=value`` of the README's ``docker run`` (section "As a container")."""
    text = README.read_text()
    section = text[text.index("### As a container") : text.index("## History and reviews")]
    [command] = [c for c in section.replace("\\\n", " ").splitlines() if c.startswith("docker run ")]
    words = shlex.split(command)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "-e")


def test_the_readmes_docker_run_serves_the_state_only_with_a_token() -> None:
    """The image serves on 0.0.0.0: the README's ``docker run`` passes the token, so the collector starts; the
    same run without it is refused at once (the whole process, before anything is bound)."""
    from tui_health.serve.exposure import check_exposure
    from tui_health.serve.http import parse_listen

    program, *args = dockerfile_json("ENTRYPOINT")
    assert program == "tui-health"
    serve = parse_listen(args[args.index("--serve") + 1], "--serve")
    assert serve[0] == "0.0.0.0"
    documented = readme_docker_run_env()
    assert documented.get("TUI_HEALTH_SERVE_TOKEN")
    token = documented["TUI_HEALTH_SERVE_TOKEN"]
    assert check_exposure(serve, token=token, public_read=False) is None
    without = {k: v for k, v in documented.items() if k != "TUI_HEALTH_SERVE_TOKEN" and "GENESYS" not in k}
    refused = run_cli(*args, "--demo", "--max-polls", "1", env=without)
    assert refused.returncode == 3 and "without TUI_HEALTH_SERVE_TOKEN" in refused.stderr, refused.stderr
    assert "cannot listen" not in refused.stderr and refused.stdout == ""


def healthcheck_command(port: int) -> list[str]:
    """The image's ``HEALTHCHECK`` command, asking ``port`` on loopback, with this interpreter."""
    import json

    [line] = [c for c in dockerfile_commands("HEALTHCHECK")]
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    assert command[0] == "python" and command[-1] == "127.0.0.1:9464"
    return [sys.executable, *command[1:-1], f"127.0.0.1:{port}"]


def test_the_image_runs_as_a_user_with_a_volume_and_checks_liveness() -> None:
    text = DOCKERFILE.read_text()
    assert "\nUSER tui-health\n" in text and 'VOLUME ["/var/lib/tui-health"]' in text
    assert "--timeout=5s" in dockerfile_commands("HEALTHCHECK")[0]  # the check's own budget is 4 s
    assert "EXPOSE 9464" in text and "ENV" in text and "SECRET=" not in text.replace("SECRET=…", "")


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_image_entrypoint_runs_outside_a_container_and_its_healthcheck_tells_liveness(
    start_sim, tmp_path: Path, tls: bool
) -> None:
    """The image cannot be built here (no base-image registry): run its ENTRYPOINT with the image's environment
    against the simulator — plain, and with ``serve.tls_cert``/``tls_key`` (a test certificate) — and run its
    HEALTHCHECK command as Docker would (within its 5 s): alive once the loop runs, alive still when Genesys stops
    answering (``/readyz`` 503: an outage upstream never restarts it), not alive once the collector is gone."""
    import os
    import re
    import socket

    import httpx

    from tests.conftest import CLIENT_ID, SECRET, wait_until

    sim = start_sim("steady")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program, *args = dockerfile_json("ENTRYPOINT")
    assert program == "tui-health" and args[:2] == ["--headless", "--serve"]
    args[2] = f"127.0.0.1:{port}"  # the image binds 0.0.0.0:9464; here a free loopback port
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    for name, value in re.findall(r"(\w+_DIRECTORY)=(\S+)", DOCKERFILE.read_text()):
        env[name] = str(tmp_path / value.lstrip("/"))
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    # polls every second, and a failed one fails at once (no retries): liveness judges within 3 s
    config = (
        f'[genesys]\napi_url = "{sim.url}"\nlogin_url = "{sim.url}"\n'
        "[poll]\ninterval = 1\nmin_gap = 0\nmax_attempts = 1\n"
    )
    if tls:
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(
            [tool("openssl", "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        config += f'[serve]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
    (Path(env["CONFIGURATION_DIRECTORY"]) / "config.toml").write_text(config)
    env.update(
        readme_docker_run_env()
    )  # as the README runs it (its token included), with the simulator's client
    env.update(
        GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET, HOME=str(tmp_path)
    )
    check = healthcheck_command(port)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"

    def healthcheck() -> subprocess.CompletedProcess[str]:
        return subprocess.run(check, capture_output=True, text=True, timeout=5, env=env)  # Docker's --timeout

    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: proc.poll() is not None or healthcheck().returncode == 0, 60, "the healthcheck")
        assert proc.poll() is None, proc.communicate()[1]
        alive = healthcheck()
        assert alive.returncode == 0 and f"alive: {url}/healthz answered 200" in alive.stdout, alive.stdout
        assert (Path(env["STATE_DIRECTORY"]) / "state.sqlite3").exists()
        sim.stop()  # Genesys goes away; the collector's loop does not
        wait_until(
            lambda: httpx.get(f"{url}/readyz", verify=False, timeout=2).status_code == 503, 60, "/readyz"
        )
        still = healthcheck()
        assert still.returncode == 0, still.stdout
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    gone = healthcheck()
    assert gone.returncode == 1 and "NOT alive" in gone.stdout, gone.stdout
