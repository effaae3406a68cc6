"""The collector's endpoints: /metrics parsed with prometheus_client's parsers, /healthz, /status.json."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import run_cli, sim_settings
from tests.paths import ROOT
from tests.promtool import assert_promtool_clean, check_rules
from tui_health import __version__
from tui_health.monitor.runtime import open_monitor
from tui_health.serve import http as collector_http
from tui_health.serve.http import CollectorServer
from tui_health.support.clock import FakeClock


def samples(text: str, parse=text_string_to_metric_families) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in parse(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def one(found: dict[str, list], series: str, **labels: str) -> float:
    [sample] = [s for s in found[series] if all(s.labels.get(k) == v for k, v in labels.items())]
    return sample.value


async def settled(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait on the loop (the delivery tasks run there) for a condition; ``timeout`` only bounds a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(0.02)


async def test_metrics_health_and_status_of_a_collector(start_sim, tmp_path: Path, monkeypatch) -> None:
    # every scrape renders afresh: one rendering is otherwise served for a second of real time, and the
    # scrape after the failed poll below was right only because that poll took longer than a second
    monkeypatch.setattr(collector_http, "METRICS_FRESH", 0.0)
    sim = start_sim("outage")
    settings = sim_settings(
        sim,
        tmp_path,
        **{"alerts.sinks+": [{"type": "webhook", "url": f"{sim.url}/hooks/exporter"}], "poll.interval": 10.0},
    )
    clock = FakeClock()
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        server = CollectorServer([monitor]).start()
        try:
            await monitor.start()
            async with httpx.AsyncClient(base_url=server.url) as client:
                early = await client.get("/healthz")
                assert early.status_code == 200  # started, within three intervals: not stale yet
                await monitor.poll()
                assert monitor.dispatcher is not None and await monitor.dispatcher.drain(10)
                # drain() returns once the outbox row is gone; the dispatcher counts the outbox again a moment
                # later (on the outbox's thread), and the gauge reads that count. A scrape in between said 1.
                dispatcher = monitor.dispatcher
                await settled(lambda: dispatcher.pending == 0, "the outbox counted after the delivery")
                target = monitor.region
                text = (await client.get("/metrics")).text
                found = samples(text)
                # components: a level per component, joined to what it is by component
                assert (
                    one(found, "tui_health_component_status", target=target, component="voice-telephony") == 4
                )
                assert one(found, "tui_health_component_status", target=target, component="chat") == 0
                [voice] = [
                    s
                    for s in found["tui_health_component_status"]
                    if s.labels["component"] == "voice-telephony"
                ]
                assert set(voice.labels) == {"target", "component"}
                info = one(
                    found,
                    "tui_health_component_info",
                    target=target,
                    component="voice-telephony",
                    name="Voice (Telephony)",
                    source="health-api",
                    kind="platform",  # as the console's K filter and [[maintenance]] kinds call it
                )
                assert info == 1
                assert "tui_health_component_state" not in found  # the status is said once
                assert not [name for name in found if name.endswith("_created")]
                [build] = found["tui_health_build_info"]
                assert build.labels == {"version": __version__} and build.value == 1
                assert_promtool_clean(text)
                assert one(found, "tui_health_components", target=target, status="down") == 1
                assert one(found, "tui_health_threshold_breached", target=target) == 1
                assert one(found, "tui_health_poll_duration_seconds_count", target=target) == 1
                assert (
                    one(
                        found, "tui_health_request_duration_seconds_count", target=target, source="health-api"
                    )
                    >= 2
                )
                [sink] = settings.alerts.sinks
                assert one(found, "tui_health_alerts_sent_total", target=target, sink=sink.sink_name) >= 1
                assert (
                    abs(
                        one(found, "tui_health_last_successful_poll_timestamp_seconds", target=target)
                        - clock.now().timestamp()
                    )
                    < 1
                )
                assert one(found, "tui_health_outbox_pending", target=target) == 0
                assert (
                    one(found, "tui_health_rate_limit_remaining_ratio", target=target, source="health-api")
                    > 0
                )
                assert all(
                    s.labels.get("target") == target
                    for name, series in found.items()
                    if name.startswith("tui_health_") and name != "tui_health_build_info"
                    for s in series
                )
                assert found["process_resident_memory_bytes"][0].value > 0  # the process collector's series
                # OpenMetrics when the scraper asks for it: the state set is a state set there
                om = await client.get(
                    "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
                )
                assert om.headers["content-type"].startswith("application/openmetrics-text")
                families = {f.name: f for f in openmetrics_families(om.text)}
                assert families["tui_health_build"].type == "info"
                assert families["tui_health_component"].type == "info"
                assert families["tui_health_alerts_sent"].type == "counter"
                # /status.json is the --once document of the latest poll
                status = (await client.get("/status.json")).json()
                assert (
                    status["overall"] == "down"
                    and status["exit_code"] == 2
                    and len(status["components"]) == 40
                )
                health = await client.get("/healthz")
                assert health.status_code == 200 and health.json()["ok"] is True
                # a poll may hang on Genesys until its deadline (60 s): three intervals and that are allowed
                clock.advance(90)
                assert (await client.get("/healthz")).status_code == 200
                assert (await client.get("/readyz")).status_code == 503  # no answer for 90 s: not ready
                # polls stop: after that /healthz says 503 and why
                clock.advance(1)
                stale = await client.get("/healthz")
                assert stale.status_code == 503
                assert stale.json()["targets"][0]["reason"] == (
                    "no poll for 91 s (more than 3 intervals of 10 s and a poll's deadline of 60 s)"
                )
                # a failing poll is counted by its kind
                sim.stop()
                await monitor.poll()
                monitor.silence("acd-routing", 3600, reason="exporter test")  # a held one: its series too
                found = samples((await client.get("/metrics")).text)
                assert (
                    one(
                        found,
                        "tui_health_poll_errors_total",
                        target=target,
                        source="health-api",
                        kind="network",
                    )
                    == 1
                )
                # every series the shipped dashboard and rules read is one this collector exports (by now)
                assert dashboard_series() - set(found) == set()
                # Genesys stopped answering, the loop did not: alive (no restart), not ready (data too old)
                alive = await client.get("/healthz")
                assert alive.status_code == 200 and alive.json()["ok"] is True
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["stale"] == [target]
                assert (
                    ready.json()["targets"][0]["reason"]
                    == "no answer from Genesys for 91 s (more than 3 intervals of 10 s)"
                )
                assert ready.json()["targets"][0]["last_answer_at"].endswith("Z")
                assert (await client.get("/nothing")).status_code == 404
                assert (await client.post("/metrics")).status_code == 405
        finally:
            server.stop()
            await monitor.close()


async def test_what_tui_health_holds_is_exported_as_held_and_why(start_sim, tmp_path: Path) -> None:
    """A silenced component, one in a maintenance window and one down because its dependency is down are each
    ``tui_health_component_held{reason}`` 1 beside their status (still 4: the truth is kept); the root cause and
    a down component nothing holds have no held series — so the shipped rules page for those two only."""
    from datetime import UTC, datetime

    from tui_health.settings.config import MaintenanceSettings

    sim = start_sim(
        "steady",
        initial={
            "voice-telephony": "down",
            "chat": "down",
            "sms": "down",
            "platform-api": "down",
            "acd-routing": "down",
        },
    )
    clock = FakeClock(datetime(2026, 12, 6, 2, 30, tzinfo=UTC))
    settings = sim_settings(sim, tmp_path, **{"thresholds.dependencies": {"acd-routing": ["platform-api"]}})
    window = {"name": "carrier work", "start": "2026-12-06T02:00", "duration": "2h", "ids": ["chat"]}
    settings = settings.model_copy(update={"maintenance": [MaintenanceSettings.model_validate(window)]})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        server = CollectorServer([monitor]).start()
        try:
            await monitor.start()
            await monitor.poll()
            monitor.silence("sms", 3600, reason="known, ticket 42")
            async with httpx.AsyncClient(base_url=server.url) as client:
                text = (await client.get("/metrics")).text
        finally:
            server.stop()
            await monitor.close()
    found = samples(text)
    target = monitor.region
    held = {(s.labels["component"], s.labels["reason"]): s.value for s in found["tui_health_component_held"]}
    assert held == {("sms", "silence"): 1, ("chat", "maintenance"): 1, ("acd-routing", "dependency"): 1}
    assert all(s.labels["target"] == target for s in found["tui_health_component_held"])
    for cid in ("sms", "chat", "acd-routing", "voice-telephony", "platform-api"):
        assert one(found, "tui_health_component_status", target=target, component=cid) == 4
    assert_promtool_clean(text)


def test_held_names_every_reason_the_engine_holds_for() -> None:
    """Each field of a view that holds its pages gives its reason; a view with none is held for nothing."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from tui_health.model.domain import Status
    from tui_health.model.held import REASONS, held_for
    from tui_health.model.state import ComponentView

    now = datetime(2026, 12, 6, tzinfo=UTC)
    free = ComponentView("a", "A", Status.DOWN, Status.DOWN, now, None, "health-api")
    assert held_for(free) == ()
    every = replace(free, silenced_until=now, maintenance="window", caused_by=("b",), flapping=True)
    assert held_for(every) == REASONS == ("silence", "maintenance", "dependency", "flapping")
    assert held_for(replace(free, flapping=True)) == ("flapping",)


