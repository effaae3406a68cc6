"""A source and a receiver from another package: built and installed (pip, into a directory of its own) by the
test, registered in that package's entry points, used end to end by tui-health with no file of tui-health
touched — offered by --help and --source, its config section checked and listed, polled, and paging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import CLIENT_ID, SECRET, delivered, run_cli, wait_until
from tui_health.sources.base import SourceModule, conforms

SOURCE = '''
"""acme-ping: one component, healthy while the API's /healthz answers {"ok": true}."""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from tui_health.model.domain import Component, SourceResult, Status
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.errors import ApiError, TuiHealthError
from tui_health.support.section import Section

NAME = "acme-ping"
NEEDS_CREDENTIALS = False
SECTION = "acme"
KINDS = ("ping",)
PERMISSION = None
PAGES_AT_ONCE = False
TEMPLATE = """\\
[acme]               # the acme-ping source (a plug-in)
path = "/healthz"
slow_ms = 1000
"""


class AcmeSettings(Section):
    path: str = "/healthz"
    slow_ms: int = Field(1000, ge=1)


Settings = AcmeSettings


class AcmePing:
    name = NAME

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings.section(SECTION)

    async def fetch(self, deadline: float | None) -> SourceResult:
        url = self.ctx.settings.api_url + self.settings.path
        timings: list[Any] = []
        try:
            response = await self.ctx.core.send("GET", url, label="acme ping", timings=timings, deadline=deadline, what="acme")
            ok = response.status_code == 200 and response.json().get("ok") is True
        except TuiHealthError as exc:
            return failed(NAME, exc, timings)
        except ValueError:
            return failed(NAME, ApiError("acme: not JSON"), timings)
        status = Status.HEALTHY if ok else Status.DOWN
        component = Component("acme:ping", "Acme ping", status, source=NAME, kind="ping")
        return SourceResult(NAME, True, (component,), timings=tuple(timings))


def build(ctx: BuildContext) -> AcmePing:
    return AcmePing(ctx)


def chosen(settings: SourceSettings) -> bool:
    return False