def test_metrics_listen_is_checked_before_anything_runs() -> None:
    once = run_cli("--once", "--metrics-listen", "127.0.0.1:9464", "--demo")
    assert once.returncode == 3 and "--metrics-listen goes with --headless" in once.stderr
    bad = run_cli("--headless", "--demo", "--metrics-listen", "localhost:http")
    assert bad.returncode == 3 and "is not HOST:PORT" in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_cli("--headless", "--demo", "--max-polls", "1", "--metrics-listen", f"127.0.0.1:{port}")
    assert busy.returncode == 3 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert busy.stderr.count("\n") == 1 and "Traceback" not in busy.stderr
    # port 0: the system picks one, and the process says which
    chosen = run_cli("--headless", "--demo", "--max-polls", "1", "--metrics-listen", "127.0.0.1:0")
    assert chosen.returncode == 0, chosen.stderr
    found = re.search(
        r"serving /metrics, /healthz, /readyz, /status\.json on http://127\.0\.0\.1:(\d+)", chosen.stderr
    )
    assert found and int(found.group(1)) > 0


def test_headless_serves_metrics_while_it_polls(start_sim, tmp_path: Path) -> None:
    """The whole process: --headless --metrics-listen, scraped while it runs."""
    import subprocess
    import sys
    import time

    from tests.conftest import CLIENT_ID, SECRET

    sim = start_sim("steady")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        "HOME": str(tmp_path),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_health",
            "--headless",
            "--interval",
            "0.5",
            "--duration",
            "20",
            "--api-url",
            sim.url,
            "--login-url",
            sim.url,
            "--no-alerts",
            "--metrics-listen",
            f"127.0.0.1:{port}",
        ],
        env={
            **{
                k: v
                for k, v in __import__("os").environ.items()
                if not k.startswith(("XDG_", "GENESYSCLOUD_"))
            },
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        count = 0.0
        while time.monotonic() < deadline and count < 2:
            try:
                found = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text)
                count = sum(s.value for s in found.get("tui_health_poll_duration_seconds_count", []))
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert count >= 2, proc.stderr
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0