def hosts(settings: SourceSettings) -> dict[str, str]:
    return {"api": settings.api_url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    return {"acme": settings.api_url}


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    return None


def history_flags(hosts: dict[str, str]) -> list[str]:
    return []
'''

SINK = '''
"""acme-pager: posts each alert's message to a URL as {"page": ...}."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from tui_health.alerts.sinks.base import UNNAMED, AlertTarget, Message, SinkSettingsBase, batch_key, components_of, summarize

TEMPLATE = """\\
# [[alerts.sinks]]
# type = "acme-pager"
# url = "https://pager.acme.example/page"
"""


class AcmePagerSettings(SinkSettingsBase):
    type: Literal["acme-pager"]
    url: str
    team: str = "ops"


Settings = AcmePagerSettings


class AcmePager:
    kind = "acme-pager"

    def __init__(self, name: str, url: str, team: str) -> None:
        self.name, self.url, self.team = name, url, team

    def messages(self, events: list[Any], now: datetime) -> list[Message]:
        body = {"team": self.team, "logs": [e.to_dict() for e in events]}
        return [Message(batch_key(self.name, events), body, summarize(events), components_of(events))]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {"X-Acme-Key": key}, body


def build(settings: AcmePagerSettings, default_token: str | None, target: AlertTarget = UNNAMED) -> AcmePager:
    return AcmePager(settings.sink_name, settings.target_url, settings.team)
'''

PYPROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-tui-plugins"
version = "1.0"

[project.entry-points."tui_health.sources"]
acme-ping = "acme_tui.ping"

[project.entry-points."tui_health.sinks"]
acme-pager = "acme_tui.pager"

[tool.setuptools]
packages = ["acme_tui"]
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plug-in package, built and installed by pip into a directory of its own (put on PYTHONPATH)."""
    root = tmp_path_factory.mktemp("acme")
    package = root / "src" / "acme_tui"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ping.py").write_text(textwrap.dedent(SOURCE))
    (package / "pager.py").write_text(textwrap.dedent(SINK))
    (root / "src" / "pyproject.toml").write_text(PYPROJECT)
    target = root / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(root / "src")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(target.glob("acme_tui_plugins-1.0.dist-info/entry_points.txt"))
    return target


def cli(plugins: Path, *args: str, extra_config: str | None = None, env: dict[str, str] | None = None):
    return run_cli(*args, env={"PYTHONPATH": str(plugins), **(env or {})}, extra_config=extra_config)


def test_a_plugin_source_is_offered_configured_listed_and_polled(plugins, start_sim, tmp_path):
    sim = start_sim("steady")
    help_text = " ".join(cli(plugins, "--help", env={"COLUMNS": "200"}).stdout.split())
    assert "acme-ping" in help_text  # --source offers it
    written = cli(plugins, "config", "init", "--config", str(tmp_path / "config.toml"))
    assert (
        written.returncode == 0 and "[acme]" in (tmp_path / "config.toml").read_text()
    )  # its template block
    shown = json.loads(cli(plugins, "config", "show").stdout)
    assert shown["available_sources"]["acme-ping"] == {
        "needs_credentials": False,
        "section": "acme",
        "kinds": ["ping"],
    }
    assert "acme-pager" in shown["available_sinks"] and shown["plugin_problems"] == []
    bad = cli(plugins, "config", "show", extra_config="[acme]\nslow_ms = -1\n")
    assert bad.returncode == 3 and "acme.slow_ms" in bad.stderr  # its own section, its errors named
    creds = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    once = cli(
        plugins, "--once", "--format", "json", "--no-alerts", "--api-url", sim.url, "--login-url", sim.url,
        "--source", "health-api", "--source", "acme-ping", env=creds,
    )  # fmt: skip
    assert once.returncode == 0, once.stderr
    document = json.loads(once.stdout)
    assert [s["name"] for s in document["sources"]] == ["health-api", "acme-ping"]
    assert all(s["ok"] for s in document["sources"])
    [ping] = [c for c in document["components"] if c["id"] == "acme:ping"]
    assert ping["source"] == "acme-ping" and ping["status"] == "healthy" and ping["kind"] == "ping"
    table = cli(
        plugins, "--once", "--all", "--no-alerts", "--api-url", sim.url, "--login-url", sim.url,
        "--source", "acme-ping", env=creds,
    )  # fmt: skip
    assert table.returncode == 0 and "Acme ping" in table.stdout, table.stdout + table.stderr


def test_without_the_plugin_its_source_is_refused_with_one_line(start_sim):
    done = run_cli("--once", "--source", "acme-ping")
    assert done.returncode == 3 and "acme-ping" in done.stderr and "Traceback" not in done.stderr


def test_a_plugin_receiver_pages(plugins, start_sim, tmp_path):
    sim = start_sim("outage")
    config = f'[[alerts.sinks]]\ntype = "acme-pager"\nurl = "{sim.url}/hooks/acme"\nteam = "night"\n'
    creds = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    done = cli(
        plugins, "--once", "--api-url", sim.url, "--login-url", sim.url, "--source", "health-api",
        extra_config=config, env=creds,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # the outage: CRITICAL
    wait_until(lambda: delivered(sim, "voice-telephony", "down", "/hooks/acme"), 10, "the plug-in's page")
    page = next(w for w in sim.state.webhooks if w["path"] == "/hooks/acme")
    assert page["body"]["team"] == "night" and page["headers"].get("X-Acme-Key")
    wrong = cli(plugins, "config", "show", extra_config=config.replace('team = "night"', "team = 7"))
    assert wrong.returncode == 3 and "alerts.sinks.0.team" in wrong.stderr


def test_a_module_that_is_not_a_source_is_refused_by_name():
    from types import SimpleNamespace

    assert "no function build()" in conforms(SimpleNamespace(NAME="x"))  # a plug-in missing its declarations
    from tui_health.sources import statuspage

    module: SourceModule = statuspage  # the protocol, as mypy checks every built-in one
    assert conforms(module) == []


def test_plugins_are_not_read_when_nothing_names_one(tmp_path):
    """A run of built-in sources never pays for the entry-point lookup (--once starts fast)."""
    code = (
        "import importlib.metadata as m, sys\n"
        "calls = []\n"
        "real = m.entry_points\n"
        "m.entry_points = lambda **kw: (calls.append(kw) if kw.get('group', '').startswith('tui_health') else None)"
        " or real(**kw)\n"
        "from tui_health.settings.config import load_settings\n"
        "from pathlib import Path\n"
        "load_settings(path=Path(sys.argv[1]), env={}, flags={'poll.sources': ['statuspage']})\n"
        "print(len(calls))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "none.toml")],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