PACKAGED = ROOT / "packaging" / "prometheus"


def test_the_shipped_alerting_rules_load_and_fire_as_their_unit_tests_say(tmp_path: Path) -> None:
    """``promtool check rules`` on the shipped rules and ``promtool test rules`` on their unit tests: each alert
    fires on its made-up series with the labels and text expected (a component by its name, through the join),
    and not before its ``for``."""
    check_rules(
        tmp_path,
        (PACKAGED / "rules.yml").read_text(),
        (PACKAGED / "rules.test.yml").read_text(),
    )


def test_the_readme_shows_the_shipped_rules() -> None:
    readme = (ROOT / "README.md").read_text()
    assert (PACKAGED / "rules.yml").read_text() in readme


GRAFANA = ROOT / "packaging" / "grafana" / "tui-health.json"


def dashboard_queries() -> list[str]:
    import json

    dashboard = json.loads(GRAFANA.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def dashboard_series() -> set[str]:
    """Every tui-health series the shipped dashboard and alerting rules read."""
    import re

    rules = (PACKAGED / "rules.yml").read_text()
    exprs = [*dashboard_queries(), rules]
    return {name for expr in exprs for name in re.findall(r"\btui_health_[a-z_]+", expr)}


def test_the_shipped_grafana_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each panel's query, with the dashboard's $target variable filled in, passes promtool as a recording rule
    (Grafana itself is not needed to find a query that Prometheus would refuse)."""
    queries = [expr.replace("$target", ".*") for expr in dashboard_queries()]
    assert queries
    rules = "groups:\n  - name: grafana-dashboard\n    rules:\n" + "".join(
        f"      - record: tui_health:dashboard:{i}\n        expr: {json.dumps(q)}\n"
        for i, q in enumerate(queries)
    )
    check_rules(tmp_path, rules)


def panel_queries(title: str) -> list[str]:
    """The queries of the dashboard's panel titled ``title``, for every target ($target as Grafana's All)."""
    dashboard = json.loads(GRAFANA.read_text())
    [panel] = [p for p in dashboard["panels"] if p["title"] == title]
    return [t["expr"].replace("$target", ".*") for t in panel["targets"]]


def test_the_dashboard_counts_what_pages_and_shows_what_is_held_once_for_an_ha_pair(tmp_path: Path) -> None:
    """The dashboard's queries on made-up series of an HA pair (two collectors, every series twice): down and
    degraded count only components nothing holds; what is held is listed once with its reason; the timeline has
    each component once."""
    series = []
    components = {
        "voice": ("Voice", 4, None),
        "webmsg": ("Web Messaging", 4, "silence"),
        "chat": ("Chat", 3, None),
        "architect": ("Architect", 3, "maintenance"),
        "acd": ("ACD Routing", 4, "dependency"),
        "sms": ("SMS", 0, None),
    }
    for instance in ("collector-1:9464", "collector-2:9464"):
        labels = f'job="tui-health", instance="{instance}", target="prod"'
        for cid, (name, level, reason) in components.items():
            series.append((f'tui_health_component_status{{{labels}, component="{cid}"}}', f"{level}x5"))
            info = f'name="{name}", group="Core", source="health-api", kind="platform"'
            series.append((f'tui_health_component_info{{{labels}, component="{cid}", {info}}}', "1x5"))
            if reason:
                held = f'tui_health_component_held{{{labels}, component="{cid}", reason="{reason}"}}'
                series.append((held, "1x5"))
    [down, degraded] = panel_queries("Components down / degraded (not held)")
    [held_table] = panel_queries(
        "Held: paging nobody (silenced, in maintenance, caused by a dependency, flapping)"
    )
    [timeline] = panel_queries("Components by status")

    def expect(expr: str, samples: list[tuple[str, float]]) -> str:
        found = "".join(
            f"          - labels: {json.dumps(lbl)}\n            value: {v}\n" for lbl, v in samples
        )
        return f"      - expr: {json.dumps(expr)}\n        eval_time: 2m\n        exp_samples:\n{found}"

    unit_tests = (
        "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
        + "".join(f"      - series: {json.dumps(s)}\n        values: {json.dumps(v)}\n" for s, v in series)
        + "    promql_expr_test:\n"
        + expect(down, [("{}", 1)])
        + expect(degraded, [("{}", 1)])
        + expect(
            held_table,
            [
                ('{target="prod", name="Web Messaging", reason="silence"}', 1),
                ('{target="prod", name="Architect", reason="maintenance"}', 1),
                ('{target="prod", name="ACD Routing", reason="dependency"}', 1),
            ],
        )
        + expect(timeline, [(f'{{name="{name}"}}', level) for name, level, _ in components.values()])
    )
    check_rules(tmp_path, "groups: []\n", unit_tests)
